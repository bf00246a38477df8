package lamscn.core

import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** The verdicts the screen shows for the golden live streams, the model self-test on a fake classifier, the watchdog. */
class ScreenTest {
    private fun results(case: String): List<WindowResult> {
        val g = Golden.read("streaming/live_polar_h10.json")
        val n = g.obj("numbers")
        val live = LiveSpec.from(fields(n, "numbers"))
        val m = g.obj("model")
        val clf = RecordedClassifier(m.arr("codes").strings(), m.arr("thresholds").doubles(), false, m.arr("model_outputs").rows().toList())
        val loop = LiveLoop(Device.PolarH10(), Golden.preprocessingSpec(130), live, clf)
        return (g.obj("cases").obj(case).arr("frames").flatMap { loop.feed(hexToBytes(it.jsonPrimitive.content)) } + loop.finish()).filterIsInstance<WindowResult>()
    }

    @Test fun verdictsOfTheGoldenStreams() {
        val m = TestManifests.synthetic()
        assertEquals("~", m.poorSignalLabel)
        val p = VerdictPresenter(m.labels, m.poorSignalLabel)
        assertEquals(listOf(Badge.GOOD, Badge.GOOD, Badge.GOOD), results("clean").map { p.present(it).badge })
        assertEquals(listOf(emptyList(), listOf("A"), emptyList()), results("clean").map { v -> p.present(v).findings.map { it.code } })
        assertEquals(Badge.INTERRUPTED, p.present(results("drop")[0]).badge)
        assertTrue(results("noise").all { p.present(it).badge == Badge.POOR_SIGNAL && p.present(it).message.startsWith("poor signal") })
        val noisyShown = results("clean")[1].let { r -> WindowResult(r.window, r.rate, r.status, null, r.quality, r.preprocessed, r.heartRateBpm, r.probabilities, listOf("~"), listOf("~"), r.codes) }
        assertEquals(Badge.POOR_SIGNAL, p.present(noisyShown).badge)
        // a task without a "too noisy" class (null): every shown code is a finding
        val none = VerdictPresenter(m.labels, null).present(noisyShown)
        assertEquals(Badge.GOOD, none.badge)
        assertEquals(listOf("~"), none.findings.map { it.code })
        // the label comes from the manifest, not a constant: another code of the labels is the poor-signal one
        assertEquals(Badge.POOR_SIGNAL, VerdictPresenter(m.labels, "A").present(results("clean")[1]).badge)
        assertEquals(Badge.GOOD, p.present(results("clean")[1]).badge)
        try {
            VerdictPresenter(m.labels, "X"); fail("a poor-signal code outside the labels: accepted")
        } catch (e: IllegalArgumentException) {
            assertTrue(e.message!!.contains("'X'"))
        }
    }

    private class Fake(override val codes: List<String>, private val out: DoubleArray) : EcgClassifier {
        override val thresholds = DoubleArray(codes.size) { 0.5 }
        override val multiLabel = false
        override fun probabilities(input: FloatArray, shape: LongArray) = out
    }

    @Test fun modelSelfTestOnAFakeClassifier() {
        val m = TestManifests.synthetic()
        val n = m.inputShape.fold(1L) { a, b -> a * b }.toInt()
        val case = ModelIoCase("case 0", FloatArray(n) { (it % 7) / 7f }, doubleArrayOf(0.1, 0.7, 0.1, 0.1), 0.05)
        assertEquals(emptyList<String>(), ModelSelfTest.check(m, Fake(m.codes, doubleArrayOf(0.12, 0.68, 0.1, 0.1)), listOf(case)))
        assertEquals(emptyList<String>(), ModelSelfTest.check(m, Fake(m.codes, doubleArrayOf(0.25, 0.25, 0.25, 0.25)), emptyList()))
        val far = ModelSelfTest.check(m, Fake(m.codes, doubleArrayOf(0.3, 0.5, 0.1, 0.1)), listOf(case))
        assertEquals(listOf("case 0: max |dp| 0.200 exceeds the tolerance 0.0500"), far)
        assertTrue(ModelSelfTest.check(m, Fake(m.codes, doubleArrayOf(0.5, 0.5, Double.NaN, 0.0)), emptyList()).any { "not probabilities" in it })
        assertTrue(ModelSelfTest.check(m, Fake(m.codes.take(3), doubleArrayOf(0.5, 0.5, 0.0)), emptyList()).any { "3 outputs" in it })
        assertTrue(ModelSelfTest.check(m, Fake(m.codes, doubleArrayOf(0.5, 0.5, 0.5, 0.5)), emptyList()).any { "sum to 2.0000" in it })
    }

    @Test fun watchdogReportsSilence() {
        val w = DataWatchdog(5_000)
        val h10 = Device.PolarH10()
        assertNull(w.check(100_000, h10))
        w.subscribed(0)
        assertNull(w.check(4_999, h10))
        assertEquals("no data from Polar H10 for 5 s after subscribing — is it worn and in range?", w.check(5_000, h10))
        w.frame(6_000)
        assertNull(w.check(7_000, h10))
        assertTrue(w.check(12_000, h10)!!.contains("since the last frame"))
    }

    /** The app's watchdog times out after the manifest's `live.no_data_seconds`, not a constant of its own. */
    @Test fun watchdogTimeoutIsTheManifests() {
        val golden = Golden.read("streaming/live_polar_h10.json").obj("numbers")["no_data_seconds"]!!.jsonPrimitive.content.toDouble()
        val m = TestManifests.synthetic()
        assertEquals(golden, m.live.noDataSeconds, 0.0)
        assertEquals(Math.round(golden * 1000), DataWatchdog(m.live).timeoutMillis)
        val doc = JsonObject(TestManifests.document(1, TestManifests.artifactBytes)).edited("live/no_data_seconds", JsonPrimitive(2.5)) as JsonObject
        val w = DataWatchdog(Manifest.read(TestManifests.write(doc, TestManifests.artifactBytes)).live)
        assertEquals(2_500L, w.timeoutMillis)
        val ms = Device.parse("movesense")
        w.subscribed(10_000)
        assertNull(w.check(12_499, ms))
        assertEquals("no data from ${ms.label} for 2 s after subscribing — is it worn and in range?", w.check(12_500, ms))
    }
}
