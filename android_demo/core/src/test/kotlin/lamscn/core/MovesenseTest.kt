package lamscn.core

import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

/** `golden/streaming/movesense_codec.json`: commands, command results, notifications and failing bytes. */
class MovesenseTest {
    private val g = Golden.read("streaming/movesense_codec.json")

    @Test fun uuidsCommandsAndUnits() {
        assertEquals(g.obj("uuids").str("service"), Movesense.SERVICE_UUID)
        assertEquals(g.obj("uuids").str("command"), Movesense.COMMAND_UUID)
        assertEquals(g.obj("uuids").str("data"), Movesense.DATA_UUID)
        assertEquals(g.jsonObject["uv_per_lsb"]!!.jsonPrimitive.content.toDouble(), Movesense.UV_PER_LSB, 0.0)
        assertEquals(g.obj("commands").str("hello_ref99"), Movesense.helloCommand(99).toHex())
        assertEquals(g.obj("commands").str("subscribe_ecg_250hz_ref99"), Movesense.subscribeEcgCommand(250, 99).toHex())
        assertEquals(g.obj("commands").str("unsubscribe_ref99"), Movesense.unsubscribeCommand(99).toHex())
        val m = Device.parse("movesense")
        assertEquals(g.arr("start_sequence").strings(), m.startCommands().map { it.toHex() })
        assertEquals(g.arr("stop_sequence").strings(), m.stopCommands().map { it.toHex() })
    }

    @Test fun commandResults() {
        for (case in g.arr("command_results")) {
            val r = Movesense.decodeCommandResult(hexToBytes(case.str("hex")))
            assertEquals(case.int("reference"), r.reference)
            assertEquals(if (case.jsonObject["status"] is JsonNull) null else case.int("status"), r.status)
            assertEquals(case.str("payload_hex"), r.payload.toHex())
        }
    }

    @Test fun ecgNotificationsDecodeAndEncode() {
        for (case in g.arr("ecg_notifications")) {
            val n = Movesense.decodeEcgNotification(hexToBytes(case.str("hex")))
            assertEquals(case.int("reference"), n.reference)
            assertEquals(case.long("timestamp_ms"), n.timestampMs)
            assertArrayEquals(case.arr("samples").ints(), n.samples)
            assertEquals(case.str("hex"), Movesense.encodeEcgNotification(n.samples, n.timestampMs, n.reference).toHex())
        }
    }

    @Test fun failingBytes() = expectErrors(g.arr("ecg_notification_errors")) { Movesense.decodeEcgNotification(it) }

    @Test fun devicesParseRatesAndRefuseOthers() {
        assertEquals(512, Device.parse("movesense@512").rate)
        for (bad in listOf("movesense@300", "polar-h10@250", "movesense@x", "fitbit")) {
            try { Device.parse(bad); org.junit.Assert.fail("$bad must be refused") } catch (e: InputError) { assert(e.message!!.isNotBlank()) }
        }
    }
}
