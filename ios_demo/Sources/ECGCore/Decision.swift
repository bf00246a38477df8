import Foundation

/// Per-class thresholds and the debounce (`contract/decision.py`, `contract/decision.py`).
public enum Decision {
    /// Which classes pass in one window: multi-label `p >= t` per class; single-label the class
    /// with the largest `p / t` (the first on ties).
    public static func aboveThreshold(_ probabilities: [Double], thresholds: [Double], multiLabel: Bool)
        throws(StreamError) -> [Bool] {
        guard probabilities.count == thresholds.count, !thresholds.isEmpty else {
            throw StreamError(.classifier, "\(probabilities.count) probabilities but \(thresholds.count) thresholds")
        }
        if multiLabel { return zip(probabilities, thresholds).map { $0 >= $1 } }
        var pick = 0
        for c in probabilities.indices where probabilities[c] / thresholds[c] > probabilities[pick] / thresholds[pick] {
            pick = c
        }
        return probabilities.indices.map { $0 == pick }
    }
}

/// Consecutive above-threshold counts per class: a class is shown once it passed in `windows`
/// consecutive classified windows; a rejected window resets every count.
public struct Debouncer: Sendable, Equatable {
    public let windows: Int
    public private(set) var counts: [Int]

    public init(classes: Int, windows: Int) {
        self.windows = windows
        self.counts = [Int](repeating: 0, count: classes)
    }

    /// Count one classified window; which classes are shown.
    public mutating func update(_ above: [Bool]) -> [Bool] {
        counts = zip(counts, above).map { $1 ? $0 + 1 : 0 }
        return shown
    }

    /// A rejected window: every count back to zero.
    public mutating func reset() -> [Bool] {
        counts = [Int](repeating: 0, count: counts.count)
        return shown
    }

    public var shown: [Bool] { counts.map { $0 >= windows } }
}
