import Foundation

/// One window at the device rate: `samplesMV` (NaN where a gap was), or nil when a clock jump cut it.
public struct Window: Sendable, Equatable {
    /// Running number over the stream.
    public let index: Int
    /// Stream sample index of its first sample.
    public let start: Int
    public let samplesMV: [Double]?
    /// 0 for the first segment, +1 after each clock jump.
    public let segment: Int

    public var hasGap: Bool { samplesMV?.contains(where: \.isNaN) ?? false }
}

/// Cut model windows from sequenced chunks: `need` samples every `hop` samples (a port of
/// `streaming/windows.py`). Windows start at `origin, origin + hop, …` where `origin` is the
/// first sample of the stream or of the segment after a clock jump.
public struct WindowCutter: Sendable {
    public let need: Int
    public let hop: Int
    private var buffer: [Double] = []
    private var bufferStart = 0
    private var nextStart: Int?
    private var count = 0
    private var segment = -1

    /// `need` from the manifest's `resample.input_samples_by_rate`, the hop in seconds from `live.hop_seconds`.
    public init(need: Int, rate: Int, hopSeconds: Double) {
        self.need = need
        self.hop = max(1, Int((hopSeconds * Double(rate)).rounded(.toNearestOrEven)))
    }

    private var bufferEnd: Int { bufferStart + buffer.count }

    /// Add one chunk; every window whose last sample it brings.
    public mutating func add(_ chunk: Chunk) -> [Window] {
        var out: [Window] = []
        if chunk.restart || nextStart == nil {
            out += cutShort()
            segment += 1
            buffer = []
            bufferStart = chunk.start
            nextStart = chunk.start
        }
        let missing = max(0, chunk.start - bufferEnd)
        buffer += [Double](repeating: .nan, count: missing)
        buffer += chunk.samplesMV
        guard var start = nextStart else { return out }
        while start + need <= bufferEnd {
            let lo = start - bufferStart
            out.append(window(start, Array(buffer[lo..<lo + need])))
            start += hop
        }
        nextStart = start
        let drop = min(start - bufferStart, buffer.count)
        buffer.removeFirst(drop)
        bufferStart += drop
        return out
    }

    /// Windows already begun when the segment ends (a clock jump): reported without samples.
    private mutating func cutShort() -> [Window] {
        var out: [Window] = []
        while let start = nextStart, start < bufferEnd {
            out.append(window(start, nil))
            nextStart = start + hop
        }
        return out
    }

    private mutating func window(_ start: Int, _ samples: [Double]?) -> Window {
        let w = Window(index: count, start: start, samplesMV: samples, segment: segment)
        count += 1
        return w
    }
}
