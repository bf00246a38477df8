package lamscn.core

import kotlin.math.abs

/** One model-I/O case: a model input and the probabilities the exporter measured for it, within [tolerance]. */
class ModelIoCase(val name: String, val input: FloatArray, val expected: DoubleArray, val tolerance: Double)

/**
 * The start-up check of the runtime wiring: the classifier's outputs have one finite probability in
 * [0, 1] per manifest label (summing to 1 for a single-label softmax), and match every model-I/O
 * case within its tolerance. Returns the problems, one line each (empty when the model is fit to run).
 */
object ModelSelfTest {
    /** How far a softmax's outputs may sum from 1 in float32 (a wiring error is far larger). */
    private const val SOFTMAX_SUM_TOLERANCE = 1e-3

    fun check(manifest: Manifest, classifier: EcgClassifier, cases: List<ModelIoCase>): List<String> {
        val problems = ArrayList<String>()
        if (classifier.codes != manifest.codes) problems += "the classifier's classes ${classifier.codes} are not the manifest's ${manifest.codes}"
        val shape = manifest.inputShape.toLongArray()
        val probe = cases.map { it.name to it.input }.ifEmpty { listOf("zero window" to FloatArray(shape.fold(1L) { a, b -> a * b }.toInt())) }
        for ((name, input) in probe) {
            if (input.size.toLong() != shape.fold(1L) { a, b -> a * b }) {
                problems += "$name: input of ${input.size} values does not fit the shape ${manifest.inputShape}"; continue
            }
            val out = try {
                classifier.probabilities(input, shape)
            } catch (e: Exception) {
                problems += "$name: the model failed to run (${e.message?.lineSequence()?.firstOrNull() ?: e::class.simpleName})"; continue
            }
            problems += outputProblems(name, out, manifest)
            val case = cases.firstOrNull { it.name == name } ?: continue
            if (out.size == case.expected.size) {
                val worst = out.indices.maxOf { abs(out[it] - case.expected[it]) }
                if (worst > case.tolerance) problems += "$name: max |dp| %.3g exceeds the tolerance %.3g".format(worst, case.tolerance)
            }
        }
        return problems
    }

    private fun outputProblems(name: String, out: DoubleArray, manifest: Manifest): List<String> = buildList {
        if (out.size != manifest.labels.size) add("$name: ${out.size} outputs, the manifest has ${manifest.labels.size} labels")
        if (out.any { !it.isFinite() || it < 0.0 || it > 1.0 }) add("$name: outputs are not probabilities in [0, 1]")
        if (!manifest.multiLabel && abs(out.sum() - 1.0) > SOFTMAX_SUM_TOLERANCE) add("$name: single-label outputs sum to %.4f, not 1".format(out.sum()))
    }
}
