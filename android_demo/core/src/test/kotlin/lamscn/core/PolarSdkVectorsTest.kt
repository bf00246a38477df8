package lamscn.core

import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

/** `golden/streaming/polar_sdk_vectors.json`: bytes from Polar's SDK unit tests, decoded as Python decodes them. */
class PolarSdkVectorsTest {
    private val g = Golden.read("streaming/polar_sdk_vectors.json")

    @Test fun ecgFrames() {
        for (case in g.arr("ecg_frames")) {
            val f = PolarPmd.decodeEcgFrame(hexToBytes(case.str("hex")))
            assertEquals(case.str("test"), case.jsonObject["timestamp_ns"]!!.jsonPrimitive.content, f.timestampNs.toString())
            assertArrayEquals(case.arr("samples_uv").ints(), f.samplesUv)
        }
    }

    @Test fun refusedEcgFrames() = expectErrors(g.arr("ecg_frame_errors")) { PolarPmd.decodeEcgFrame(it) }

    @Test fun controlPoint() {
        for (case in g.arr("control_point")) {
            when (val v = PolarPmd.decodeControlPoint(hexToBytes(case.str("hex")))) {
                is PolarPmd.MeasurementStopped -> {
                    assertEquals(case.str("test"), "measurement_stopped", case.str("kind"))
                    assertNotice(case, v)
                }
                is PolarPmd.ControlPointResponse -> {
                    assertEquals(case.str("test"), "response", case.str("kind"))
                    assertResponse(case, v)
                    assertEquals(case.str("parameters_hex"), v.parameters.toHex())
                }
            }
        }
    }

    @Test fun settings() {
        for (case in g.arr("settings")) assertSettings(case.obj("settings"), PolarPmd.decodeSettings(hexToBytes(case.str("hex"))))
    }
}
