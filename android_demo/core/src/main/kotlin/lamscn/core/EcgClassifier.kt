package lamscn.core

/**
 * The model behind the live loop: one preprocessed window in, one probability per class out.
 * The app implements it with ExecuTorch; tests and the headless runner with recorded outputs.
 */
interface EcgClassifier {
    /** Class codes, in output order. */
    val codes: List<String>
    val thresholds: DoubleArray
    val multiLabel: Boolean

    /** [input] is the float32 tensor `[1, leads, samples]` flattened ([shape] gives it); returns `[classes]`. */
    fun probabilities(input: FloatArray, shape: LongArray): DoubleArray
}

/** Recorded outputs returned in turn, one per classified window, from the first again when they run out
 *  (the golden live files' scripted model and `python -m streaming stream --probabilities`). */
class RecordedClassifier(
    override val codes: List<String>,
    override val thresholds: DoubleArray,
    override val multiLabel: Boolean,
    private val outputs: List<DoubleArray>,
) : EcgClassifier {
    private var calls = 0

    init {
        if (codes.isEmpty() || thresholds.size != codes.size || outputs.isEmpty() || outputs.any { it.size != codes.size }) {
            throw InputError("recorded outputs: need ${codes.size} thresholds and at least one row of ${codes.size} probabilities")
        }
    }

    override fun probabilities(input: FloatArray, shape: LongArray): DoubleArray = outputs[calls++ % outputs.size].copyOf()

    companion object {
        /** A `--probabilities` file: `{"codes", "thresholds", "multi_label", "outputs"}`; [InputError] when malformed. */
        fun fromJson(text: String, source: String): RecordedClassifier {
            val doc = try {
                kotlinx.serialization.json.Json.parseToJsonElement(text) as? kotlinx.serialization.json.JsonObject
            } catch (e: kotlinx.serialization.SerializationException) {
                null
            } ?: throw InputError("probabilities $source: not a JSON object")
            try {
                val f = JsonFields(doc, "", "probabilities $source")
                return RecordedClassifier(f.strings("codes"), f.doubles("thresholds"), f.bool("multi_label"),
                    f.matrix("outputs").toList())
            } catch (e: ManifestError) {
                throw InputError(e.message ?: "probabilities $source: malformed")
            }
        }
    }
}
