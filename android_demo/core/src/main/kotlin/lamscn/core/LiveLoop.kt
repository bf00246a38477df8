package lamscn.core

/** The live loop's device-independent numbers (manifest `live`, `contract/live.py`); [noDataSeconds]: a subscribed
 *  sensor silent this long ends the session (`no_data_rule`, [DataWatchdog]). */
data class LiveSpec(
    val hopSeconds: Double, val sequencer: SequencerSpec, val quality: QualitySpec, val heartRate: HeartRateSpec,
    val debounce: DebounceSpec, val noDataSeconds: Double,
) {
    /** [noDataSeconds] in whole milliseconds (at least 1), for [DataWatchdog]. */
    val noDataMillis: Long get() = maxOf(1L, Math.round(noDataSeconds * 1000))

    companion object {
        fun from(f: JsonFields): LiveSpec {
            val hop = f.double("hop_seconds")
            if (hop <= 0) throw ManifestError("manifest live: hop_seconds $hop must be > 0")
            val noData = f.double("no_data_seconds")
            if (!(noData > 0 && noData.isFinite())) throw ManifestError("manifest live: no_data_seconds $noData must be > 0")
            return LiveSpec(hop, SequencerSpec.from(f.obj("sequencer")), QualitySpec.from(f.obj("quality")),
                HeartRateSpec.from(f.obj("heart_rate")), DebounceSpec.from(f.obj("debounce")), noData)
        }
    }
}

/** What the loop reports, in order: a transport [Event] or the verdict on one window. */
sealed interface LiveItem {
    class Transport(val event: Event) : LiveItem
}

/** A window's status; [json] is its name in the stream lines. */
enum class WindowStatus(val json: String) { CLASSIFIED("classified"), REJECTED("rejected") }

/** Why a window was not classified; [json] is its name in the stream lines. */
enum class RejectReason(val json: String) { GAP("gap"), CLOCK_JUMP("clock_jump"), QUALITY("quality") }

/** The verdict on one window, with the intermediates a screen or a comparison needs. */
class WindowResult(
    val window: Window,
    val rate: Int,
    val status: WindowStatus,
    val reason: RejectReason?,
    val quality: Quality?,
    val preprocessed: Preprocessed?,
    val heartRateBpm: Double?,
    val probabilities: DoubleArray?,
    val above: List<String>,
    val findings: List<String>,
    val codes: List<String>,
) : LiveItem

/**
 * Frames -> events and one verdict per window (`streaming/live.py`). For every window, in order:
 * a gap or a clock jump inside it -> rejected, never preprocessed; the preprocessing contract; the
 * quality gate -> rejected `quality`; heart rate, the model, thresholds and the debounce -> classified.
 * A rejected window resets the debounce, so findings are shown only on unbroken good signal.
 * [onSamples] sees every ordered chunk (for a live strip) before its windows are judged.
 */
class LiveLoop(
    private val device: Device,
    private val preprocessing: PreprocessingSpec,
    live: LiveSpec,
    private val classifier: EcgClassifier,
    private val onSamples: (Chunk) -> Unit = {},
) {
    private val sequencer = FrameSequencer(device, live.sequencer)
    private val cutter = WindowCutter(preprocessing.inputLength(device.rate), WindowCutter.hopSamples(live.hopSeconds, device.rate))
    private val preprocessor = Preprocessor(preprocessing)
    private val gate = QualityGate(live.quality)
    private val heartRate = HeartRate(live.heartRate)
    private val debouncer = Debouncer(classifier.codes.size, live.debounce)

    /** One notification from the data characteristic. */
    fun feed(data: ByteArray): List<LiveItem> = consume(sequencer.push(data))

    /** End of stream: release held-back frames (a window still incomplete is not reported). */
    fun finish(): List<LiveItem> = consume(sequencer.flush())

    private fun consume(items: List<Sequenced>): List<LiveItem> = items.flatMap { item ->
        when (item) {
            is Sequenced.Of -> listOf(LiveItem.Transport(item.event))
            is Sequenced.Samples -> {
                onSamples(item.chunk)
                cutter.add(item.chunk).map { judge(it) }
            }
        }
    }

    /** The steps of the class comment for one window. */
    fun judge(window: Window): WindowResult {
        val codes = classifier.codes
        val samples = window.samplesMv
        if (samples == null || window.hasGap) {
            debouncer.reset()
            return WindowResult(window, device.rate, WindowStatus.REJECTED, if (samples == null) RejectReason.CLOCK_JUMP else RejectReason.GAP,
                null, null, null, null, emptyList(), emptyList(), codes)
        }
        val raw = arrayOf(samples)
        val pre = preprocessor.window(raw, device.rate)
        val quality = gate.assess(raw, device.rate, pre)
        if (!quality.ok) {
            debouncer.reset()
            return WindowResult(window, device.rate, WindowStatus.REJECTED, RejectReason.QUALITY, quality, pre, null, null, emptyList(), emptyList(), codes)
        }
        val hr = heartRate.bpm(pre.filtered[0], preprocessing.modelRate)
        val shape = longArrayOf(1, pre.window.size.toLong(), pre.window[0].size.toLong())
        val probs = classifier.probabilities(pre.modelInput(), shape)
        val above = aboveThreshold(probs, classifier.thresholds, classifier.multiLabel)
        val shown = debouncer.update(above)
        return WindowResult(window, device.rate, WindowStatus.CLASSIFIED, null, quality, pre, hr, probs,
            codes.filterIndexed { i, _ -> above[i] }, codes.filterIndexed { i, _ -> shown[i] }, codes)
    }
}
