package lamscn.core

import org.junit.Assert.assertArrayEquals
import org.junit.Test

class StripBufferTest {
    @Test fun keepsTheLastSamplesWithGapsAsNaNAndRestartsAfterAClockJump() {
        val s = StripBuffer(6)
        s.add(Chunk(0, doubleArrayOf(1.0, 2.0, 3.0), restart = true))
        s.add(Chunk(5, doubleArrayOf(6.0, 7.0), restart = false)) // samples 3 and 4 were a gap
        assertArrayEquals(floatArrayOf(2f, 3f, Float.NaN, Float.NaN, 6f, 7f), s.snapshot(), 0f)
        s.add(Chunk(7, doubleArrayOf(8.0), restart = true))
        assertArrayEquals(floatArrayOf(8f), s.snapshot(), 0f)
    }
}
