package lamscn.core

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.io.File
import java.nio.file.Files
import java.util.Base64
import kotlin.math.abs
import kotlin.math.sqrt

/** `model_io.json`: a hand-encoded synthetic file decodes bit for bit; the real files `export/build.py` writes hold
 *  z-scored model inputs whose expected outputs pass [ModelSelfTest] and whose perturbation it catches; cases of
 *  another build (or malformed) are refused with one line. */
class ModelIoCasesTest {
    /** Answers each case's input with its expected outputs, [perturbed]'s moved by [by] (see [moved]). */
    private class Scripted(m: Manifest, private val cases: List<ModelIoCase>, private val perturbed: ModelIoCase? = null,
                           private val by: Double = 0.0) : EcgClassifier {
        override val codes = m.codes
        override val thresholds = m.thresholds
        override val multiLabel = m.multiLabel

        override fun probabilities(input: FloatArray, shape: LongArray): DoubleArray {
            val case = cases.first { it.input.contentEquals(input) }
            return if (case === perturbed) moved(case.expected, by, multiLabel) else case.expected.copyOf()
        }
    }

    /** A case's synthetic window: distinct values whose four bytes all differ from case to case. */
    private fun window(m: Manifest, case: Int) = FloatArray(m.leads.size * m.preprocessing.windowSamples) { ((it * 37 + case * 11) % 101 - 50) / 8.25f }

    /** Little-endian float32 bytes written bit by bit (not through the reader's ByteBuffer), in base64. */
    private fun encode(x: FloatArray): String {
        val bytes = ByteArray(4 * x.size)
        x.forEachIndexed { i, v -> val bits = v.toRawBits(); for (b in 0..3) bytes[4 * i + b] = (bits ushr (8 * b)).toByte() }
        return Base64.getEncoder().encodeToString(bytes)
    }

    /** The `model_io.json` of the synthetic manifest's artifact: two cases with [expected] outputs. */
    private fun syntheticDocument(m: Manifest, expected: List<DoubleArray>): JsonObject {
        fun o(vararg kv: Pair<String, JsonElement>) = JsonObject(mapOf(*kv))
        fun numbers(x: DoubleArray) = JsonArray(x.map { JsonPrimitive(it) })
        val a = m.artifacts.single()
        return o(
            "schema" to JsonPrimitive(ModelIoCases.SCHEMA),
            "model" to o("name" to JsonPrimitive(m.modelName), "version" to JsonPrimitive(m.modelVersion)),
            "input" to o("name" to JsonPrimitive("ecg"), "shape" to JsonArray(m.inputShape.map { JsonPrimitive(it) }),
                "encoding" to JsonPrimitive("base64 of float32 little-endian, row-major [leads, samples]")),
            "labels" to JsonArray(m.codes.map { JsonPrimitive(it) }),
            "cases" to JsonArray(expected.indices.map {
                o("name" to JsonPrimitive("synthetic $it"), "input_f32le_b64" to JsonPrimitive(encode(window(m, it))), "reference" to numbers(expected[it]))
            }),
            "artifacts" to o(a.file to o("sha256" to JsonPrimitive(a.sha256), "precision" to JsonPrimitive(a.precision),
                "tolerance" to JsonPrimitive(1e-4), "expected" to JsonArray(expected.map { numbers(it) }),
                "max_abs_diff_to_reference" to JsonPrimitive(0.0))),
        )
    }

    private fun synthetic(): Pair<Manifest, File> {
        val dir = TestManifests.syntheticDir()
        val m = Manifest.read(dir)
        val doc = syntheticDocument(m, listOf(doubleArrayOf(0.7, 0.1, 0.15, 0.05), doubleArrayOf(0.25, 0.25, 0.25, 0.25)))
        File(dir, ModelIoCases.FILE_NAME).writeText(doc.toString())
        return m to dir
    }

    /** The exact outputs pass, half the tolerance off passes, twice the tolerance off is exactly one problem naming the case. */
    private fun selfTestAgrees(m: Manifest, cases: List<ModelIoCase>, what: String) {
        assertEquals("$what: exact outputs", emptyList<String>(), ModelSelfTest.check(m, Scripted(m, cases), cases))
        val last = cases.last()
        assertEquals("$what: half the tolerance off", emptyList<String>(),
            ModelSelfTest.check(m, Scripted(m, cases, last, 0.5 * last.tolerance), cases))
        val problems = ModelSelfTest.check(m, Scripted(m, cases, last, 2 * last.tolerance), cases)
        assertEquals("$what: twice the tolerance off: $problems", 1, problems.size)
        assertTrue("$what: ${problems[0]}", problems[0].startsWith("${last.name}: max |dp|") && "exceeds the tolerance" in problems[0])
    }

    @Test fun syntheticCasesDecodeBitForBit() {
        val (m, dir) = synthetic()
        val cases = ModelIoCases.read(dir, m, TestManifests.ARTIFACT)
        assertEquals(listOf("synthetic 0", "synthetic 1"), cases.map { it.name })
        cases.forEachIndexed { i, c -> assertTrue("${c.name}: input differs", window(m, i).contentEquals(c.input)) }
        assertArrayEquals(doubleArrayOf(0.7, 0.1, 0.15, 0.05), cases[0].expected, 0.0)
        assertEquals(1e-4, cases[0].tolerance, 0.0)
        selfTestAgrees(m, cases, "synthetic")
    }

