package lamscn.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** Control-channel values from the golden codec files -> what the session shows. */
class SensorStatusTest {
    @Test fun polarResponses() {
        val h10 = Device.PolarH10()
        val statuses = Golden.read("streaming/polar_h10_codec.json").arr("control_point_responses").map { SensorStatus.of(h10, hexToBytes(it.str("hex"))) }
        assertEquals(listOf(SensorStatus.Accepted::class, SensorStatus.Accepted::class, SensorStatus.Refused::class, SensorStatus.Refused::class),
            statuses.map { it::class })
        assertEquals("PMD op 2 (ECG) failed: error 8 (invalid sample rate)", statuses[2].message)
        assertTrue(SensorStatus.of(h10, hexToBytes("f003000000")) is SensorStatus.Stopped)
        for (bad in Golden.read("streaming/polar_h10_codec.json").arr("control_point_errors")) {
            val s = SensorStatus.of(h10, hexToBytes(bad.str("hex")))
            assertEquals(SensorStatus.Unreadable("Polar H10: ${bad.str("message")}"), s)
        }
    }

    @Test fun movesenseResults() {
        val m = Device.Movesense()
        val statuses = Golden.read("streaming/movesense_codec.json").arr("command_results").map { SensorStatus.of(m, hexToBytes(it.str("hex"))) }
        assertEquals(listOf(SensorStatus.Accepted::class, SensorStatus.Refused::class, SensorStatus.Accepted::class), statuses.map { it::class })
        assertEquals("Movesense: Hello", statuses[2].message)
        assertTrue(SensorStatus.of(m, byteArrayOf(2)) is SensorStatus.Unreadable)
    }
}
