import Foundation

/// The sequencer's numbers, read from the manifest's `live.sequencer`.
public struct SequencerNumbers: Codable, Sendable, Equatable {
    public let reorderDepthFrames: Int
    public let gapToleranceSamples: Double
    public let clockJumpSeconds: Double
    public let duplicateMemoryFrames: Int
    /// How far off its nominal rate a sensor's clock may run (0.05: the Polar H10's 130 Hz is ±5 %
    /// over its temperature range).
    public let maxClockDrift: Double
    /// A segment's own rate is used once its samples span this long (seconds).
    public let rateEstimateSeconds: Double

    enum CodingKeys: String, CodingKey {
        case reorderDepthFrames = "reorder_depth_frames"
        case gapToleranceSamples = "gap_tolerance_samples"
        case clockJumpSeconds = "clock_jump_seconds"
        case duplicateMemoryFrames = "duplicate_memory_frames"
        case maxClockDrift = "max_clock_drift"
        case rateEstimateSeconds = "rate_estimate_seconds"
    }

    /// `live.sequencer.rate_rule` (`contract.sequencing.estimated_rate`): the sensor's real rate over a
    /// segment, `samples` released between two first-sample times `seconds` apart, clamped to
    /// `nominal * (1 ± maxClockDrift)`; `previous` (the last estimate, or the nominal rate) until
    /// `seconds` reaches `rateEstimateSeconds`.
    public func estimatedRate(nominal: Double, samples: Int, seconds: Double, previous: Double) -> Double {
        if seconds < rateEstimateSeconds { return previous }
        let lo = nominal * (1 - maxClockDrift), hi = nominal * (1 + maxClockDrift)
        return min(max(Double(samples) / seconds, lo), hi)
    }

    /// `live.sequencer.tolerance_rule` (`contract.sequencing.tolerance_samples`): how far (in samples)
    /// a frame may start from where the previous one of `frameSamples` samples ended and still be contiguous.
    public func toleranceSamples(_ frameSamples: Int) -> Double {
        gapToleranceSamples + maxClockDrift * Double(frameSamples)
    }
}

/// Something the timestamps (or the bytes) tell about the transport.
public struct StreamEvent: Sendable, Equatable {
    /// The event kinds, named as Python's `Event.kind`.
    public enum Kind: String, Sendable {
        case gap, duplicate, late, reordered
        case clockJump = "clock_jump"
        case badFrame = "bad_frame"
    }

    public let kind: Kind
    /// Arrival number of the frame that revealed it (0-based).
    public let frame: Int
    /// Stream index where it takes effect.
    public var atSample: Int? = nil
    /// Gaps only.
    public var missingSamples: Int? = nil
    /// Bad frames only.
    public var message: String? = nil
}

/// Samples released in order: `samplesMV[k]` is stream sample `start + k`.
public struct Chunk: Sendable, Equatable {
    public let start: Int
    public let samplesMV: [Double]
    /// The first chunk of the stream or after a clock jump.
    public let restart: Bool
}

/// What the sequencer releases, in the order it happens.
public enum SequencedItem: Sendable, Equatable {
    case event(StreamEvent)
    case chunk(Chunk)
}

/// Frames in arrival order -> contiguous samples on a stream index, plus what went wrong.
///
/// A port of `streaming/sequencer.py`: frames are held back `reorderDepthFrames` deep and sorted
/// by time; a released frame later than the previous end by more than the tolerance
/// (`toleranceSamples` of the previous frame's size) opens a gap, one far off (or earlier) is a clock
/// jump that restarts the stream. Times are turned into samples at the sensor's estimated rate
/// (`estimatedRate`, updated after each released frame), so a clock running up to `maxClockDrift`
/// off its nominal rate stays contiguous. At arrival, duplicates
/// (identical bytes) and late frames (inside a recorded gap) are dropped; a frame overlapping
/// samples already seen anywhere else means the clock stepped back: held-back frames are released
/// and the frame starts a new segment. Bytes that do not decode are a `bad_frame` event.
public struct FrameSequencer: Sendable {
    private struct Pending: Sendable {
        let firstSampleSeconds: Double
        let arrival: Int
        let frame: DecodedFrame
        let data: [UInt8]

        func precedes(_ other: Pending) -> Bool {
            (firstSampleSeconds, arrival) < (other.firstSampleSeconds, other.arrival)
        }

        /// Where the frame ends at `rate` Hz (the rate estimate of the moment, as Python computes it).
        func endSeconds(rate: Double) -> Double { firstSampleSeconds + Double(frame.samplesMV.count) / rate }
    }

