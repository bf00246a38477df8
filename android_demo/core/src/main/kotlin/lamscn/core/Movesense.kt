package lamscn.core

/**
 * Movesense GATT SensorData protocol (GSP) codec for the ECG stream: bytes in, typed values out.
 * A port of `streaming/movesense.py`, pinned by `golden/streaming/movesense_codec.json`.
 * Command `[command][client reference][data]`; notification `[type][reference][payload]`, where a
 * `/Meas/ECG/<rate>` DATA payload is a u32 LE ms timestamp of the first sample then int32 LE samples.
 * DATA_PART2 (3) / DATA_PART3 (4) continue a DATA payload too large for one packet (movesense-device-lib
 * `samples/gatt_sensordata_app/GATTSensorDataClient.cpp`, FETCH_LOG versions); ECG comes whole as DATA,
 * so a part reaching the ECG decoder is refused by name ([UnsupportedFrame]).
 */
object Movesense {
    const val SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
    const val COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
    const val DATA_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

    val ECG_RATES = listOf(125, 128, 200, 250, 256, 500, 512)
    const val DEFAULT_ECG_RATE = 250
    const val SAMPLES_PER_NOTIFICATION = 16
    /** One sample LSB in µV (1/20/2^17 V). */
    const val UV_PER_LSB = 1e6 / 20 / (1 shl 17)
    const val DEFAULT_REFERENCE = 99
    const val MAX_ATT_VALUE = 512
    private const val HEADER_BYTES = 2
    private const val TIMESTAMP_BYTES = 4
    private const val SAMPLE_BYTES = 4
    private const val HELLO = 0
    private const val SUBSCRIBE = 1
    private const val UNSUBSCRIBE = 2
    private const val COMMAND_RESULT = 1
    private const val DATA = 2
    private val DATA_PARTS = mapOf(3 to "DATA_PART2", 4 to "DATA_PART3")

    private fun checkReference(reference: Int) {
        if (reference !in 1..255) throw FrameError("GSP client reference $reference must be 1..255")
    }

    /** The resource to subscribe for ECG at [rate] Hz. */
    fun ecgPath(rate: Int = DEFAULT_ECG_RATE): String {
        if (rate !in ECG_RATES) throw FrameError("Movesense ECG rate $rate Hz is not one of ${ECG_RATES.joinToString(", ")}")
        return "/Meas/ECG/$rate"
    }

    /** `00 <ref>`. */
    fun helloCommand(reference: Int = DEFAULT_REFERENCE): ByteArray {
        checkReference(reference)
        return byteArrayOf(HELLO.toByte(), reference.toByte())
    }

    /** `01 <ref> <path ASCII>` for `/Meas/ECG/<rate>`. */
    fun subscribeEcgCommand(rate: Int = DEFAULT_ECG_RATE, reference: Int = DEFAULT_REFERENCE): ByteArray {
        checkReference(reference)
        return byteArrayOf(SUBSCRIBE.toByte(), reference.toByte()) + ecgPath(rate).toByteArray(Charsets.US_ASCII)
    }

    /** `02 <ref>`. */
    fun unsubscribeCommand(reference: Int = DEFAULT_REFERENCE): ByteArray {
        checkReference(reference)
        return byteArrayOf(UNSUBSCRIBE.toByte(), reference.toByte())
    }

    /** A COMMAND_RESULT notification: the HTTP-like status when the payload is two bytes. */
    class CommandResult(val reference: Int, val status: Int?, val payload: ByteArray)

    /** One ECG DATA notification: raw int32 samples (LSB units) and the ms timestamp of the first. */
    class EcgNotification(val reference: Int, val timestampMs: Long, val samples: IntArray) {
        /** The samples in µV. */
        val samplesUv: DoubleArray get() = DoubleArray(samples.size) { samples[it].toDouble() * UV_PER_LSB }
    }

    /** Parse a COMMAND_RESULT notification. */
    fun decodeCommandResult(data: ByteArray): CommandResult {
        checked(data)
        val type = data[0].toInt() and 0xFF
        if (type != COMMAND_RESULT) throw UnknownMeasurementType("GSP notification type $type is not COMMAND_RESULT (1)")
        val payload = data.copyOfRange(HEADER_BYTES, data.size)
        val status = if (payload.size == 2) ((payload[0].toInt() and 0xFF) shl 8) or (payload[1].toInt() and 0xFF) else null
        return CommandResult(data[1].toInt() and 0xFF, status, payload)
    }

    /** DATA notification of `/Meas/ECG`: raw int32 samples after a u32 ms timestamp. */
    fun encodeEcgNotification(samples: IntArray, timestampMs: Long, reference: Int = DEFAULT_REFERENCE): ByteArray {
        if (samples.isEmpty()) throw FrameError("GSP ECG notification needs a non-empty sample array")
        val size = HEADER_BYTES + TIMESTAMP_BYTES + SAMPLE_BYTES * samples.size
        if (size > MAX_ATT_VALUE) throw OversizedFrame("GSP ECG notification of ${samples.size} samples exceeds $MAX_ATT_VALUE bytes")
        checkReference(reference)
        val out = ByteArray(size)
        out[0] = DATA.toByte(); out[1] = reference.toByte()
        for (k in 0 until 4) out[2 + k] = (timestampMs ushr (8 * k)).toByte()
        samples.forEachIndexed { j, v -> for (k in 0 until 4) out[6 + 4 * j + k] = (v ushr (8 * k)).toByte() }
        return out
    }

    /** Decode a DATA notification carrying `/Meas/ECG` samples; anything else throws a [FrameError] subclass. */
    fun decodeEcgNotification(data: ByteArray): EcgNotification {
        checked(data)
        val type = data[0].toInt() and 0xFF
        DATA_PARTS[type]?.let {
            throw UnsupportedFrame("GSP notification type $type ($it) continues a DATA notification split across BLE packets: " +
                "not supported (an ECG notification comes whole as DATA)")
        }
        if (type != DATA) throw UnknownMeasurementType("GSP notification type $type is not DATA (2)")
        val body = data.size - HEADER_BYTES
        if (body < TIMESTAMP_BYTES + SAMPLE_BYTES) {
            throw TruncatedFrame("GSP ECG notification body of $body bytes, needs a timestamp and a sample")
        }
        if ((body - TIMESTAMP_BYTES) % SAMPLE_BYTES != 0) {
            throw TruncatedFrame("GSP ECG notification body of $body bytes is not a timestamp plus whole 4-byte samples")
        }
        val first = HEADER_BYTES + TIMESTAMP_BYTES
        val samples = IntArray((data.size - first) / SAMPLE_BYTES) { j -> data.uLittleEndian(first + 4 * j, 4).toInt() }
        return EcgNotification(data[1].toInt() and 0xFF, data.uLittleEndian(HEADER_BYTES, 4).toLong(), samples)
    }

    private fun checked(data: ByteArray) {
        if (data.size > MAX_ATT_VALUE) throw OversizedFrame("GSP notification of ${data.size} bytes exceeds $MAX_ATT_VALUE")
        if (data.size < HEADER_BYTES) throw TruncatedFrame("GSP notification of ${data.size} bytes, needs a type and a reference")
    }
}
