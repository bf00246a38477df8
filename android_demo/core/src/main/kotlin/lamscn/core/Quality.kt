package lamscn.core

import kotlin.math.sqrt

/** Every threshold of the signal-quality gate (manifest `live.quality`, `contract/quality.py`). */
data class QualitySpec(
    val checks: List<String>,
    val flatSegmentSeconds: Double,
    val flatMinPtpMv: Double,
    val stdFloorMv: Double,
    val saturationFraction: Double,
    val saturationToleranceMv: Double,
    val maxAbsMv: Double,
    val noiseRatioMax: Double,
) {
    companion object {
        fun from(f: JsonFields): QualitySpec {
            val checks = f.strings("checks")
            val known = listOf("non_finite", "flat", "saturated", "implausible", "noisy")
            if (checks.toSet() != known.toSet() || checks.size != known.size) {
                throw ManifestError("manifest live/quality: checks $checks are not the ones this port implements ($known)")
            }
            checks.firstOrNull { it != "non_finite" && !f.has(it) }?.let {
                throw ManifestError("manifest live/quality/$it: listed in checks but has no section")
            }
            val flat = f.obj("flat")
            val sat = f.obj("saturated")
            val noisy = f.obj("noisy")
            val implausible = f.obj("implausible")
            return QualitySpec(checks, flat.double("segment_seconds"), flat.double("min_ptp_mv"), flat.double("std_floor_mv"),
                sat.double("min_fraction_at_extremes"), sat.double("tolerance_mv"), implausible.double("max_abs_mv"),
                noisy.double("max_ratio"))
        }
    }
}

/** The measured numbers of one lead and the reasons it fails (empty when it passes); null numbers for non-finite leads. */
data class LeadQuality(
    val minSegmentPtpMv: Double?, val maxAbsMv: Double?, val stdMv: Double?, val saturatedFraction: Double?, val noiseRatio: Double?,
    val reasons: List<String>,
)

/** The verdict on a window: [ok] when no lead has a reason to fail. */
data class Quality(val leads: List<LeadQuality>, val reasons: List<String>) {
    val ok: Boolean get() = reasons.isEmpty()
}

/** The gate between a window and the model: flat, saturated, implausibly large (beyond [QualitySpec.maxAbsMv]),
 *  noisy or non-finite leads are rejected. */
class QualityGate(private val spec: QualitySpec) {
    /** Smallest peak-to-peak over consecutive whole segments of [QualitySpec.flatSegmentSeconds] at [rate] Hz. */
    fun minSegmentPtp(raw: DoubleArray, rate: Int): Double {
        val seg = pyRound(spec.flatSegmentSeconds * rate).toInt()
        var best = Double.POSITIVE_INFINITY
        for (s in 0 until raw.size / seg) {
            var hi = Double.NEGATIVE_INFINITY
            var lo = Double.POSITIVE_INFINITY
            for (i in s * seg until (s + 1) * seg) { hi = maxOf(hi, raw[i]); lo = minOf(lo, raw[i]) }
            best = minOf(best, hi - lo)
        }
        return best
    }

    /** Fraction of samples at the lead's maximum or minimum (0 for a constant lead). */
    fun saturatedFraction(raw: DoubleArray): Double {
        val hi = raw.max()
        val lo = raw.min()
        val tol = spec.saturationToleranceMv
        if (hi - lo <= tol) return 0.0
        return raw.count { it >= hi - tol || it <= lo + tol }.toDouble() / raw.size
    }

    /** `rms(diff(x)) / rms(x)` of the band-passed lead (0 for a zero lead). */
    fun noiseRatio(filtered: DoubleArray): Double {
        val rms = sqrt(filtered.sumOf { it * it } / filtered.size)
        if (rms == 0.0) return 0.0
        var d = 0.0
        for (i in 1 until filtered.size) d += (filtered[i] - filtered[i - 1]) * (filtered[i] - filtered[i - 1])
        return sqrt(d / (filtered.size - 1)) / rms
    }

    /** Every check on one lead: [raw] at [rate] Hz, [filtered] and its [std] from the contract. */
    fun lead(raw: DoubleArray, rate: Int, filtered: DoubleArray, std: Double): LeadQuality {
        val ptp = minSegmentPtp(raw, rate)
        val peak = raw.maxOf { kotlin.math.abs(it) }
        val sat = saturatedFraction(raw)
        val noise = noiseRatio(filtered)
        val reasons = ArrayList<String>()
        if (ptp < spec.flatMinPtpMv || std < spec.stdFloorMv) reasons += "flat"
        if (sat >= spec.saturationFraction) reasons += "saturated"
        if (peak > spec.maxAbsMv) reasons += "implausible"
        if (noise > spec.noiseRatioMax && std >= spec.stdFloorMv) reasons += "noisy" // the ratio of rounding residue means nothing
        return LeadQuality(ptp, peak, std, sat, noise, reasons)
    }

    /** The verdict on [raw] `[leads][n]` (mV at [rate] Hz) and its contract intermediates ([pre] null only for non-finite input). */
    fun assess(raw: Array<DoubleArray>, rate: Int, pre: Preprocessed?): Quality {
        if (raw.any { lead -> lead.any { !it.isFinite() } }) {
            return Quality(raw.map { lead ->
                LeadQuality(null, null, null, null, null, if (lead.all { it.isFinite() }) emptyList() else listOf("non_finite"))
            }, listOf("non_finite"))
        }
        requireNotNull(pre) { "assess needs the preprocessed window for finite samples" }
        val need = pre.antialiased[0].size
        val leads = raw.indices.map { lead(raw[it].copyOf(need), rate, pre.filtered[it], pre.leadStd[it]) }
        return Quality(leads, spec.checks.filter { r -> leads.any { r in it.reasons } })
    }
}
