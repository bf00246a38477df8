package lamscn.core

import java.math.BigDecimal

/** Samples of one notification in mV, the device's own timestamp field, and its first sample's time (s). */
class DecodedFrame(val samplesMv: DoubleArray, val timestamp: Long, val firstSampleS: Double)

/** A supported BLE ECG sensor at one sample rate: notifications <-> samples in mV with times (`streaming/devices.py`). */
sealed class Device(val name: String, val label: String, val rate: Int, val samplesPerFrame: Int, val leads: Int = 1) {
    /** Decode one data notification (throws a [FrameError] subclass). */
    abstract fun decode(data: ByteArray): DecodedFrame

    /** The notification carrying [samplesMv], whose first sample is stream sample [firstIndex] of a stream
     *  that started at [clockStart] (the device clock's units: Polar ns, Movesense ms). */
    abstract fun encode(samplesMv: DoubleArray, firstIndex: Long, clockStart: Long): ByteArray

    /** What an app writes to start the ECG stream. */
    abstract fun startCommands(): List<ByteArray>

    /** What an app writes to stop the ECG stream. */
    abstract fun stopCommands(): List<ByteArray>

    /** Polar H10: PMD ECG at 130 Hz, µV samples, ns timestamp of the last sample. */
    class PolarH10(samplesPerFrame: Int = PolarPmd.SAMPLES_PER_FRAME) :
        Device("polar-h10", "Polar H10", PolarPmd.ECG_RATE, samplesPerFrame) {
        override fun decode(data: ByteArray): DecodedFrame {
            val f = PolarPmd.decodeEcgFrame(data)
            val n = f.samplesUv.size
            val lastS = BigDecimal(f.timestampNs.toString()).movePointLeft(9).toDouble() // exact ns / 1e9, rounded once
            return DecodedFrame(DoubleArray(n) { f.samplesUv[it] / 1000.0 }, f.timestampNs.toLong(),
                lastS - (n - 1).toDouble() / rate)
        }

        override fun encode(samplesMv: DoubleArray, firstIndex: Long, clockStart: Long): ByteArray {
            val last = firstIndex + samplesMv.size - 1
            val ts = clockStart.toULong() + pyRound(last * NS_PER_S.toDouble() / rate).toULong()
            return PolarPmd.encodeEcgFrame(IntArray(samplesMv.size) { pyRound(samplesMv[it] * 1000.0).toInt() }, ts)
        }

        override fun startCommands() = listOf(PolarPmd.getSettingsCommand(), PolarPmd.startEcgCommand(rate))
        override fun stopCommands() = listOf(PolarPmd.stopCommand())
    }

    /** Movesense: GSP `/Meas/ECG/<rate>`, int32 samples of [Movesense.UV_PER_LSB], ms timestamp of the first sample. */
    class Movesense(rate: Int = lamscn.core.Movesense.DEFAULT_ECG_RATE) :
        Device("movesense", "Movesense", rate, lamscn.core.Movesense.SAMPLES_PER_NOTIFICATION) {
        init {
            if (rate !in lamscn.core.Movesense.ECG_RATES) {
                throw InputError("Movesense ECG rate $rate Hz is not one of ${lamscn.core.Movesense.ECG_RATES.joinToString(", ")}")
            }
        }

        override fun decode(data: ByteArray): DecodedFrame {
            val m = lamscn.core.Movesense.decodeEcgNotification(data)
            val uv = m.samplesUv
            return DecodedFrame(DoubleArray(uv.size) { uv[it] / 1000.0 }, m.timestampMs, m.timestampMs.toDouble() / MS_PER_S)
        }

        override fun encode(samplesMv: DoubleArray, firstIndex: Long, clockStart: Long): ByteArray {
            val ts = clockStart + pyRound(firstIndex * MS_PER_S.toDouble() / rate)
            val lsb = IntArray(samplesMv.size) { pyRound(samplesMv[it] * 1000.0 / lamscn.core.Movesense.UV_PER_LSB).toInt() }
            return lamscn.core.Movesense.encodeEcgNotification(lsb, ts and 0xFFFFFFFFL)
        }

        override fun startCommands() = listOf(lamscn.core.Movesense.helloCommand(), lamscn.core.Movesense.subscribeEcgCommand(rate))
        override fun stopCommands() = listOf(lamscn.core.Movesense.unsubscribeCommand())
    }

    companion object {
        const val NS_PER_S = 1_000_000_000L
        const val MS_PER_S = 1_000L

        /** `polar-h10`, `movesense` or `movesense@RATE`; [InputError] for anything else. */
        fun parse(spec: String): Device {
            val name = spec.substringBefore('@')
            val rate = if ('@' in spec) spec.substringAfter('@').toIntOrNull()
                ?: throw InputError("device '$spec': the rate after @ must be an integer") else null
            return when (name) {
                "polar-h10" -> {
                    if (rate != null && rate != PolarPmd.ECG_RATE) {
                        throw InputError("Polar H10 streams ECG at ${PolarPmd.ECG_RATE} Hz only, not $rate Hz")
                    }
                    PolarH10()
                }
                "movesense" -> Movesense(rate ?: lamscn.core.Movesense.DEFAULT_ECG_RATE)
                else -> throw InputError("unknown device '$name' (known: polar-h10, movesense)")
            }
        }
    }
}

/** Python's `round(x)`: nearest integer, ties to even. */
fun pyRound(x: Double): Long = Math.rint(x).toLong()
