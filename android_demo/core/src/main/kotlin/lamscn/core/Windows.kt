package lamscn.core

/** One window at the device rate: [samplesMv] (NaN where a gap was), or null when a clock jump cut it short. */
class Window(val index: Int, val start: Long, val samplesMv: DoubleArray?, val segment: Int) {
    val hasGap: Boolean get() = samplesMv?.any { it.isNaN() } ?: false
}

/**
 * Cut model windows of [need] samples every [hop] samples from sequenced chunks (`streaming/windows.py`):
 * starts at `origin, origin + hop, …` where `origin` is the first sample of the stream or of the
 * segment after a clock jump; samples a gap skipped are NaN, so a window spanning a gap is never classified.
 */
class WindowCutter(private val need: Int, private val hop: Int) {
    private var buffer = DoubleArray(0)
    private var bufferStart = 0L
    private var nextStart: Long? = null
    private var count = 0
    private var segment = -1

    private val bufferEnd: Long get() = bufferStart + buffer.size

    /** Add one chunk; every window whose last sample it brings. */
    fun add(chunk: Chunk): List<Window> {
        val out = ArrayList<Window>()
        if (chunk.restart || nextStart == null) {
            out += cutShort()
            segment += 1
            buffer = DoubleArray(0); bufferStart = chunk.start; nextStart = chunk.start
        }
        val missing = (chunk.start - bufferEnd).toInt()
        val grown = DoubleArray(buffer.size + missing + chunk.samplesMv.size) { Double.NaN }
        buffer.copyInto(grown)
        chunk.samplesMv.copyInto(grown, buffer.size + missing)
        buffer = grown
        var start = nextStart!!
        while (start + need <= bufferEnd) {
            val lo = (start - bufferStart).toInt()
            out += window(start, buffer.copyOfRange(lo, lo + need))
            start += hop
        }
        nextStart = start
        val drop = minOf(start - bufferStart, buffer.size.toLong()).toInt()
        buffer = buffer.copyOfRange(drop, buffer.size)
        bufferStart += drop
        return out
    }

    /** Windows already begun when the segment ends (a clock jump): reported without samples. */
    private fun cutShort(): List<Window> {
        val out = ArrayList<Window>()
        var start = nextStart ?: return out
        while (start < bufferEnd) {
            out += window(start, null)
            start += hop
        }
        nextStart = start
        return out
    }

    private fun window(start: Long, samples: DoubleArray?) = Window(count++, start, samples, segment)

    companion object {
        /** `max(1, round(hopSeconds * rate))` samples, as Python. */
        fun hopSamples(hopSeconds: Double, rate: Int): Int = maxOf(1L, pyRound(hopSeconds * rate)).toInt()
    }
}
