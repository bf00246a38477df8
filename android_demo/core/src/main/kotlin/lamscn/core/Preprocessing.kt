package lamscn.core

import kotlin.math.sqrt

/** Every number of the preprocessing contract (manifest `preprocessing`, `contract/preprocessing.py`). */
class PreprocessingSpec(
    val modelRate: Int,
    val windowSamples: Int,
    private val tapsByRate: Map<Int, DoubleArray>,
    private val inputSamplesByRate: Map<Int, Int>,
    val sos: Array<DoubleArray>,
    val zi: Array<DoubleArray>,
    val padlen: Int,
    val stdFloor: Double,
) {
    /** Anti-alias taps for [rate] (empty at the model rate); [PreprocessingError] for a rate the manifest lacks. */
    fun taps(rate: Int): DoubleArray {
        if (rate == modelRate) return DoubleArray(0)
        return tapsByRate[rate] ?: throw PreprocessingError("unsupported sample rate $rate Hz: the manifest has no " +
            "anti-alias taps for it (has ${tapsByRate.keys.sorted().joinToString(", ")})")
    }

    /** The input rates the manifest gives a window length for (the model rate among them in a manifest). */
    val inputRates: Set<Int> get() = inputSamplesByRate.keys

    /** Samples at [rate] Hz that one model window needs. */
    fun inputLength(rate: Int): Int = inputSamplesByRate[rate]
        ?: throw PreprocessingError("unsupported sample rate $rate Hz: the manifest gives no input length for it")

    companion object {
        /** Read the manifest's `preprocessing` object (or a golden file's `contract`); kinds this port does not implement are refused. */
        fun from(f: JsonFields): PreprocessingSpec {
            val aa = f.obj("antialias")
            val res = f.obj("resample")
            val bp = f.obj("bandpass")
            val st = f.obj("standardize")
            expectKind(aa, "fir_zero_phase_edge_padded"); expectKind(res, "linear")
            expectKind(bp, "butterworth_sos_forward_backward_odd_pad"); expectKind(st, "per_lead_zscore_population_std")
            val modelRate = f.int("model_rate_hz")
            val windowSamples = f.int("window_samples")
            if (windowSamples.toLong() != pyRound(f.double("window_seconds") * modelRate)) {
                throw ManifestError("manifest preprocessing: window_samples $windowSamples is not window_seconds x model_rate_hz")
            }
            val taps = aa.obj("taps_by_rate")
            val tapsByRate = taps.keys.associate { key ->
                rateKey(key) to taps.doubles(key).also {
                    if (it.isEmpty()) throw ManifestError("manifest preprocessing/antialias/taps_by_rate: '$key' must not be empty")
                }
            }
            val lengths = res.obj("input_samples_by_rate")
            val inputSamplesByRate = lengths.keys.associate { rateKey(it) to lengths.int(it) }
            if (tapsByRate.keys - modelRate != inputSamplesByRate.keys - modelRate) {
                throw ManifestError("manifest preprocessing/antialias/taps_by_rate: rates ${tapsByRate.keys.sorted()} differ from " +
                    "resample's ${inputSamplesByRate.keys.sorted()}")
            }
            val sos = rows(bp, "sos", 6)
            val zi = rows(bp, "zi", 2)
            if (zi.size != sos.size) throw ManifestError("manifest preprocessing/bandpass: zi has ${zi.size} rows for ${sos.size} sos sections")
            val padlen = bp.int("padlen")
            if (padlen < 0) throw ManifestError("manifest preprocessing/bandpass: padlen $padlen must be >= 0")
            val stdFloor = st.double("std_floor")
            if (stdFloor <= 0) throw ManifestError("manifest preprocessing/standardize: std_floor $stdFloor must be > 0")
            return PreprocessingSpec(modelRate, windowSamples, tapsByRate, inputSamplesByRate, sos, zi, padlen, stdFloor)
        }

        /** A non-empty matrix of rows of exactly [width] numbers. */
        private fun rows(f: JsonFields, key: String, width: Int): Array<DoubleArray> {
            val m = f.matrix(key)
            if (m.isEmpty()) throw ManifestError("manifest preprocessing/bandpass: '$key' must not be empty")
            m.forEachIndexed { i, row ->
                if (row.size != width) throw ManifestError("manifest preprocessing/bandpass: $key[$i] has ${row.size} numbers, expected $width")
            }
            return m
        }

        private fun expectKind(f: JsonFields, kind: String) {
            if (f.has("kind") && f.string("kind") != kind) {
                throw ManifestError("manifest preprocessing: kind '${f.string("kind")}' is not implemented here (expected '$kind')")
            }
        }

        private fun rateKey(key: String) = key.toIntOrNull() ?: throw ManifestError("manifest preprocessing: rate key '$key' is not an integer")
    }
}

