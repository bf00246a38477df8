package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import java.math.BigDecimal
import java.math.RoundingMode

/** The JSON lines of `python -m streaming stream` (same keys, same rounding), for the headless runner and the log. */
object StreamLines {
    private const val DECIMALS = 6
    private const val BPM_DECIMALS = 3

    /** Python's `round(x, digits)`: the exact binary value rounded half to even. */
    fun round(x: Double, digits: Int): Double = BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toDouble()

    fun event(e: Event): JsonObject = obj(
        "event" to JsonPrimitive(e.kind.json), "frame" to JsonPrimitive(e.frame),
        "at_sample" to e.atSample?.let { JsonPrimitive(it) }, "missing_samples" to e.missingSamples?.let { JsonPrimitive(it) },
        "message" to e.message?.let { JsonPrimitive(it) },
    )

    /** One window line; [emitInput] `summary` or `full` adds `"input"` as `--emit-input` does. */
    fun window(r: WindowResult, emitInput: String? = null): JsonObject {
        val fields = linkedMapOf<String, JsonElement>(
            "window" to JsonPrimitive(r.window.index), "start_sample" to JsonPrimitive(r.window.start),
            "start_s" to JsonPrimitive(round(r.window.start.toDouble() / r.rate, DECIMALS)),
            "segment" to JsonPrimitive(r.window.segment), "status" to JsonPrimitive(r.status.json),
            "reason" to (r.reason?.let { JsonPrimitive(it.json) } ?: JsonNull),
            "quality" to (r.quality?.let { quality(it) } ?: JsonNull),
            "heart_rate_bpm" to (r.heartRateBpm?.let { JsonPrimitive(round(it, BPM_DECIMALS)) } ?: JsonNull),
            "probabilities" to (r.probabilities?.let { p ->
                JsonObject(r.codes.indices.associate { r.codes[it] to JsonPrimitive(round(p[it], DECIMALS)) })
            } ?: JsonNull),
            "above" to strings(r.above), "findings" to strings(r.findings),
        )
        if (emitInput != null) fields["input"] = r.preprocessed?.let { input(it.modelInput(), emitInput == "full") } ?: JsonNull
        return JsonObject(fields)
    }

    /** `min`, `max`, `mean`, `sum_abs` of the float32 model input in double precision (and `values` when [full]). */
    fun input(x: FloatArray, full: Boolean): JsonObject {
        var sum = 0.0
        var sumAbs = 0.0
        for (v in x) { sum += v; sumAbs += kotlin.math.abs(v.toDouble()) }
        val fields = linkedMapOf<String, JsonElement>(
            "min" to JsonPrimitive(round(x.min().toDouble(), DECIMALS)), "max" to JsonPrimitive(round(x.max().toDouble(), DECIMALS)),
            "mean" to JsonPrimitive(round(sum / x.size, DECIMALS)), "sum_abs" to JsonPrimitive(round(sumAbs, DECIMALS)),
        )
        if (full) fields["values"] = JsonArray(x.map { JsonPrimitive(round(it.toDouble(), DECIMALS)) })
        return JsonObject(fields)
    }

    fun quality(q: Quality): JsonObject = obj(
        "ok" to JsonPrimitive(q.ok), "reasons" to strings(q.reasons),
        "leads" to JsonArray(q.leads.map { l ->
            JsonObject(linkedMapOf(
                "min_segment_ptp_mv" to num(l.minSegmentPtpMv), "max_abs_mv" to num(l.maxAbsMv), "std_mv" to num(l.stdMv),
                "saturated_fraction" to num(l.saturatedFraction), "noise_ratio" to num(l.noiseRatio),
                "reasons" to strings(l.reasons),
            ))
        }),
    )

    private fun num(x: Double?): JsonElement = x?.let { JsonPrimitive(it) } ?: JsonNull
    private fun strings(xs: List<String>) = JsonArray(xs.map { JsonPrimitive(it) })
    private fun obj(vararg pairs: Pair<String, JsonElement?>) =
        JsonObject(LinkedHashMap<String, JsonElement>().apply { for ((k, v) in pairs) if (v != null) put(k, v) })
}
