package lamscn.core

import kotlin.math.abs
import kotlin.math.floor

/** The R-peak detector's numbers (manifest `live.heart_rate`). */
data class HeartRateSpec(val peakPercentile: Double, val peakFraction: Double, val refractorySeconds: Double) {
    companion object {
        fun from(f: JsonFields) = HeartRateSpec(f.double("peak_percentile"), f.double("peak_fraction"), f.double("refractory_seconds"))
    }
}

/** Heart rate of one window from the steepest slopes of the band-passed lead (`contract/heart_rate.py`). */
class HeartRate(private val spec: HeartRateSpec) {
    /** Indices of the R peaks of [x] (one lead at [rate] Hz), as steps `i -> i+1` of steepest slope. */
    fun rPeaks(x: DoubleArray, rate: Int): List<Int> {
        val n = x.size - 1
        if (n < 3) return emptyList()
        val a = DoubleArray(n) { abs(x[it + 1] - x[it]) }
        val threshold = spec.peakFraction * a.sortedArray()[floor(spec.peakPercentile * (n - 1)).toInt()]
        val refractory = spec.refractorySeconds * rate
        val peaks = ArrayList<Int>()
        for (i in 1 until n - 1) {
            if (a[i] < threshold || a[i] < a[i - 1] || a[i] <= a[i + 1]) continue
            if (peaks.isNotEmpty() && i - peaks.last() < refractory) {
                if (a[i] > a[peaks.last()]) peaks[peaks.size - 1] = i
                continue
            }
            peaks += i
        }
        return peaks
    }

    /** Mean heart rate over the window in beats per minute, or null with fewer than two peaks. */
    fun bpm(x: DoubleArray, rate: Int): Double? {
        val p = rPeaks(x, rate)
        if (p.size < 2) return null
        return 60.0 * (p.size - 1) / ((p.last() - p.first()).toDouble() / rate)
    }
}
