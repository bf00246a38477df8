package lamscn.core

import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Base64

/**
 * `model_io.json` (schema `lamscn-model-io/1`, `contract/model_io.py`): the model-I/O cases `export/build.py`
 * writes beside the manifest, for [ModelSelfTest]. They are keyed to the manifest: another model version,
 * input shape, label list or artifact sha256 means they belong to another build, and [read] refuses them
 * with a one-line [ModelIoError].
 */
object ModelIoCases {
    const val SCHEMA = "lamscn-model-io/1"
    const val FILE_NAME = "model_io.json"

    /** The cases of the manifest artifact named [artifactFile], from `model_io.json` in [folder] (or the file itself). */
    fun read(folder: File, manifest: Manifest, artifactFile: String): List<ModelIoCase> {
        val path = if (folder.isDirectory) File(folder, FILE_NAME) else folder
        val where = "model-I/O cases ${path.path}"
        if (!path.isFile) throw ModelIoError("$where: no such file")
        val doc = try {
            Json.parseToJsonElement(path.readText()) as? JsonObject
        } catch (e: SerializationException) {
            throw ModelIoError("$where: not valid JSON (${e.message?.lineSequence()?.first()})")
        } ?: throw ModelIoError("$where: not a JSON object")
        return try {
            parse(JsonFields(doc, "", where), where, manifest, artifactFile)
        } catch (e: ManifestError) { // a missing or mistyped field, named by JsonFields
            throw ModelIoError(e.message ?: "$where: malformed")
        }
    }

    private fun parse(f: JsonFields, where: String, manifest: Manifest, artifactFile: String): List<ModelIoCase> {
        fun fail(problem: String): Nothing = throw ModelIoError("$where: $problem")
        val schema = if (f.has("schema")) f.string("schema") else null
        if (schema != SCHEMA) fail("schema ${schema?.let { "'$it'" } ?: "missing"}, expected '$SCHEMA'")
        val version = f.obj("model").string("version")
        if (version != manifest.modelVersion) fail("model version $version is not the manifest's ${manifest.modelVersion}")
        val shape = f.obj("input").longs("shape")
        if (shape != manifest.inputShape) fail("input shape $shape is not the manifest's ${manifest.inputShape}")
        val labels = f.strings("labels")
        if (labels != manifest.codes) fail("labels $labels are not the manifest's ${manifest.codes}")
        val artifact = manifest.artifacts.firstOrNull { it.file == artifactFile } ?: fail("the manifest has no artifact $artifactFile")
        val artifacts = f.obj("artifacts")
        if (!artifacts.has(artifactFile) || artifacts.obj(artifactFile).string("sha256") != artifact.sha256) {
            fail("no cases for $artifactFile with the manifest's sha256")
        }
        val entry = artifacts.obj(artifactFile)
        val tolerance = entry.double("tolerance")
        if (!tolerance.isFinite() || tolerance <= 0) fail("$artifactFile: tolerance $tolerance must be a finite number > 0")
        val expected = entry.matrix("expected")
        val cases = f.objects("cases")
        if (cases.isEmpty()) fail("no cases")
        if (expected.size != cases.size) fail("$artifactFile: ${expected.size} expected rows for ${cases.size} cases")
        val names = cases.map { it.string("name") }
        if (names.toSet().size != names.size) fail("case names $names are not unique")
        return cases.mapIndexed { i, case ->
            val row = expected[i]
            if (row.size != labels.size || row.any { !it.isFinite() }) {
                fail("$artifactFile: expected[$i] must be ${labels.size} finite probabilities (one per label)")
            }
            val input = decode(case.string("input_f32le_b64"), shape[1].toInt(), shape[2].toInt(), "$where case '${names[i]}'")
            ModelIoCase(names[i], input, row, tolerance)
        }
    }

    /** Base64 of float32 little-endian, row-major `[leads, samples]`: exactly that many values, as the model input. */
    private fun decode(text: String, leads: Int, samples: Int, where: String): FloatArray {
        val raw = try {
            Base64.getDecoder().decode(text)
        } catch (e: IllegalArgumentException) {
            throw ModelIoError("$where: input is not base64 (${e.message})")
        }
        val want = 4L * leads * samples
        if (raw.size.toLong() != want) throw ModelIoError("$where: input of ${raw.size} bytes, expected $want (float32 [$leads, $samples])")
        return FloatArray(leads * samples).also { ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(it) }
    }
}
