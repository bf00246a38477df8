package lamscn.core

import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** `golden/streaming/polar_h10_codec.json`: commands, control-point values, settings, frames and failing bytes. */
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
            val r = PolarPmd.decodeControlPoint(hexToBytes(case.str("hex"))) as PolarPmd.ControlPointResponse
            assertResponse(case, r)
            if (r.ok) r.raiseForStatus() else try {
                r.raiseForStatus(); fail("status ${r.status} must raise")
            } catch (e: ControlPointError) {
                assertTrue(e.message!!, e.message!!.contains(r.statusText))
            }
        }
    }

    @Test fun measurementStoppedNotices() {
        for (case in g.arr("control_point_notices")) {
            val n = PolarPmd.decodeControlPoint(hexToBytes(case.str("hex"))) as PolarPmd.MeasurementStopped
            assertNotice(case, n)
        }
    }

    @Test fun failingControlPointBytes() = expectErrors(g.arr("control_point_errors")) { PolarPmd.decodeControlPoint(it) }

    @Test fun multiPartResponsesJoin() {
        for (case in g.arr("control_point_joins")) {
            val r = PolarPmd.joinControlPointResponses(case.arr("parts").strings().map(::hexToBytes))
            assertResponse(case, r)
            assertEquals(case.str("parameters_hex"), r.parameters.toHex())
        }
        for (case in g.arr("control_point_join_errors")) {
            val parts = case.arr("parts").strings().map(::hexToBytes)
            try {
                PolarPmd.joinControlPointResponses(parts); fail("${case.arr("parts")} joined but must fail")
            } catch (e: FrameError) {
                assertEquals(case.str("error"), e::class.simpleName)
                assertEquals(case.str("message"), e.message)
            }
        }
    }

    @Test fun settingsBlocks() {
        for (case in g.arr("settings_blocks")) assertSettings(case.obj("settings"), PolarPmd.decodeSettings(hexToBytes(case.str("hex"))))
    }

    @Test fun failingSettingsBytes() = expectErrors(g.arr("settings_errors")) { PolarPmd.decodeSettings(it) }

    @Test fun securityIsAKeyNotANumber() {
        try {
            PolarPmd.encodeSettings(listOf(PolarPmd.SettingType.SECURITY to 1)); fail("SECURITY must not encode")
        } catch (e: FrameError) {
            assertEquals("PMD setting SECURITY is a 16-byte key, not a number: it cannot be encoded from one", e.message)
        }
    }

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
        // the sensor's own stop is byte 0 = 0x01 (BlePMDClient.processPmdCpCommand), not a response to op 3
        val n = PolarPmd.decodeControlPoint(hexToBytes("0100")) as PolarPmd.MeasurementStopped
        assertTrue(n.ecg)
        assertEquals("the sensor stopped the measurement (ECG)", n.message)
        val r = PolarPmd.decodeControlPoint(hexToBytes("f003000000")) as PolarPmd.ControlPointResponse
        assertEquals(PolarPmd.Op.STOP_MEASUREMENT.code, r.op)
        assertTrue(r.ok)
        assertFalse(r.more)
    }
}

/** A golden response entry (`op`, `measurement_type`, `status`, `status_text`, `more`, `settings`) against [r]. */
fun assertResponse(case: kotlinx.serialization.json.JsonElement, r: PolarPmd.ControlPointResponse) {
    assertEquals(case.int("op"), r.op)
    assertEquals(case.int("measurement_type"), r.measurementType)
    assertEquals(case.int("status"), r.status)
    assertEquals(case.str("status_text"), r.statusText)
    assertEquals(case.jsonObject["more"]!!.jsonPrimitive.content.toBoolean(), r.more)
    if (case.jsonObject.containsKey("settings")) assertSettings(case.obj("settings"), r.settings())
}

/** A golden notice entry (`measurement_types`, `ecg`, `message`) against [n]. */
fun assertNotice(case: kotlinx.serialization.json.JsonElement, n: PolarPmd.MeasurementStopped) {
    assertEquals(case.arr("measurement_types").ints().toList(), n.measurementTypes)
    assertEquals(case.jsonObject["ecg"]!!.jsonPrimitive.content.toBoolean(), n.ecg)
    assertEquals(case.str("message"), n.message)
}

/** A golden settings object (type name -> values) against decoded [settings]. */
fun assertSettings(expected: kotlinx.serialization.json.JsonObject, settings: Map<PolarPmd.SettingType, List<Long>>) {
    assertEquals(expected.keys, settings.keys.map { it.name }.toSet())
    for ((k, v) in settings) assertEquals(expected.arr(k.name).map { it.jsonPrimitive.content.toLong() }, v)
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