    @Test fun realCasesAreModelInputAndCheckTheRuntime() {
        assumeTrue(TestManifests.NO_REAL, TestManifests.realDirs.isNotEmpty())
        for (dir in TestManifests.realDirs) {
            val m = Manifest.read(dir)
            val n = m.preprocessing.windowSamples
            for (a in m.artifacts) {
                val cases = ModelIoCases.read(dir, m, a.file)
                assertTrue("${a.file}: no cases", cases.isNotEmpty())
                for (c in cases) for (lead in m.leads.indices) { // z-scored per lead: a byte-order or layout slip is not
                    val x = DoubleArray(n) { c.input[lead * n + it].toDouble() }
                    val what = "${a.file} ${c.name} lead ${m.leads[lead]}"
                    assertTrue("$what: non-finite input", x.all { it.isFinite() })
                    val mean = x.average()
                    val std = sqrt(x.sumOf { (it - mean) * (it - mean) } / n)
                    assertTrue("$what: mean $mean", abs(mean) < 1e-3)
                    assertTrue("$what: population std $std", abs(std - 1.0) < 1e-3)
                }
                selfTestAgrees(m, cases, a.file)
                println("model-I/O ${a.file}: ${cases.size} cases of ${m.leads.size} z-scored lead(s), tolerance ${cases[0].tolerance}: " +
                    "expected outputs pass the self-test, 2x tolerance is caught")
            }
        }
    }

    @Test fun casesOfAnotherBuildAreRefused() {
        val sources = listOf(synthetic().let { (m, dir) -> Triple(m, dir, TestManifests.ARTIFACT) }) +
            TestManifests.realDirs.flatMap { dir -> Manifest.read(dir).let { m -> m.artifacts.map { Triple(m, dir, it.file) } } }
        var refused = 0
        for ((m, dir, file) in sources) {
            val doc = Json.parseToJsonElement(File(dir, ModelIoCases.FILE_NAME).readText())
            val (leads, samples) = m.leads.size to m.preprocessing.windowSamples
            val b64 = doc.jsonObject["cases"]!!.jsonArray[0].jsonObject["input_f32le_b64"]!!.jsonPrimitive.content
            val expected0 = doc.obj("artifacts").obj(file)["expected"]!!.jsonArray[0].jsonArray
            val cases = listOf(
                Triple("wrong schema", "schema 'lamscn-model-io/2', expected 'lamscn-model-io/1'", doc.edited("schema", JsonPrimitive("lamscn-model-io/2"))),
                Triple("no schema", "schema missing, expected", doc.edited("schema", null)),
                Triple("other model version", "model version other is not the manifest's ${m.modelVersion}", doc.edited("model/version", JsonPrimitive("other"))),
                Triple("other input shape", "input shape [1, $leads, ${samples + 1}] is not the manifest's",
                    doc.edited("input/shape", JsonArray(listOf(1, leads, samples + 1).map { JsonPrimitive(it) }))),
                Triple("other labels", "are not the manifest's ${m.codes}", doc.edited("labels", JsonArray(m.codes.reversed().map { JsonPrimitive(it) }))),
                Triple("other artifact sha256", "no cases for $file with the manifest's sha256", doc.edited("artifacts/$file/sha256", JsonPrimitive("0".repeat(64)))),
                Triple("no entry for the artifact", "no cases for $file with the manifest's sha256", doc.edited("artifacts/$file", null)),
                Triple("truncated input", "case 'synthetic 0': input of", doc.edited("cases/0/input_f32le_b64", JsonPrimitive(b64.dropLast(8)))),
                Triple("input not base64", "case 'synthetic 0': input is not base64", doc.edited("cases/0/input_f32le_b64", JsonPrimitive("!!!!"))),
                Triple("missing cases", "(root): missing field 'cases'", doc.edited("cases", null)),
                Triple("missing tolerance", "artifacts/$file: missing field 'tolerance'", doc.edited("artifacts/$file/tolerance", null)),
                Triple("zero tolerance", "$file: tolerance 0.0 must be a finite number > 0", doc.edited("artifacts/$file/tolerance", JsonPrimitive(0))),
                Triple("short expected row", "$file: expected[0] must be ${m.codes.size} finite probabilities",
                    doc.edited("artifacts/$file/expected/0", JsonArray(expected0.drop(1)))),
                Triple("repeated case name", "are not unique", doc.edited("cases/1/name", JsonPrimitive("synthetic 0"))),
            )
            for ((what, message, tampered) in cases) {
                val f = Files.createTempFile("lamscn-model-io", ".json").toFile().apply { deleteOnExit(); writeText(tampered.toString()) }
                assertRefused<ModelIoError>("$file $what", message) { ModelIoCases.read(f, m, file) }
            }
            val notJson = Files.createTempFile("lamscn-model-io", ".json").toFile().apply { deleteOnExit(); writeText(doc.toString().take(100)) }
            assertRefused<ModelIoError>("$file not JSON", "not valid JSON") { ModelIoCases.read(notJson, m, file) }
            assertRefused<ModelIoError>("$file no file", "model_io.json: no such file") { ModelIoCases.read(Files.createTempDirectory("lamscn-none").toFile(), m, file) }
            assertRefused<ModelIoError>("$file other artifact", "the manifest has no artifact other.pte") { ModelIoCases.read(dir, m, "other.pte") }
            refused += cases.size + 3
        }
        println("model-I/O: $refused tampered or malformed case files refused over ${sources.size} artifact(s)")
    }

    private companion object {
        /** [p] moved by [d] and still probabilities: multi-label the first class (down when up would pass 1); single-label
         *  the least likely class up and the most likely down by as much, so the softmax still sums to 1. */
        fun moved(p: DoubleArray, d: Double, multiLabel: Boolean): DoubleArray {
            val out = p.copyOf()
            if (multiLabel) {
                out[0] += if (out[0] + d <= 1.0) d else -d
            } else {
                val lo = p.indices.minBy { p[it] }
                val hi = p.indices.filter { it != lo }.maxBy { p[it] }
                out[lo] += d; out[hi] -= d
            }
            return out
        }
    }
}
