import Foundation

/// Frame streams on disk (`streaming/frame_file.py`): one notification per line as hex; `#` lines
/// are comments. What `python -m streaming simulate --out` writes.
public enum FrameFile {
    /// Every frame of the text; a line that is not hex is an input error naming it.
    public static func parse(_ text: String, source: String) throws(StreamError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let bytes = Hex.decode(line) else {
                throw StreamError(.input, "frames \(source) line \(number + 1): not a hex frame")
            }
            frames.append(bytes)
        }
        guard !frames.isEmpty else { throw StreamError(.input, "frames \(source): no frames") }
        return frames
    }

    /// Read a frame file.
    public static func read(_ url: URL) throws(StreamError) -> [[UInt8]] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw StreamError(.input, "frames \(url.path): no such file")
        }
        guard data.allSatisfy({ $0 < 0x80 }), let text = String(data: data, encoding: .ascii) else {
            throw StreamError(.input, "frames \(url.path): cannot read as text (UnicodeDecodeError)")
        }
        return try parse(text, source: url.path)
    }
}

/// Replays recorded frames as a BLE subscription would deliver them: the app's **Replay** mode
/// (no hardware) and the live-loop tests.
public struct ReplaySource: Sendable {
    public let frames: [[UInt8]]
    /// Time between notifications; zero replays as fast as the consumer reads.
    public let interval: Duration

    public init(frames: [[UInt8]], interval: Duration = .zero) {
        self.frames = frames
        self.interval = interval
    }

    /// Paced like `device`: one frame every `samplesPerFrame / rate` seconds.
    public init(frames: [[UInt8]], realTimeFor device: Device) {
        self.init(frames: frames, interval: .milliseconds(1000 * device.samplesPerFrame / device.rate))
    }

    /// The frames in order; cancelling the consumer stops the replay.
    public func stream() -> AsyncStream<[UInt8]> {
        let frames = frames, interval = interval
        return AsyncStream { continuation in
            let task = Task {
                for frame in frames {
                    if Task.isCancelled { break }
                    continuation.yield(frame)
                    if interval > .zero { try? await Task.sleep(for: interval) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
