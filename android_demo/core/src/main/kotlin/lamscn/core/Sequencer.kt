package lamscn.core

import kotlin.math.floor

/**
 * The sequencer's numbers (manifest `live.sequencer`) and its arithmetic rules (`contract/sequencing.py`):
 * a strap's clock may run up to [maxClockDrift] off its nominal rate, so times are turned into samples
 * at the sensor's [estimatedRate], and contiguity is judged within [toleranceSamples].
 */
data class SequencerSpec(
    val reorderDepthFrames: Int, val gapToleranceSamples: Double, val clockJumpSeconds: Double, val duplicateMemoryFrames: Int,
    val maxClockDrift: Double, val rateEstimateSeconds: Double,
) {
    /**
     * The sensor's real sample rate over a segment (`rate_rule`): [samples] released between two
     * first-sample times [seconds] apart, clamped to `nominal * (1 ± maxClockDrift)`; [previousHz]
     * (the last estimate, or the nominal rate) while [seconds] < [rateEstimateSeconds].
     */
    fun estimatedRate(nominalHz: Double, samples: Long, seconds: Double, previousHz: Double): Double {
        if (seconds < rateEstimateSeconds) return previousHz
        val lo = nominalHz * (1 - maxClockDrift)
        val hi = nominalHz * (1 + maxClockDrift)
        return minOf(maxOf(samples.toDouble() / seconds, lo), hi)
    }

    /** How far (in samples) a frame may start from where the previous one, of [frameSamples] samples,
     *  ended and still be contiguous (`tolerance_rule`). */
    fun toleranceSamples(frameSamples: Int): Double = gapToleranceSamples + maxClockDrift * frameSamples

    companion object {
        /** The missing samples of a gap of lateness `d` samples: half rounded up, as `contract/sequencing.py`. */
        const val GAP_ROUNDING = "floor(lateness_samples + 0.5)"

        fun from(f: JsonFields): SequencerSpec {
            if (f.has("gap_rounding") && f.string("gap_rounding") != GAP_ROUNDING) {
                throw ManifestError("manifest live/sequencer: gap_rounding '${f.string("gap_rounding")}' is not implemented here (expected '$GAP_ROUNDING')")
            }
            return SequencerSpec(f.int("reorder_depth_frames"), f.double("gap_tolerance_samples"),
                f.double("clock_jump_seconds"), f.int("duplicate_memory_frames"),
                f.double("max_clock_drift"), f.double("rate_estimate_seconds"))
        }
    }
}

/** What a transport event is; [json] is its name in the stream lines. */
enum class EventKind(val json: String) {
    GAP("gap"), CLOCK_JUMP("clock_jump"), DUPLICATE("duplicate"), LATE("late"), REORDERED("reordered"), BAD_FRAME("bad_frame")
}

/** Something the timestamps (or the bytes) tell about the transport. */
data class Event(
    val kind: EventKind,
    val frame: Int, // arrival number of the frame that revealed it (0-based)
    val atSample: Long? = null,
    val missingSamples: Long? = null,
    val message: String? = null,
)

/** Samples released in order: `samplesMv[k]` is stream sample `start + k`. */
class Chunk(val start: Long, val samplesMv: DoubleArray, val restart: Boolean)

/** A [Chunk] or an [Event], in the order the sequencer produces them. */
sealed interface Sequenced {
    class Of(val event: Event) : Sequenced
    class Samples(val chunk: Chunk) : Sequenced
}

/**
 * Frames in arrival order -> contiguous samples on a stream index, plus what went wrong
 * (`streaming/sequencer.py`): reorder within [SequencerSpec.reorderDepthFrames] frames, drop
 * duplicates (identical bytes) and late frames (inside a recorded gap), turn missing time into gaps
 * and large steps, or backward steps onto samples already seen, into clock jumps. Times are turned
 * into samples at the sensor's [rate], estimated from the current segment's timestamps
 * ([SequencerSpec.estimatedRate]), so a strap whose clock drifts stays contiguous.
 */
class FrameSequencer(private val device: Device, private val spec: SequencerSpec) {
    private class Pending(val firstSampleS: Double, val arrival: Int, val frame: DecodedFrame, val data: ByteArray)

    private val order = compareBy<Pending>({ it.firstSampleS }, { it.arrival })
    private val pending = ArrayList<Pending>()
    private val recent = ArrayDeque<ByteArray>()
    private val gaps = ArrayDeque<Pair<Double, Double>>() // sensor-clock seconds
    private var arrivals = 0
    private var nextIndex = 0L
    private var nextTimeS: Double? = null
    private var segmentStartS = 0.0 // sensor time of the current segment's first released sample
    private var segmentStartIndex = 0L // stream index of that sample
    private var previousSamples = device.samplesPerFrame // samples in the last released frame

