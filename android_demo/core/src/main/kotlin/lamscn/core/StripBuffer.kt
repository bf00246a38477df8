package lamscn.core

/** The last [capacity] samples of the ordered stream for a live strip; samples a gap skipped are NaN
 *  (drawn as a break), and a restart after a clock jump starts a fresh strip. */
class StripBuffer(private val capacity: Int) {
    private val values = ArrayDeque<Float>()
    private var end = -1L

    fun add(chunk: Chunk) {
        if (chunk.restart) values.clear()
        else if (end >= 0 && chunk.start > end) repeat(minOf(chunk.start - end, capacity.toLong()).toInt()) { push(Float.NaN) }
        chunk.samplesMv.forEach { push(it.toFloat()) }
        end = chunk.start + chunk.samplesMv.size
    }

    private fun push(v: Float) {
        values.addLast(v)
        if (values.size > capacity) values.removeFirst()
    }

    fun snapshot(): FloatArray = values.toFloatArray()
}
