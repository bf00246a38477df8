import Foundation

/// The last seconds of signal for the live strip: samples on the stream index, NaN where a gap
/// was, cleared at a restart (clock jump).
public struct StripBuffer: Sendable {
    public let capacity: Int
    public private(set) var samples: [Double] = []
    private var end: Int?

    /// `seconds` of signal at `rate` Hz.
    public init(seconds: Double, rate: Int) {
        capacity = max(1, Int(seconds * Double(rate)))
    }

    public mutating func add(_ chunk: Chunk) {
        if chunk.restart || end == nil { samples = [] }
        if let end, chunk.start > end, !chunk.restart {
            samples += [Double](repeating: .nan, count: min(chunk.start - end, capacity))
        }
        samples += chunk.samplesMV
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        end = chunk.start + chunk.samplesMV.count
    }
}

/// The signal-quality badge: poor when the quality gate rejects the window or the debounced
/// findings include the manifest's poor-signal label (`decision.poor_signal_label`, CinC 2017's
/// `~`, as the Android demo decides), interrupted by a gap or a clock jump.
public enum SignalBadge: Sendable, Equatable {
    case waiting
    case good
    case poor(String)
    case interrupted(String)

    /// The badge of a window; `poorSignalLabel` is the manifest's `decision.poorSignalLabel` (nil:
    /// the model has no "too noisy to classify" class).
    public init(_ r: WindowResult, poorSignalLabel: String?) {
        switch (r.status, r.reason) {
        case (.rejected, .quality?):
            self = .poor("poor signal: " + (r.quality?.reasons ?? []).joined(separator: ", "))
        case (.rejected, .gap?):
            self = .interrupted("signal interrupted (lost frames)")
        case (.rejected, _):
            self = .interrupted("signal interrupted (sensor clock jumped)")
        case (.classified, _):
            if let poor = poorSignalLabel, r.findings.contains(poor) {
                self = .poor("poor signal: too noisy to classify")
            } else {
                self = .good
            }
        }
    }

    public var text: String {
        switch self {
        case .waiting: return "waiting for 10 s of signal"
        case .good: return "good signal"
        case let .poor(s), let .interrupted(s): return s
        }
    }
}

/// One line of the findings list: a class, its probability in this window, whether it passed its
/// threshold, and whether the debounce shows it.
public struct FindingRow: Sendable, Equatable, Identifiable {
    public let code: String
    public let name: String
    public let probability: Double
    public let above: Bool
    public let shown: Bool
    public var id: String { code }

    /// Rows of a classified window, most probable first (empty for a rejected window); the
    /// poor-signal label (the manifest's `decision.poorSignalLabel`, nil for none) is left to the badge.
    public static func rows(_ r: WindowResult, labels: [Manifest.Label], poorSignalLabel: String?) -> [FindingRow] {
        guard let p = r.probabilities else { return [] }
        return zip(labels, p).filter { $0.0.code != poorSignalLabel }.map { label, prob in
            FindingRow(code: label.code, name: label.name, probability: prob, above: r.above.contains(label.code),
                       shown: r.findings.contains(label.code))
        }.sorted { $0.probability > $1.probability }
    }
}
