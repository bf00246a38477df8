package lamscn.core

import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import java.io.File
import java.security.MessageDigest

/** One class the model outputs, with its decision threshold. */
data class Label(val code: String, val name: String, val threshold: Double)

/** One exported file listed in the manifest, with the size and sha256 it must have. */
data class Artifact(val file: String, val runtime: String, val precision: String, val bytes: Long, val sha256: String)

/**
 * `manifest.json` (schema `lamscn-manifest/1`, `contract/manifest.py`) as the app needs it: labels,
 * leads, tensor shapes, the preprocessing and live-loop numbers, and the artifacts with their checksums.
 * [poorSignalLabel] is `decision.poor_signal_label`: the code of the class shown as "poor signal", never as a
 * finding (`~` for CinC 2017), or null when the task has no such class (PTB-XL).
 */
class Manifest(
    val folder: File,
    val modelName: String,
    val modelVersion: String,
    val multiLabel: Boolean,
    val labels: List<Label>,
    val poorSignalLabel: String?,
    val leads: List<String>,
    val inputShape: List<Long>,
    val outputShape: List<Long>,
    val preprocessing: PreprocessingSpec,
    val live: LiveSpec,
    val artifacts: List<Artifact>,
) {
    val codes: List<String> get() = labels.map { it.code }
    val thresholds: DoubleArray get() = labels.map { it.threshold }.toDoubleArray()

    /** Refuse a model whose lead count [device] cannot give (one line, for the app's screen). */
    fun requireFits(device: Device) {
        if (leads.size != device.leads) {
            throw ModelMismatch("this model needs ${leads.size} lead${if (leads.size != 1) "s" else ""}; " +
                "${device.label} provides ${device.leads}")
        }
    }

    /** The artifact file for [runtime] and [precision], checked against the manifest's bytes and sha256. */
    fun artifactFile(runtime: String, precision: String): File {
        val a = artifacts.firstOrNull { it.runtime == runtime && it.precision == precision }
            ?: throw ManifestError("manifest ${folder.path}: no $runtime $precision artifact " +
                "(has ${artifacts.joinToString(", ") { "${it.runtime} ${it.precision}" }})")
        return verify(a)
    }

    private fun verify(a: Artifact): File {
        val f = File(folder, a.file)
        if (!f.isFile) throw ManifestError("artifact ${a.file}: no such file in ${folder.path}")
        val sha = sha256(f)
        if (sha != a.sha256 || f.length() != a.bytes) {
            throw ManifestError("artifact ${a.file}: sha256 ${sha.take(12)}… (${f.length()} bytes) does not match " +
                "the manifest's ${a.sha256.take(12)}… (${a.bytes} bytes)")
        }
        return f
    }

    companion object {
        const val SCHEMA_VERSION = "lamscn-manifest/1"
        const val FILE_NAME = "manifest.json"

        /** Read `manifest.json` in [folder] (or the file itself): schema version, fields, and every artifact's sha256.
         *  With [pinnedSha256] (the digest `export/build.py` printed, recorded in the app build) the file must first be
         *  byte for byte the pinned manifest: an edited threshold is otherwise a valid manifest. */
        fun read(folder: File, pinnedSha256: String? = null): Manifest {
            val path = if (folder.isDirectory) File(folder, FILE_NAME) else folder
            if (!path.isFile) throw ManifestError("manifest ${path.path}: no such file")
            if (pinnedSha256 != null) {
                val got = sha256(path)
                val pin = pinnedSha256.trim().lowercase()
                if (got != pin) {
                    throw ManifestError("manifest ${path.path}: sha256 ${got.take(12)}… is not the ${pin.take(12)}… " +
                        "pinned by the app build (edited, or from another build)")
                }
            }
            val doc = try {
                Json.parseToJsonElement(path.readText()) as? JsonObject
            } catch (e: SerializationException) {
                throw ManifestError("manifest ${path.path}: not valid JSON (${e.message?.lineSequence()?.first()})")
            } ?: throw ManifestError("manifest ${path.path}: not a JSON object")
            return parse(doc, path.absoluteFile.parentFile).also { m -> m.artifacts.forEach { m.verify(it) } }
        }

        /** The fields of a parsed document (no checksum check; [read] does both). */
        fun parse(doc: JsonObject, folder: File): Manifest {
            val f = JsonFields(doc, "")
            val version = if (f.has("schema_version")) f.string("schema_version") else null
            if (version != SCHEMA_VERSION) {
                throw ManifestError("manifest schema_version ${version?.let { "'$it'" } ?: "missing"}, expected '$SCHEMA_VERSION'")
            }
            val model = f.obj("model")
            val multiLabel = f.obj("task").bool("multi_label")
            val labels = f.objects("labels").map { Label(it.string("code"), it.string("name"), it.double("threshold")) }
            val leads = f.strings("leads")
            if (labels.isEmpty() || leads.isEmpty()) throw ManifestError("manifest: labels and leads must not be empty")
            labels.forEachIndexed { i, label ->
                if (!(label.threshold > 0 && label.threshold <= 1)) {
                    throw ManifestError("manifest labels[$i]: threshold ${label.threshold} must be in (0, 1]")
                }
            }
            val pre = PreprocessingSpec.from(f.obj("preprocessing"))
            if (pre.modelRate !in pre.inputRates) {
                throw ManifestError("manifest preprocessing/resample/input_samples_by_rate: has no entry for the model rate ${pre.modelRate}")
            }
            val window = f.obj("window")
            if (window.int("samples") != pre.windowSamples || f.int("sample_rate_hz") != pre.modelRate) {
                throw ManifestError("manifest window: samples or sample_rate_hz differ from preprocessing's window_samples / model_rate_hz")
            }
            val input = f.obj("input").longs("shape")
            val output = f.obj("output").longs("shape")
            if (input != listOf(1L, leads.size.toLong(), pre.windowSamples.toLong())) {
                throw ManifestError("manifest input: shape $input, expected [1, ${leads.size}, ${pre.windowSamples}] (leads, window)")
            }
            if (output != listOf(1L, labels.size.toLong())) {
                throw ManifestError("manifest output: shape $output, expected [1, ${labels.size}] (one per label)")
            }
            val decision = f.obj("decision")
            val rule = decision.string("rule")
            if (rule != if (multiLabel) "threshold" else "scaled_argmax") {
                throw ManifestError("manifest decision: rule '$rule' does not fit task multi_label=$multiLabel")
            }
            // required like the other decision fields; JSON null: the task has no "too noisy" class
            val poorSignalLabel = if (decision.element("poor_signal_label") is JsonNull) null else decision.string("poor_signal_label")
            if (poorSignalLabel != null && labels.none { it.code == poorSignalLabel }) {
                throw ManifestError("manifest decision/poor_signal_label: '$poorSignalLabel' is not one of the labels' codes " +
                    "(${labels.joinToString(", ") { it.code }})")
            }
            val artifacts = f.objects("artifacts").map {
                if (it.has("sha256_of") && it.string("sha256_of") != "file") {
                    throw ManifestError("manifest artifact ${it.string("file")}: a ${it.string("sha256_of")} digest is not checked on Android")
                }
                Artifact(it.string("file"), it.string("runtime"), it.string("precision"), it.long("bytes"), it.string("sha256"))
            }
            if (artifacts.isEmpty()) throw ManifestError("manifest: no artifacts")
            artifacts.groupBy { it.file }.entries.firstOrNull { it.value.size > 1 }?.let {
                throw ManifestError("manifest artifacts: ${it.key} is listed twice")
            }
            return Manifest(folder, model.string("name"), model.string("version"), multiLabel, labels, poorSignalLabel, leads, input, output,
                pre, LiveSpec.from(f.obj("live")), artifacts)
        }

        /** Lowercase hex sha256 of a file's bytes. */
        fun sha256(file: File): String {
            val md = MessageDigest.getInstance("SHA-256")
            file.inputStream().use { s ->
                val buf = ByteArray(1 shl 16)
                while (true) { val n = s.read(buf); if (n < 0) break; md.update(buf, 0, n) }
            }
            return md.digest().toHex()
        }
    }
}