    public let device: Device
    public let numbers: SequencerNumbers
    private var pending: [Pending] = []
    private var recent: [[UInt8]] = []
    /// Recorded gaps, sensor-clock seconds.
    private var gaps: [(start: Double, end: Double)] = []
    private var arrivals = 0
    private var nextIndex = 0
    private var nextTimeSeconds: Double?
    /// Sensor time of the current segment's first released sample.
    private var segmentStartSeconds = 0.0
    /// Stream index of the current segment's first released sample.
    private var segmentStartIndex = 0
    /// Samples in the last released frame (the device's frame size before the first).
    private var previousSamples: Int
    /// The sensor's estimated sample rate (`numbers.estimatedRate`): the nominal rate until a segment
    /// spans `rateEstimateSeconds`, kept across segments.
    public private(set) var rate: Double

    public init(device: Device, numbers: SequencerNumbers) {
        self.device = device
        self.numbers = numbers
        self.rate = Double(device.rate)
        self.previousSamples = device.samplesPerFrame
    }

    /// One notification's bytes.
    public mutating func push(_ data: [UInt8]) -> [SequencedItem] {
        let arrival = arrivals
        arrivals += 1
        let frame: DecodedFrame
        do {
            frame = try device.decode(data)
        } catch {
            return [.event(StreamEvent(kind: .badFrame, frame: arrival, message: error.message))]
        }
        if recent.contains(data) || pending.contains(where: { $0.data == data }) {
            return [.event(StreamEvent(kind: .duplicate, frame: arrival))]
        }
        var out: [SequencedItem] = []
        let item = Pending(firstSampleSeconds: frame.firstSampleSeconds, arrival: arrival, frame: frame, data: data)
        if let nextTime = nextTimeSeconds {
            let early = nextTime - frame.firstSampleSeconds
            if abs(early) > numbers.clockJumpSeconds || stepsBack(item, nextTime: nextTime) {
                return flush() + release(item)
            }
            if early * rate > numbers.toleranceSamples(previousSamples) {
                return [.event(StreamEvent(kind: .late, frame: arrival, atSample: nextIndex))]
            }
        }
        if let last = pending.last, item.precedes(last) {
            out.append(.event(StreamEvent(kind: .reordered, frame: arrival)))
        }
        pending.append(item)
        pending.sort { $0.precedes($1) }
        while pending.count > numbers.reorderDepthFrames {
            out += release(pending.removeFirst())
        }
        return out
    }

    /// Whether `item` overlaps samples already seen (released before `nextTime`, or held back)
    /// outside a recorded gap: the sensor clock stepped back.
    private func stepsBack(_ item: Pending, nextTime: Double) -> Bool {
        let tol = numbers.toleranceSamples(previousSamples) / rate
        let start = item.firstSampleSeconds, end = item.endSeconds(rate: rate)
        if start < nextTime - tol {
            if end <= segmentStartSeconds + tol { return false }  // before the segment's first sample: reordered too far
            return !gaps.contains { $0.start - tol <= start && end <= $0.end + tol }
        }
        return pending.contains { start < $0.endSeconds(rate: rate) - tol && end > $0.firstSampleSeconds + tol }
    }

    /// Release every frame held back (end of stream, or before a clock jump).
    public mutating func flush() -> [SequencedItem] {
        var out: [SequencedItem] = []
        while !pending.isEmpty { out += release(pending.removeFirst()) }
        return out
    }

    private mutating func release(_ item: Pending) -> [SequencedItem] {
        var out: [SequencedItem] = []
        var restart = true
        if let nextTime = nextTimeSeconds {
            restart = false
            let late = (item.firstSampleSeconds - nextTime) * rate
            let tol = numbers.toleranceSamples(previousSamples)
            if late < -tol || late > numbers.clockJumpSeconds * rate {
                out.append(.event(StreamEvent(kind: .clockJump, frame: item.arrival, atSample: nextIndex)))
                restart = true
                gaps.removeAll()
            } else if late > tol {
                let missing = Int((late + 0.5).rounded(.down))  // live.sequencer.gap_rounding: floor(late + 0.5), half up
                out.append(.event(StreamEvent(kind: .gap, frame: item.arrival, atSample: nextIndex,
                                              missingSamples: missing)))
                gaps.append((start: nextTime, end: item.firstSampleSeconds))
                if gaps.count > numbers.duplicateMemoryFrames { gaps.removeFirst(gaps.count - numbers.duplicateMemoryFrames) }
                nextIndex += missing
            }
        }
        if restart {
            segmentStartSeconds = item.firstSampleSeconds
            segmentStartIndex = nextIndex
        }
        rate = numbers.estimatedRate(nominal: Double(device.rate), samples: nextIndex - segmentStartIndex,
                                     seconds: item.firstSampleSeconds - segmentStartSeconds, previous: rate)
        let n = item.frame.samplesMV.count
        out.append(.chunk(Chunk(start: nextIndex, samplesMV: item.frame.samplesMV, restart: restart)))
        nextIndex += n
        previousSamples = n
        nextTimeSeconds = item.firstSampleSeconds + Double(n) / rate
        recent.append(item.data)
        if recent.count > numbers.duplicateMemoryFrames { recent.removeFirst(recent.count - numbers.duplicateMemoryFrames) }
        return out
    }
}