    /** The sensor's estimated rate (Hz): the nominal rate until a segment spans [SequencerSpec.rateEstimateSeconds]. */
    var rate = device.rate.toDouble()
        private set

    /** Where [p]'s samples end at the current [rate]. */
    private fun endS(p: Pending) = p.firstSampleS + p.frame.samplesMv.size / rate

    /** One notification's bytes. */
    fun push(data: ByteArray): List<Sequenced> {
        val arrival = arrivals++
        val frame = try {
            device.decode(data)
        } catch (e: FrameError) {
            return listOf(Sequenced.Of(Event(EventKind.BAD_FRAME, arrival, message = e.message)))
        }
        if (recent.any { it.contentEquals(data) } || pending.any { it.data.contentEquals(data) }) {
            return listOf(Sequenced.Of(Event(EventKind.DUPLICATE, arrival)))
        }
        val item = Pending(frame.firstSampleS, arrival, frame, data.copyOf())
        val out = ArrayList<Sequenced>()
        val next = nextTimeS
        if (next != null) {
            val earlyS = next - frame.firstSampleS
            if (kotlin.math.abs(earlyS) > spec.clockJumpSeconds || stepsBack(item, next)) return flush() + release(item)
            if (earlyS * rate > spec.toleranceSamples(previousSamples)) return listOf(Sequenced.Of(Event(EventKind.LATE, arrival, atSample = nextIndex)))
        }
        if (pending.isNotEmpty() && order.compare(item, pending.last()) < 0) out += Sequenced.Of(Event(EventKind.REORDERED, arrival))
        pending += item
        pending.sortWith(order)
        while (pending.size > spec.reorderDepthFrames) out += release(pending.removeAt(0))
        return out
    }

    /**
     * Whether [item] overlaps samples already seen (released before [next], or held back) outside
     * a recorded gap: the sensor clock stepped back.
     */
    private fun stepsBack(item: Pending, next: Double): Boolean {
        val tol = spec.toleranceSamples(previousSamples) / rate
        val start = item.firstSampleS
        val end = endS(item)
        if (start < next - tol) {
            if (end <= segmentStartS + tol) return false // before the segment's first sample: reordered too far
            return gaps.none { (g0, g1) -> g0 - tol <= start && end <= g1 + tol }
        }
        return pending.any { start < endS(it) - tol && end > it.firstSampleS + tol }
    }

    /** Release every frame held back (end of stream, or before a clock jump). */
    fun flush(): List<Sequenced> {
        val out = ArrayList<Sequenced>()
        while (pending.isNotEmpty()) out += release(pending.removeAt(0))
        return out
    }

    private fun release(item: Pending): List<Sequenced> {
        val out = ArrayList<Sequenced>()
        val frame = item.frame
        val previous = nextTimeS
        var restart = previous == null
        if (previous != null) {
            val late = (frame.firstSampleS - previous) * rate
            val tol = spec.toleranceSamples(previousSamples)
            if (late < -tol || late > spec.clockJumpSeconds * rate) {
                out += Sequenced.Of(Event(EventKind.CLOCK_JUMP, item.arrival, atSample = nextIndex))
                restart = true
                gaps.clear()
            } else if (late > tol) {
                val missing = floor(late + 0.5).toLong() // SequencerSpec.GAP_ROUNDING: half up, not half to even
                out += Sequenced.Of(Event(EventKind.GAP, item.arrival, atSample = nextIndex, missingSamples = missing))
                gaps.addLast(previous to frame.firstSampleS)
                while (gaps.size > spec.duplicateMemoryFrames) gaps.removeFirst()
                nextIndex += missing
            }
        }
        if (restart) {
            segmentStartS = frame.firstSampleS
            segmentStartIndex = nextIndex
        }
        rate = spec.estimatedRate(device.rate.toDouble(), nextIndex - segmentStartIndex, frame.firstSampleS - segmentStartS, rate)
        val n = frame.samplesMv.size
        out += Sequenced.Samples(Chunk(nextIndex, frame.samplesMv, restart))
        nextIndex += n
        previousSamples = n
        nextTimeS = frame.firstSampleS + n / rate
        recent.addLast(item.data)
        while (recent.size > spec.duplicateMemoryFrames) recent.removeFirst()
        return out
    }
}
