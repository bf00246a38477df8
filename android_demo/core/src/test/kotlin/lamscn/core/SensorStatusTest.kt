package lamscn.core

import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
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

    @Test fun polarStopNoticeEndsOnlyAnEcgStream() {
        val h10 = Device.PolarH10()
        val notices = Golden.read("streaming/polar_h10_codec.json").arr("control_point_notices")
        for (n in notices) {
            val s = SensorStatus.of(h10, hexToBytes(n.str("hex")))
            val ecg = n.jsonObject["ecg"]!!.jsonPrimitive.content.toBoolean()
            assertEquals(if (ecg) SensorStatus.Stopped::class else SensorStatus.Notice::class, s::class)
            assertTrue(s.message, s.message.startsWith("Polar H10: ${n.str("message")}"))
        }
        assertEquals(SensorStatus.Stopped("Polar H10: the sensor stopped the measurement (ECG)"), SensorStatus.of(h10, hexToBytes("0100")))
    }

    @Test fun controlChannelJoinsMultiPartResponses() {
        val channel = ControlChannel(Device.PolarH10())
        val join = Golden.read("streaming/polar_h10_codec.json").arr("control_point_joins")[0]
        val parts = join.arr("parts").strings().map(::hexToBytes)
        assertEquals(null, channel.receive(parts[0]))
        assertEquals(SensorStatus.Stopped("Polar H10: the sensor stopped the measurement (ECG)"), channel.receive(hexToBytes("0100")))
        assertEquals(SensorStatus.Accepted("Polar H10: get measurement settings accepted"), channel.receive(parts[1]))
        assertEquals(SensorStatus.Accepted("Polar H10: request measurement start accepted"), channel.receive(hexToBytes("f002000000")))
        assertEquals(null, channel.receive(parts[0]))
        assertTrue(channel.receive(hexToBytes("f002000000")) is SensorStatus.Unreadable) // a part of another op
        assertTrue(channel.receive(hexToBytes("f001")) is SensorStatus.Unreadable)
        val m = ControlChannel(Device.Movesense())
        assertEquals(SensorStatus.Accepted("Movesense: command 99 accepted"), m.receive(hexToBytes("016300c8")))
    }

    @Test fun movesenseResults() {
        val m = Device.Movesense()
        val statuses = Golden.read("streaming/movesense_codec.json").arr("command_results").map { SensorStatus.of(m, hexToBytes(it.str("hex"))) }
        assertEquals(listOf(SensorStatus.Accepted::class, SensorStatus.Refused::class, SensorStatus.Accepted::class), statuses.map { it::class })
        assertEquals("Movesense: Hello", statuses[2].message)
        assertTrue(SensorStatus.of(m, byteArrayOf(2)) is SensorStatus.Unreadable)
    }
}
