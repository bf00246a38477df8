package lamscn.core

import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** `golden/streaming/polar_h10_codec.json`: commands, responses, frames and failing bytes. */
class PolarPmdTest {
    private val g = Golden.read("streaming/polar_h10_codec.json")

    @Test fun uuidsAndCommands() {
        assertEquals(g.obj("uuids").str("service"), PolarPmd.SERVICE_UUID)
        assertEquals(g.obj("uuids").str("control_point"), PolarPmd.CONTROL_POINT_UUID)
        assertEquals(g.obj("uuids").str("data"), PolarPmd.DATA_UUID)
        assertEquals(g.obj("commands").str("get_settings_ecg"), PolarPmd.getSettingsCommand().toHex())
        assertEquals(g.obj("commands").str("start_ecg_130hz_14bit"), PolarPmd.startEcgCommand().toHex())
        assertEquals(g.obj("commands").str("stop_ecg"), PolarPmd.stopCommand().toHex())
        val h10 = Device.parse("polar-h10")
        assertEquals(g.arr("start_sequence").strings(), h10.startCommands().map { it.toHex() })
        assertEquals(g.arr("stop_sequence").strings(), h10.stopCommands().map { it.toHex() })
    }

    @Test fun controlPointResponses() {
        for (case in g.arr("control_point_responses")) {
            val r = PolarPmd.decodeControlPointResponse(hexToBytes(case.str("hex")))
            assertEquals(case.int("op"), r.op)
            assertEquals(case.int("measurement_type"), r.measurementType)
            assertEquals(case.int("status"), r.status)
            assertEquals(case.str("status_text"), r.statusText)
            assertEquals(case.jsonObject["more"]!!.jsonPrimitive.content.toBoolean(), r.more)
            val settings = case.obj("settings")
            assertEquals(settings.keys, r.settings().keys.map { it.name }.toSet())
            for ((k, v) in r.settings()) assertEquals(settings.arr(k.name).map { it.jsonPrimitive.content.toLong() }, v)
            if (r.ok) r.raiseForStatus() else try {
                r.raiseForStatus(); fail("status ${r.status} must raise")
            } catch (e: ControlPointError) {
                assertTrue(e.message!!, e.message!!.contains(r.statusText))
            }
        }
    }

    @Test fun failingControlPointBytes() = expectErrors(g.arr("control_point_errors")) { PolarPmd.decodeControlPointResponse(it) }

    @Test fun ecgFramesDecodeAndEncode() {
        for (case in g.arr("ecg_frames")) {
            val bytes = hexToBytes(case.str("hex"))
            val f = PolarPmd.decodeEcgFrame(bytes)
            assertEquals(case.jsonObject["timestamp_ns"]!!.jsonPrimitive.content, f.timestampNs.toString())
            assertArrayEquals(case.arr("samples_uv").ints(), f.samplesUv)
            assertEquals(case.str("hex"), PolarPmd.encodeEcgFrame(f.samplesUv, f.timestampNs).toHex())
        }
    }

    @Test fun failingEcgBytes() = expectErrors(g.arr("ecg_frame_errors")) { PolarPmd.decodeEcgFrame(it) }

    @Test fun deviceStopIsAStatusNotAnError() {
        // a device-initiated stop answers op 3 on the control point: decoded like any response
        val r = PolarPmd.decodeControlPointResponse(hexToBytes("f003000000"))
        assertEquals(PolarPmd.Op.STOP_MEASUREMENT.code, r.op)
        assertTrue(r.ok)
        assertFalse(r.more)
    }
}

/** Each case's bytes must fail with the golden error class and message, nothing else. */
fun expectErrors(cases: kotlinx.serialization.json.JsonArray, decode: (ByteArray) -> Unit) {
    assertTrue("no error cases", cases.isNotEmpty())
    for (case in cases) {
        try {
            decode(hexToBytes(case.str("hex")))
            fail("${case.str("hex").take(40)} decoded but must fail with ${case.str("error")}")
        } catch (e: FrameError) {
            assertEquals(case.str("error"), e::class.simpleName)
            assertEquals(case.str("message"), e.message)
        }
    }
}
