package lamscn.core

/**
 * A source that streams a recording through the same frame path as a sensor, so the whole app
 * works without hardware: frames from a hex frame file (`python -m streaming simulate --out`),
 * or a signal encoded into the device's notifications, handed out one by one at the device's pace.
 */
class ReplaySource(val device: Device, val frames: List<ByteArray>) : Iterable<ByteArray> {
    init {
        if (frames.isEmpty()) throw InputError("replay: no frames")
    }

    /** Milliseconds between notifications when replayed in real time (one frame's worth of samples). */
    val frameIntervalMillis: Long get() = pyRound(device.samplesPerFrame * 1000.0 / device.rate)

    override fun iterator(): Iterator<ByteArray> = frames.iterator()

    companion object {
        /** Every frame of a hex frame file's text: one notification per line, `#` lines are comments. */
        fun fromHex(device: Device, text: String, source: String): ReplaySource {
            val frames = ArrayList<ByteArray>()
            text.lineSequence().forEachIndexed { i, raw ->
                val line = raw.trim()
                if (line.isEmpty() || line.startsWith("#")) return@forEachIndexed
                frames += try {
                    hexToBytes(line)
                } catch (e: InputError) {
                    throw InputError("frames $source line ${i + 1}: not a hex frame")
                }
            }
            if (frames.isEmpty()) throw InputError("frames $source: no frames")
            return ReplaySource(device, frames)
        }

        /** The device a frame file names in its `# device=NAME rate=HZ ...` header (what `simulate --out` writes), or null. */
        fun deviceOf(text: String): Device? {
            val header = text.lineSequence().firstOrNull { it.startsWith("#") } ?: return null
            val fields = header.removePrefix("#").trim().split(' ').mapNotNull { kv ->
                kv.split('=', limit = 2).takeIf { it.size == 2 }?.let { it[0] to it[1] }
            }.toMap()
            val name = fields["device"] ?: return null
            return Device.parse(fields["rate"]?.let { "$name@$it" } ?: name)
        }

        /** [signalMv] at the device rate cut into the device's notifications (the last may be shorter),
         *  stamped on a clock that reads [clockStart] at the first sample. */
        fun fromSignal(device: Device, signalMv: DoubleArray, clockStart: Long): ReplaySource {
            val n = device.samplesPerFrame
            val frames = (signalMv.indices step n).map { i ->
                device.encode(signalMv.copyOfRange(i, minOf(i + n, signalMv.size)), i.toLong(), clockStart)
            }
            return ReplaySource(device, frames)
        }
    }
}
