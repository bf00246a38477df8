package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.io.File

/** The manifest reader on a synthetic manifest, on broken ones (each refused with a clear line), and on the real
 *  `manifest.json` files `export/build.py --target android` writes. */
class ManifestTest {
    private fun refused(what: String, expected: String, read: () -> Unit) {
        try {
            read(); fail("$what: accepted")
        } catch (e: ManifestError) {
            assertTrue("$what: '${e.message}' should contain '$expected'", e.message!!.contains(expected))
            assertTrue("$what: one line", '\n' !in e.message!!)
        }
    }

    private fun mutated(change: (MutableMap<String, JsonElement>) -> Unit): File {
        val doc = TestManifests.document(1, TestManifests.artifactBytes)
        change(doc)
        return TestManifests.write(doc, TestManifests.artifactBytes)
    }

    private fun JsonElement.with(path: List<String>, value: JsonElement?): JsonElement {
        val o = (this as JsonObject).toMutableMap()
        if (path.size == 1) { if (value == null) o.remove(path[0]) else o[path[0]] = value } else o[path[0]] = o[path[0]]!!.with(path.drop(1), value)
        return JsonObject(o)
    }

    private fun at(path: String, value: JsonElement?) = mutated { doc ->
        val parts = path.split('/')
        if (parts.size == 1) { if (value == null) doc.remove(path) else doc[path] = value } else doc[parts[0]] = doc[parts[0]]!!.with(parts.drop(1), value)
    }

    @Test fun syntheticManifestCarriesTheGoldenNumbers() {
        val m = TestManifests.synthetic()
        assertEquals(listOf("N", "A", "O", "~"), m.codes)
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
            Triple("input shape of other leads", "manifest input: shape [1, 3, 1000]",
                at("input/shape", JsonArray(listOf(1, 3, 1000).map { JsonPrimitive(it) }))),
            Triple("rule of the other task", "rule 'threshold' does not fit", at("decision/rule", JsonPrimitive("threshold"))),
            Triple("wrong checksum", "does not match the manifest's", at("artifacts", JsonArray(listOf(JsonObject(
                (TestManifests.document(1, TestManifests.artifactBytes)["artifacts"] as JsonArray)[0] as JsonObject + mapOf("sha256" to JsonPrimitive("0".repeat(64)))))))),
        )
        for ((what, expected, dir) in cases) refused(what, expected) { Manifest.read(dir) }
        val tampered = TestManifests.syntheticDir()
        File(tampered, TestManifests.ARTIFACT).writeBytes(TestManifests.artifactBytes.copyOf().also { it[0] = (it[0] + 1).toByte() })
        refused("tampered artifact", "does not match the manifest's") { Manifest.read(tampered) }
        val missing = TestManifests.syntheticDir().also { File(it, TestManifests.ARTIFACT).delete() }
        refused("missing artifact", "artifact ${TestManifests.ARTIFACT}: no such file") { Manifest.read(missing) }
        val notJson = TestManifests.syntheticDir().also { File(it, Manifest.FILE_NAME).writeText("{\"schema_version\": ") }
        refused("not JSON", "not valid JSON") { Manifest.read(notJson) }
        refused("no manifest", "no such file") { Manifest.read(File(TestManifests.syntheticDir(), "nowhere")) }
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
        refused("edited threshold under a pin", "pinned by the app build") { Manifest.read(file, pinnedSha256 = pin) }
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
            assertEquals(m.inputShape, listOf(1L, m.leads.size.toLong(), m.preprocessing.windowSamples.toLong()))
            val pte = m.artifacts.first { it.file.endsWith(".pte") }
            assertTrue(File(dir, pte.file).isFile)
            val h10 = Device.parse("polar-h10")
            if (m.leads.size == 1) m.requireFits(h10) else try { m.requireFits(h10); fail("${m.modelName} on a 1-lead device") } catch (e: ModelMismatch) {
                assertEquals("this model needs ${m.leads.size} leads; Polar H10 provides 1", e.message)
            }
            val copy = kotlin.io.path.createTempDirectory("lamscn-real").toFile()
            dir.copyRecursively(copy, overwrite = true)
            File(copy, pte.file).appendBytes(byteArrayOf(0))
            refused("${m.modelName} with a changed .pte", "artifact ${pte.file}: sha256") { Manifest.read(copy) }
            copy.deleteRecursively()
            println("real manifest ${m.modelName} (${m.leads.size} leads, ${m.labels.size} labels, ${m.artifacts.size} artifacts): read, checked, tampered copy refused")
        }
    }
}
