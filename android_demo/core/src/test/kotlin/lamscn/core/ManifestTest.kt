package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.io.File

/** The manifest reader on a synthetic manifest, on broken ones (each refused with a clear line), and on the real
 *  `manifest.json` files `export/build.py --target android` writes. */
class ManifestTest {

    /** The synthetic manifest with [path] set to [value] (removed when null), written with its artifact. */
    private fun at(path: String, value: JsonElement?): File = TestManifests.write(
        JsonObject(TestManifests.document(1, TestManifests.artifactBytes)).edited(path, value) as JsonObject, TestManifests.artifactBytes)

    private fun numbers(vararg xs: Number) = JsonArray(xs.map { JsonPrimitive(it) })

    @Test fun syntheticManifestCarriesTheGoldenNumbers() {
        val m = TestManifests.synthetic()
        assertEquals(listOf("N", "A", "O", "~"), m.codes)
        assertEquals("~", m.poorSignalLabel)
        assertNull(Manifest.read(at("decision/poor_signal_label", JsonNull)).poorSignalLabel)  // a task without the class
        for (file in Golden.preprocessingFiles()) {
            val rate = file.int("rate_hz")
            val golden = Golden.preprocessingSpec(rate)
            assertArrayEquals(golden.taps(rate), m.preprocessing.taps(rate), 0.0)
            assertEquals(golden.inputLength(rate), m.preprocessing.inputLength(rate))
        }
        assertEquals(TestManifests.ARTIFACT, m.artifactFile("executorch-xnnpack", "fp32").name)
    }

