package lamscn.core

/** What a control-point indication (Polar) or command result (Movesense) means for the session. */
sealed interface SensorStatus {
    val message: String

    /** The sensor accepted a command (`op` named in the message). */
    data class Accepted(override val message: String) : SensorStatus

    /** The sensor refused a command: the stream will not start (or stop) as asked. */
    data class Refused(override val message: String) : SensorStatus

    /** The sensor stopped the ECG measurement itself, or confirmed our stop: a status, not an error. */
    data class Stopped(override val message: String) : SensorStatus

    /** Worth a line, but the ECG stream goes on (the sensor stopped another measurement). */
    data class Notice(override val message: String) : SensorStatus

    /** Bytes that do not decode: reported, and the stream keeps running. */
    data class Unreadable(override val message: String) : SensorStatus

    companion object {
        private const val MOVESENSE_OK = 200

        /** Interpret one value from the control channel of [device]. */
        fun of(device: Device, data: ByteArray): SensorStatus = of(device) {
            when (device) {
                is Device.PolarH10 -> polar(PolarPmd.decodeControlPoint(data))
                is Device.Movesense -> movesense(lamscn.core.Movesense.decodeCommandResult(data))
            }
        }

        /** Interpret the parts of one multi-part Polar response (see [ControlChannel]). */
        fun ofParts(device: Device, parts: List<ByteArray>): SensorStatus = of(device) { polar(PolarPmd.joinControlPointResponses(parts)) }

        private fun of(device: Device, read: () -> SensorStatus): SensorStatus = try {
            read()
        } catch (e: FrameError) {
            Unreadable("${device.label}: ${e.message}")
        }

        private fun polar(value: PolarPmd.ControlPointValue): SensorStatus = when (value) {
            is PolarPmd.MeasurementStopped ->
                if (value.ecg) Stopped("Polar H10: ${value.message}") else Notice("Polar H10: ${value.message}; the ECG stream goes on")
            is PolarPmd.ControlPointResponse -> polarResponse(value)
        }

        private fun polarResponse(r: PolarPmd.ControlPointResponse): SensorStatus {
            val op = PolarPmd.Op.entries.firstOrNull { it.code == r.op }?.name?.lowercase()?.replace('_', ' ') ?: "op ${r.op}"
            return when {
                r.error != null -> Refused(r.error!!)
                r.op == PolarPmd.Op.STOP_MEASUREMENT.code -> Stopped("Polar H10: measurement stopped")
                else -> Accepted("Polar H10: $op accepted")
            }
        }

        private fun movesense(r: lamscn.core.Movesense.CommandResult): SensorStatus = when (r.status) {
            null -> Accepted("Movesense: ${String(r.payload, Charsets.US_ASCII)}")
            MOVESENSE_OK -> Accepted("Movesense: command ${r.reference} accepted")
            else -> Refused("Movesense: command ${r.reference} failed with status ${r.status}")
        }
    }
}

/** One session's control channel: the parts of a multi-part Polar response (`more` set) are held and
 *  joined before they are interpreted; everything else is interpreted as it comes. */
class ControlChannel(private val device: Device) {
    private val parts = ArrayList<ByteArray>()

    /** The status of [data], or null while a multi-part response waits for its next part. */
    fun receive(data: ByteArray): SensorStatus? {
        val response = if (device is Device.PolarH10) {
            try { PolarPmd.decodeControlPoint(data) as? PolarPmd.ControlPointResponse } catch (e: FrameError) { null }
        } else null
        if (response == null || (!response.more && parts.isEmpty())) return SensorStatus.of(device, data)
        parts += data
        if (response.more) return null
        return SensorStatus.ofParts(device, parts.toList()).also { parts.clear() }
    }
}
