package lamscn.core

/** What the screen shows for one window: a quality badge, the findings with their names, the heart rate. */
data class Verdict(val badge: Badge, val findings: List<Finding>, val heartRateBpm: Double?, val message: String)

/** One shown finding, with the window's probability of it. */
data class Finding(val code: String, val name: String, val probability: Double)

enum class Badge { GOOD, POOR_SIGNAL, INTERRUPTED }

/**
 * From a [WindowResult] to a [Verdict]: a window the quality gate rejected, or one whose shown
 * findings include [poorSignalLabel] (the manifest's `decision.poor_signal_label`, [Manifest.poorSignalLabel]:
 * the model's own "too noisy" class, or null when it has none), is "poor signal — hold still" instead of a
 * diagnosis; a gap or clock jump is "signal interrupted"; otherwise the debounced findings (maybe none yet).
 */
class VerdictPresenter(private val labels: List<Label>, private val poorSignalLabel: String?) {
    init {
        require(poorSignalLabel == null || labels.any { it.code == poorSignalLabel }) {
            "VerdictPresenter: poor signal label '$poorSignalLabel' is not one of the labels' codes"
        }
    }

    fun present(r: WindowResult): Verdict {
        if (r.status == WindowStatus.REJECTED) {
            return if (r.reason == RejectReason.QUALITY) Verdict(Badge.POOR_SIGNAL, emptyList(), null,
                "poor signal — hold still (${r.quality?.reasons?.joinToString(", ")})")
            else Verdict(Badge.INTERRUPTED, emptyList(), null, "signal interrupted (${r.reason?.json}) — waiting for 10 s of unbroken signal")
        }
        if (poorSignalLabel != null && poorSignalLabel in r.findings) return Verdict(Badge.POOR_SIGNAL, emptyList(), r.heartRateBpm, "poor signal — hold still")
        val probs = r.probabilities ?: DoubleArray(r.codes.size)
        val findings = r.findings.map { code ->
            val i = r.codes.indexOf(code)
            Finding(code, labels.firstOrNull { it.code == code }?.name ?: code, probs[i])
        }
        val message = if (findings.isEmpty()) "no finding yet (a finding needs consecutive windows that agree)"
        else findings.joinToString(", ") { it.name }
        return Verdict(Badge.GOOD, findings, r.heartRateBpm, message)
    }
}

/** Reports a stream that went silent: no notification for [timeoutMillis] after subscribing or since the last one
 *  (the manifest's `live.no_data_seconds`: [LiveSpec.noDataMillis]). */
class DataWatchdog(val timeoutMillis: Long) {
    /** The watchdog of the manifest's live numbers. */
    constructor(live: LiveSpec) : this(live.noDataMillis)

    init {
        require(timeoutMillis > 0) { "DataWatchdog: timeout $timeoutMillis ms must be > 0" }
    }

    private var since: Long? = null
    private var frames = 0

    fun subscribed(nowMillis: Long) { since = nowMillis; frames = 0 }

    fun frame(nowMillis: Long) { since = nowMillis; frames++ }

    /** A one-line message when the stream is silent too long, else null. */
    fun check(nowMillis: Long, device: Device): String? {
        val t = since ?: return null
        val silent = nowMillis - t
        if (silent < timeoutMillis) return null
        val what = if (frames == 0) "after subscribing" else "since the last frame"
        return "no data from ${device.label} for ${silent / 1000} s $what — is it worn and in range?"
    }
}