    @Test fun brokenManifestsAreRefused() {
        val cases = listOf(
            Triple("wrong schema version", "schema_version 'lamscn-manifest/2', expected 'lamscn-manifest/1'",
                at("schema_version", JsonPrimitive("lamscn-manifest/2"))),
            Triple("no schema version", "schema_version missing", at("schema_version", null)),
            Triple("missing labels", "manifest (root): missing field 'labels'", at("labels", null)),
            Triple("missing quality number", "manifest live/quality/flat: missing field 'min_ptp_mv'", at("live/quality/flat/min_ptp_mv", null)),
            Triple("hop as text", "manifest live: 'hop_seconds' must be a number", at("live/hop_seconds", JsonPrimitive("5"))),
            Triple("missing sos", "manifest preprocessing/bandpass: missing field 'sos'", at("preprocessing/bandpass/sos", null)),
            Triple("input shape of other leads", "manifest input: shape [1, 3, 1000]", at("input/shape", numbers(1, 3, 1000))),
            Triple("rule of the other task", "rule 'threshold' does not fit", at("decision/rule", JsonPrimitive("threshold"))),
            Triple("poor signal label of an unknown code", "manifest decision/poor_signal_label: 'noise' is not one of the labels' codes (N, A, O, ~)",
                at("decision/poor_signal_label", JsonPrimitive("noise"))),
            Triple("poor signal label missing", "manifest decision: missing field 'poor_signal_label'", at("decision/poor_signal_label", null)),
            Triple("poor signal label as a number", "manifest decision: 'poor_signal_label' must be a string",
                at("decision/poor_signal_label", JsonPrimitive(3))),
            Triple("wrong checksum", "does not match the manifest's", at("artifacts/0/sha256", JsonPrimitive("0".repeat(64)))),
            // the checks across fields of contract/manifest.py (python_tests/test_manifest_schema.py BROKEN)
            Triple("taps as text", "manifest preprocessing/antialias/taps_by_rate: '250' must be an array",
                at("preprocessing/antialias/taps_by_rate/250", JsonPrimitive("0.1,0.2"))),
            Triple("empty taps", "manifest preprocessing/antialias/taps_by_rate: '250' must not be empty",
                at("preprocessing/antialias/taps_by_rate/250", JsonArray(emptyList()))),
            Triple("taps of a rate resample lacks", "preprocessing/antialias/taps_by_rate: rates [125, 128, 200, 250, 256, 300, 360, 500, 512] differ from resample's",
                at("preprocessing/antialias/taps_by_rate/130", null)),
            Triple("no input length at the model rate", "input_samples_by_rate: has no entry for the model rate 100",
                at("preprocessing/resample/input_samples_by_rate/100", null)),
            Triple("sos row of 2", "manifest preprocessing/bandpass: sos[0] has 2 numbers, expected 6",
                at("preprocessing/bandpass/sos/0", numbers(1.0, 0.5))),
            Triple("zi row of 3", "manifest preprocessing/bandpass: zi[0] has 3 numbers, expected 2",
                at("preprocessing/bandpass/zi/0", numbers(0.1, 0.2, 0.3))),
            Triple("zi row missing", "manifest preprocessing/bandpass: zi has 3 rows for 4 sos sections", at("preprocessing/bandpass/zi/3", null)),
            Triple("negative padlen", "manifest preprocessing/bandpass: padlen -1 must be >= 0", at("preprocessing/bandpass/padlen", JsonPrimitive(-1))),
            Triple("zero std floor", "manifest preprocessing/standardize: std_floor 0.0 must be > 0",
                at("preprocessing/standardize/std_floor", JsonPrimitive(0))),
            Triple("window of other seconds", "manifest preprocessing: window_samples 1000 is not window_seconds x model_rate_hz",
                at("preprocessing/window_seconds", JsonPrimitive(9.5))),
            Triple("window section of another length", "manifest window: samples or sample_rate_hz differ", at("window/samples", JsonPrimitive(999))),
            Triple("threshold 0", "manifest labels[1]: threshold 0.0 must be in (0, 1]", at("labels/1/threshold", JsonPrimitive(0))),
            Triple("threshold above 1", "manifest labels[0]: threshold 1.5 must be in (0, 1]", at("labels/0/threshold", JsonPrimitive(1.5))),
            Triple("two labels for four outputs", "manifest output: shape [1, 4], expected [1, 2] (one per label)",
                at("labels", JsonArray((TestManifests.document(1, TestManifests.artifactBytes)["labels"] as JsonArray).take(2)))),
            Triple("check without its section", "manifest live/quality/noisy: listed in checks but has no section", at("live/quality/noisy", null)),
            Triple("empty quality", "manifest live/quality: missing field 'checks'", at("live/quality", JsonObject(emptyMap()))),
            Triple("unknown check", "manifest live/quality: checks [wobbly, flat, saturated, implausible, noisy] are not the ones",
                at("live/quality/checks/0", JsonPrimitive("wobbly"))),
            Triple("other gap rounding", "manifest live/sequencer: gap_rounding 'round_half_even' is not implemented here",
                at("live/sequencer/gap_rounding", JsonPrimitive("round_half_even"))),
            Triple("no clock drift", "manifest live/sequencer: missing field 'max_clock_drift'", at("live/sequencer/max_clock_drift", null)),
            Triple("no no-data timeout", "manifest live: missing field 'no_data_seconds'", at("live/no_data_seconds", null)),
            Triple("zero no-data timeout", "manifest live: no_data_seconds 0.0 must be > 0", at("live/no_data_seconds", JsonPrimitive(0))),
            Triple("no debounce", "manifest live/debounce: debounce_windows 0 must be >= 1", at("live/debounce/debounce_windows", JsonPrimitive(0))),
            Triple("artifact listed twice", "manifest artifacts: ${TestManifests.ARTIFACT} is listed twice",
                at("artifacts", JsonArray(List(2) { (TestManifests.document(1, TestManifests.artifactBytes)["artifacts"] as JsonArray)[0] }))),
        )
        for ((what, expected, dir) in cases) assertRefused<ManifestError>(what, expected) { Manifest.read(dir) }
        val tampered = TestManifests.syntheticDir()
        File(tampered, TestManifests.ARTIFACT).writeBytes(TestManifests.artifactBytes.copyOf().also { it[0] = (it[0] + 1).toByte() })
        assertRefused<ManifestError>("tampered artifact", "does not match the manifest's") { Manifest.read(tampered) }
        val missing = TestManifests.syntheticDir().also { File(it, TestManifests.ARTIFACT).delete() }
        assertRefused<ManifestError>("missing artifact", "artifact ${TestManifests.ARTIFACT}: no such file") { Manifest.read(missing) }
        val notJson = TestManifests.syntheticDir().also { File(it, Manifest.FILE_NAME).writeText("{\"schema_version\": ") }
        assertRefused<ManifestError>("not JSON", "not valid JSON") { Manifest.read(notJson) }
        assertRefused<ManifestError>("no manifest", "no such file") { Manifest.read(File(TestManifests.syntheticDir(), "nowhere")) }
        println("manifest: ${cases.size + 4} broken manifests refused")
    }

