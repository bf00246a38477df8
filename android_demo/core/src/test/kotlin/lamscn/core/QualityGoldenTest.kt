package lamscn.core

import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import kotlin.math.abs

/**
 * `golden/quality/quality_heart_rate.json` (`python -m contract.golden`): one-lead raw windows on both sides of
 * every quality bound, each through this core's preprocessing, quality gate and heart-rate detector at the file's
 * rate, with the gate's and the detector's numbers from the file (the manifest's `live.quality` / `live.heart_rate`).
 */
class QualityGoldenTest {
    private val doc: JsonObject by lazy { Golden.read("quality/quality_heart_rate.json") }

    private fun number(case: JsonObject, key: String): Double? =
        case[key].let { if (it == null || it is JsonNull) null else it.jsonPrimitive.double }

    private fun assertNear(what: String, expected: Double, actual: Double?, tol: Double) {
        assertNotNull("$what: expected $expected, got null", actual)
        assertTrue("$what: expected $expected, got $actual", abs(expected - actual!!) <= tol)
    }

    @Test fun everyCaseOnBothSidesOfEveryBound() {
        assertEquals("lamscn-golden-quality/1", doc.str("schema"))
        val rate = doc.int("rate_hz")
        val tol = doc["tolerance"]!!.jsonPrimitive.double
        val quality = QualitySpec.from(fields(doc.obj("quality"), "quality"))
        val heart = HeartRateSpec.from(fields(doc.obj("heart_rate"), "heart_rate"))
        val pre = Golden.preprocessingSpec(rate)
        val preprocessor = Preprocessor(pre)
        val gate = QualityGate(quality)
        val detector = HeartRate(heart)
        val cases = doc.arr("cases").map { it as JsonObject }
        assertTrue("no cases", cases.isNotEmpty())
        var numbers = 0
        var peaks = 0
        for (case in cases) {
            val name = case.str("name")
            val input = case.arr("input").let { a -> DoubleArray(a.size) { a[it].let { v -> if (v is JsonNull) Double.NaN else v.jsonPrimitive.double } } }
            assertEquals("$name: input length", pre.inputLength(rate), input.size)
            val raw = arrayOf(input)
            val finite = input.all { it.isFinite() }
            val p = if (finite) preprocessor.window(raw, rate) else null
            val q = gate.assess(raw, rate, p)
            assertEquals("$name: reasons", case.arr("reasons").strings(), q.reasons)
            assertEquals("$name: lead reasons", case.arr("reasons").strings(), q.leads[0].reasons)
            if (p == null) continue // non_finite: reasons only
            val lead = q.leads[0]
            for ((key, got) in listOf("min_segment_ptp_mv" to lead.minSegmentPtpMv, "max_abs_mv" to lead.maxAbsMv, "std_mv" to lead.stdMv,
                    "saturated_fraction" to lead.saturatedFraction, "noise_ratio" to lead.noiseRatio)) {
                val want = number(case, key) ?: continue // noise_ratio null: std below the floor, not compared
                assertNear("$name: $key", want, got, tol)
                numbers++
            }
            if (case.isNull("r_peaks")) continue // not compared (std below the floor)
            val x = p.filtered[0]
            assertEquals("$name: r_peaks", case.arr("r_peaks").ints().toList(), detector.rPeaks(x, pre.modelRate))
            val bpm = detector.bpm(x, pre.modelRate)
            val want = number(case, "heart_rate_bpm")
            if (want == null) assertNull("$name: heart_rate_bpm (fewer than two peaks)", bpm) else assertNear("$name: heart_rate_bpm", want, bpm, tol)
            peaks++
        }
        // the file covers every check of the gate, a passing lead, and a window with a single peak
        val reasons = cases.flatMap { it.arr("reasons").strings() }.toSet()
        assertEquals(quality.checks.toSet(), reasons)
        assertTrue(cases.any { it.arr("reasons").isEmpty() })
        assertTrue(cases.any { !it.isNull("r_peaks") && it.arr("r_peaks").size == 1 && it.isNull("heart_rate_bpm") })
        println("quality golden: ${cases.size} cases at $rate Hz matched ($numbers numbers, $peaks peak lists)")
    }

    /** The file's gate and detector numbers are the ones the live streams and the real manifests carry. */
    @Test fun numbersAreTheManifests() {
        val live = Golden.read("streaming/live_polar_h10.json").obj("numbers")
        val quality = QualitySpec.from(fields(doc.obj("quality"), "quality"))
        val heart = HeartRateSpec.from(fields(doc.obj("heart_rate"), "heart_rate"))
        assertEquals(QualitySpec.from(fields(live.obj("quality"))), quality)
        assertEquals(HeartRateSpec.from(fields(live.obj("heart_rate"))), heart)
        assertEquals(0, doc.obj("heart_rate").int("lead"))
        for (dir in TestManifests.realDirs) {
            val m = Manifest.read(dir)
            assertEquals("$dir live/quality", m.live.quality, quality)
            assertEquals("$dir live/heart_rate", m.live.heartRate, heart)
        }
    }
}
