package lamscn.core

/** Which classes pass in one window: multi-label `p >= threshold`; single-label the argmax of `p / threshold`, first on ties. */
fun aboveThreshold(probabilities: DoubleArray, thresholds: DoubleArray, multiLabel: Boolean): BooleanArray {
    if (probabilities.size != thresholds.size) {
        throw ModelMismatch("${probabilities.size} probabilities but ${thresholds.size} thresholds")
    }
    if (multiLabel) return BooleanArray(probabilities.size) { probabilities[it] >= thresholds[it] }
    var pick = 0
    for (c in probabilities.indices) if (probabilities[c] / thresholds[c] > probabilities[pick] / thresholds[pick]) pick = c
    return BooleanArray(probabilities.size) { it == pick }
}

/** The debounce's numbers (manifest `live.debounce`). */
data class DebounceSpec(val windows: Int, val rejectedWindowResets: Boolean) {
    companion object {
        fun from(f: JsonFields): DebounceSpec {
            val windows = f.int("debounce_windows")
            if (windows < 1) throw ManifestError("manifest live/debounce: debounce_windows $windows must be >= 1")
            return DebounceSpec(windows, f.bool("rejected_window_resets"))
        }
    }
}

/** A class is shown after [DebounceSpec.windows] consecutive classified windows above threshold (`contract/decision.py`). */
class Debouncer(classes: Int, private val spec: DebounceSpec) {
    var counts = IntArray(classes)
        private set

    /** Count one classified window; which classes are shown. */
    fun update(above: BooleanArray): BooleanArray {
        require(above.size == counts.size) { "${above.size} flags for ${counts.size} classes" }
        counts = IntArray(counts.size) { if (above[it]) counts[it] + 1 else 0 }
        return shown()
    }

    /** A rejected window: every count back to zero (when the spec says so). */
    fun reset(): BooleanArray {
        if (spec.rejectedWindowResets) counts = IntArray(counts.size)
        return shown()
    }

    fun shown(): BooleanArray = BooleanArray(counts.size) { counts[it] >= spec.windows }
}