/** Every intermediate of one window, as the golden vectors record them ([leads][samples]). */
class Preprocessed(
    val antialiased: Array<DoubleArray>,
    val resampled: Array<DoubleArray>,
    val filtered: Array<DoubleArray>,
    val leadStd: DoubleArray,
    val window: Array<FloatArray>,
) {
    /** The model input `[1, leads, samples]` flattened, leads in order. */
    fun modelInput(): FloatArray {
        val n = window[0].size
        val out = FloatArray(window.size * n)
        window.forEachIndexed { lead, row -> row.copyInto(out, lead * n) }
        return out
    }
}

/**
 * The preprocessing contract on one buffer (`contract/preprocessing.py`), in double precision up to
 * the float32 output: zero-phase anti-alias FIR (edge padded), integer-exact linear resampling,
 * SOS forward-backward band-pass with odd padding and `zi * first sample` (as `sosfiltfilt`), z-score.
 */
class Preprocessor(private val spec: PreprocessingSpec) {
    /** Run the whole contract on [samples] `[leads][n]` in mV at [rate] Hz (n >= input length; extra ignored). */
    fun window(samples: Array<DoubleArray>, rate: Int): Preprocessed {
        if (samples.isEmpty()) throw PreprocessingError("expected samples shaped [leads, n], got no leads")
        val need = spec.inputLength(rate)
        val taps = spec.taps(rate)
        val have = samples.minOf { it.size }
        if (have < need) {
            throw PreprocessingError("too short: $have samples at $rate Hz, one ${spec.windowSamples / spec.modelRate} s window needs $need")
        }
        val x = Array(samples.size) { samples[it].copyOf(need) }
        val bad = x.indices.filter { lead -> x[lead].any { !it.isFinite() } }
        if (bad.isNotEmpty()) throw PreprocessingError("non-finite samples (NaN or inf) in lead(s) $bad")
        val aa = Array(x.size) { antialias(x[it], taps) }
        val res = Array(x.size) { resampleLinear(aa[it], rate) }
        val filt = Array(x.size) { bandpass(res[it]) }
        val std = DoubleArray(x.size)
        val win = Array(x.size) { lead -> standardize(filt[lead]).also { std[lead] = it.second }.first }
        return Preprocessed(aa, res, filt, std, win)
    }

    /** Step 1: zero-phase FIR low-pass, padding by repeating the edge samples. */
    fun antialias(x: DoubleArray, taps: DoubleArray): DoubleArray {
        if (taps.isEmpty()) return x.copyOf()
        val half = taps.size / 2
        val n = x.size
        val last = taps.size - 1
        return DoubleArray(n) { j ->
            var acc = 0.0
            for (k in 0..last) acc += x[(j + k - half).coerceIn(0, n - 1)] * taps[last - k]
            acc
        }
    }

    /** Step 2: linear interpolation at `k * rate / modelRate`, index and fraction computed in integers. */
    fun resampleLinear(x: DoubleArray, rate: Int): DoubleArray {
        val m = spec.modelRate.toLong()
        return DoubleArray(spec.windowSamples) { k ->
            val pos = k.toLong() * rate
            val i = (pos / m).toInt()
            val frac = (pos % m).toDouble() / m
            val next = minOf(i + 1, x.size - 1)
            x[i] * (1.0 - frac) + x[next] * frac
        }
    }

    /** Step 3: forward-backward SOS band-pass, the explicit form of `sosfiltfilt(padtype='odd')`. */
    fun bandpass(x: DoubleArray): DoubleArray {
        val p = spec.padlen
        val n = x.size
        if (n <= p) throw PreprocessingError("window of $n samples is too short for the band-pass (needs > $p)")
        val ext = DoubleArray(n + 2 * p)
        for (j in 0 until p) ext[j] = 2 * x[0] - x[p - j]
        x.copyInto(ext, p)
        for (j in 0 until p) ext[p + n + j] = 2 * x[n - 1] - x[n - 2 - j]
        val fwd = sosfilt(ext, ext[0])
        fwd.reverse()
        val back = sosfilt(fwd, fwd[0])
        back.reverse()
        return back.copyOfRange(p, p + n)
    }

    /** Direct-form II transposed sections (as `scipy.signal.sosfilt`), state `zi * scale`. */
    private fun sosfilt(x: DoubleArray, scale: Double): DoubleArray {
        val z = Array(spec.sos.size) { s -> doubleArrayOf(spec.zi[s][0] * scale, spec.zi[s][1] * scale) }
        return DoubleArray(x.size) { i ->
            var cur = x[i]
            for (s in spec.sos.indices) {
                val c = spec.sos[s]
                val out = c[0] * cur + z[s][0]
                z[s][0] = c[1] * cur - c[4] * out + z[s][1]
                z[s][1] = c[2] * cur - c[5] * out
                cur = out
            }
            cur
        }
    }

    /** Step 4: `(x - mean) / max(std, floor)` with the population std; returns (float32 window, raw std). */
    fun standardize(x: DoubleArray): Pair<FloatArray, Double> {
        val mean = x.sum() / x.size
        var ss = 0.0
        for (v in x) ss += (v - mean) * (v - mean)
        val std = sqrt(ss / x.size)
        val div = maxOf(std, spec.stdFloor)
        return FloatArray(x.size) { ((x[it] - mean) / div).toFloat() } to std
    }
}