    @Test fun anEditedThresholdIsRefusedOnlyByThePinnedDigest() {
        val doc = TestManifests.document(1, TestManifests.artifactBytes)
        val dir = TestManifests.write(doc, TestManifests.artifactBytes)
        val manifest = File(dir, Manifest.FILE_NAME)
        val pin = Manifest.sha256(manifest)
        Manifest.read(dir, pinnedSha256 = pin.uppercase())
        val labels = doc["labels"] as JsonArray
        doc["labels"] = JsonArray(listOf(JsonObject((labels[0] as JsonObject) + mapOf("threshold" to JsonPrimitive(0.99)))) + labels.drop(1))
        manifest.writeText(JsonObject(doc).toString())
        assertEquals(0.99, Manifest.read(dir).labels[0].threshold, 0.0)  // still valid: only the pin can tell
        val file = dir
        assertRefused<ManifestError>("edited threshold under a pin", "pinned by the app build") { Manifest.read(file, pinnedSha256 = pin) }
    }

    @Test fun realManifestsFromBuildPy() {
        assumeTrue(TestManifests.NO_REAL, TestManifests.realDirs.isNotEmpty())
        for (dir in TestManifests.realDirs) {
            val m = Manifest.read(dir)
            for (file in Golden.preprocessingFiles()) {
                val rate = file.int("rate_hz")
                val golden = Golden.preprocessingSpec(rate)
                assertArrayEquals("$dir taps $rate", golden.taps(rate), m.preprocessing.taps(rate), 1e-15)
                assertEquals(golden.inputLength(rate), m.preprocessing.inputLength(rate))
                golden.sos.indices.forEach { assertArrayEquals(golden.sos[it], m.preprocessing.sos[it], 1e-15); assertArrayEquals(golden.zi[it], m.preprocessing.zi[it], 1e-15) }
                assertEquals(golden.padlen, m.preprocessing.padlen)
            }
            val live = Golden.read("streaming/live_polar_h10.json").obj("numbers")
            assertEquals(live["hop_seconds"].toString().toDouble(), m.live.hopSeconds, 0.0)
            assertEquals(SequencerSpec.from(fields(live.obj("sequencer"))), m.live.sequencer)
            assertEquals(QualitySpec.from(fields(live.obj("quality"))), m.live.quality)
            assertEquals(HeartRateSpec.from(fields(live.obj("heart_rate"))), m.live.heartRate)
            assertEquals(live["no_data_seconds"].toString().toDouble(), m.live.noDataSeconds, 0.0)
            assertEquals(m.inputShape, listOf(1L, m.leads.size.toLong(), m.preprocessing.windowSamples.toLong()))
            // decision.poor_signal_label: CinC 2017's "~" (noisy), none for the 12-lead PTB-XL task
            val poorSignal = mapOf("lamscn_1lead_cinc2017" to "~", "lamscn_12lead_ptbxl17" to null)
            if (m.modelName in poorSignal) assertEquals("${m.modelName} poor_signal_label", poorSignal[m.modelName], m.poorSignalLabel)
            assertTrue(m.poorSignalLabel == null || m.poorSignalLabel in m.codes)
            val pte = m.artifacts.first { it.file.endsWith(".pte") }
            assertTrue(File(dir, pte.file).isFile)
            val h10 = Device.parse("polar-h10")
            if (m.leads.size == 1) m.requireFits(h10) else try { m.requireFits(h10); fail("${m.modelName} on a 1-lead device") } catch (e: ModelMismatch) {
                assertEquals("this model needs ${m.leads.size} leads; Polar H10 provides 1", e.message)
            }
            val copy = kotlin.io.path.createTempDirectory("lamscn-real").toFile()
            dir.copyRecursively(copy, overwrite = true)
            File(copy, pte.file).appendBytes(byteArrayOf(0))
            assertRefused<ManifestError>("${m.modelName} with a changed .pte", "artifact ${pte.file}: sha256") { Manifest.read(copy) }
            copy.deleteRecursively()
            println("real manifest ${m.modelName} (${m.leads.size} leads, ${m.labels.size} labels, ${m.artifacts.size} artifacts, " +
                "poor signal ${m.poorSignalLabel?.let { "'$it'" } ?: "none"}): read, checked, tampered copy refused")
        }
    }
}
