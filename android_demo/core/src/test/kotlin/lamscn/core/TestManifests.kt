package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import java.io.File
import java.nio.file.Files
import java.security.MessageDigest

/** Manifests for tests: a synthetic one assembled from the golden files' numbers (always available), and the
 *  real ones `export/build.py` wrote, from `$LAMSCN_MANIFEST_DIRS` (test.sh builds or finds them). */
object TestManifests {
    const val ARTIFACT = "model.fp32.pte"

    /** The real manifest folders, or none (the tests that need them are skipped with this reason). */
    val realDirs: List<File> by lazy {
        (System.getenv("LAMSCN_MANIFEST_DIRS") ?: "").split(':').filter { it.isNotBlank() }.map { File(it) }
    }
    const val NO_REAL = "no real manifest: LAMSCN_MANIFEST_DIRS is empty (test.sh builds them when the repo's .venv exists)"

    /** The golden preprocessing contracts merged over every golden rate (what a manifest carries for all rates). */
    fun preprocessingJson(): JsonObject {
        val files = Golden.preprocessingFiles()
        val base = files.first().obj("contract")
        val taps = LinkedHashMap<String, JsonElement>()
        val lengths = LinkedHashMap<String, JsonElement>()
        for (f in files) {
            taps += f.obj("contract").obj("antialias").obj("taps_by_rate")
            lengths += f.obj("contract").obj("resample").obj("input_samples_by_rate")
        }
        return JsonObject(base + mapOf(
            "antialias" to JsonObject(base.obj("antialias") + mapOf("taps_by_rate" to JsonObject(taps))),
            "resample" to JsonObject(base.obj("resample") + mapOf("input_samples_by_rate" to JsonObject(lengths))),
        ))
    }

    /** A complete manifest document for the golden stand-in model with [leads] leads and one artifact of [artifactBytes]. */
    fun document(leads: Int, artifactBytes: ByteArray): MutableMap<String, JsonElement> {
        val live = Golden.read("streaming/live_polar_h10.json")
        val numbers = live.obj("numbers")
        val model = live.obj("model")
        val codes = model.arr("codes").strings()
        val thresholds = model.arr("thresholds").doubles()
        val pre = preprocessingJson()
        val window = pre.int("window_samples")
        fun p(x: Any): JsonPrimitive = when (x) { is String -> JsonPrimitive(x); is Boolean -> JsonPrimitive(x); else -> JsonPrimitive(x as Number) }
        fun o(vararg kv: Pair<String, JsonElement>) = JsonObject(linkedMapOf(*kv))
        fun a(vararg xs: JsonElement) = JsonArray(xs.toList())
        return linkedMapOf(
            "schema_version" to p(Manifest.SCHEMA_VERSION),
            "model" to o("name" to p("golden_stand_in"), "version" to p("test"), "architecture" to p("none"),
                "kwargs" to o(), "parameters" to p(1)),
            "task" to o("name" to p("cinc2017"), "multi_label" to p(false)),
            "labels" to JsonArray(codes.indices.map { o("code" to p(codes[it]), "name" to p(codes[it]), "snomed_ct" to a(), "threshold" to p(thresholds[it])) }),
            "leads" to JsonArray((1..leads).map { p("L$it") }),
            "sample_rate_hz" to pre["model_rate_hz"]!!,
            "window" to o("samples" to p(window), "seconds" to pre["window_seconds"]!!),
            "input" to o("name" to p("ecg"), "dtype" to p("float32"), "shape" to a(p(1), p(leads), p(window))),
            "output" to o("name" to p("probabilities"), "dtype" to p("float32"), "shape" to a(p(1), p(codes.size))),
            "preprocessing" to pre,
            "decision" to o("rule" to p("scaled_argmax"), "description" to p("argmax of p / threshold"),
                "poor_signal_label" to p("~"), "poor_signal" to p("shown as poor signal, never as a finding")),
            "live" to o("hop_seconds" to numbers["hop_seconds"]!!, "sequencer" to numbers["sequencer"]!!, "quality" to numbers["quality"]!!,
                "heart_rate" to numbers["heart_rate"]!!, "debounce" to numbers["debounce"]!!,
                "no_data_seconds" to numbers["no_data_seconds"]!!, "no_data_rule" to numbers["no_data_rule"]!!),
            "artifacts" to a(o("file" to p(ARTIFACT), "runtime" to p("executorch-xnnpack"), "precision" to p("fp32"),
                "bytes" to p(artifactBytes.size), "sha256" to p(sha256(artifactBytes)), "sha256_of" to p("file"))),
            "metrics" to o(), "provenance" to o(), "tools" to o("torch" to p("test")),
        )
    }

    /** Write [doc] and the artifact into a fresh folder. */
    fun write(doc: Map<String, JsonElement>, artifactBytes: ByteArray): File {
        val dir = Files.createTempDirectory("lamscn-manifest").toFile()
        dir.deleteOnExit()
        File(dir, ARTIFACT).writeBytes(artifactBytes)
        File(dir, Manifest.FILE_NAME).writeText(JsonObject(doc).toString())
        return dir
    }

    val artifactBytes = ByteArray(4096) { (it * 31 % 251).toByte() }

    fun syntheticDir(leads: Int = 1): File = write(document(leads, artifactBytes), artifactBytes)

    fun synthetic(leads: Int = 1): Manifest = Manifest.read(syntheticDir(leads))

    fun sha256(bytes: ByteArray): String = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
}

/** This document with the value at [path] (`a/b/0/c`: object keys and array indices) replaced, or removed when [value] is null. */
fun JsonElement.edited(path: String, value: JsonElement?): JsonElement = editedAt(path.split('/'), value)

private fun JsonElement.editedAt(path: List<String>, value: JsonElement?): JsonElement = when (this) {
    is JsonObject -> JsonObject(toMutableMap().also { o ->
        val key = path[0]
        if (path.size > 1) o[key] = (o[key] ?: error("no '$key' in the document")).editedAt(path.drop(1), value)
        else if (value == null) o.remove(key) else o[key] = value
    })
    is JsonArray -> JsonArray(toMutableList().also { a ->
        val i = path[0].toInt()
        if (path.size > 1) a[i] = a[i].editedAt(path.drop(1), value) else if (value == null) a.removeAt(i) else a[i] = value
    })
    else -> error("no '${path[0]}' in $this")
}
