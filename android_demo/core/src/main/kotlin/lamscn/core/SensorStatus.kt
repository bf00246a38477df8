package lamscn.core

/** What a control-point indication (Polar) or command result (Movesense) means for the session. */
sealed interface SensorStatus {
    val message: String

    /** The sensor accepted a command (`op` named in the message). */
    data class Accepted(override val message: String) : SensorStatus

    /** The sensor refused a command: the stream will not start (or stop) as asked. */
    data class Refused(override val message: String) : SensorStatus

    /** The sensor stopped the measurement itself, or confirmed our stop: a status, not an error. */
    data class Stopped(override val message: String) : SensorStatus

    /** Bytes that do not decode: reported, and the stream keeps running. */
    data class Unreadable(override val message: String) : SensorStatus

    companion object {
        private const val MOVESENSE_OK = 200

        /** Interpret one value from the control channel of [device]. */
        fun of(device: Device, data: ByteArray): SensorStatus = try {
            when (device) {
                is Device.PolarH10 -> polar(PolarPmd.decodeControlPointResponse(data))
                is Device.Movesense -> movesense(lamscn.core.Movesense.decodeCommandResult(data))
            }
        } catch (e: FrameError) {
            Unreadable("${device.label}: ${e.message}")
        }

        private fun polar(r: PolarPmd.ControlPointResponse): SensorStatus {
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
