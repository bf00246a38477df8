import Foundation

/// The R-peak detector's numbers, the manifest's `live.heart_rate`.
public struct HeartRateNumbers: Codable, Sendable, Equatable {
    public let peakPercentile: Double
    public let peakFraction: Double
    public let refractorySeconds: Double
    enum CodingKeys: String, CodingKey {
        case peakPercentile = "peak_percentile", peakFraction = "peak_fraction", refractorySeconds = "refractory_seconds"
    }
}

/// Heart rate of one window from the slope-based R-peak detector of `contract/heart_rate.py`:
/// a rough number for the screen, not a clinical heart rate.
public struct HeartRateDetector: Sendable {
    public let numbers: HeartRateNumbers

    public init(numbers: HeartRateNumbers) {
        self.numbers = numbers
    }

    /// Indices `i` of the steps `i -> i+1` of steepest slope that are R peaks of `x` at `rate` Hz.
    public func rPeaks(_ x: [Double], rate: Int) -> [Int] {
        guard x.count >= 4 else { return [] }
        let a = (0..<(x.count - 1)).map { abs(x[$0 + 1] - x[$0]) }
        let n = a.count
        let sorted = a.sorted()
        let threshold = numbers.peakFraction * sorted[Int((numbers.peakPercentile * Double(n - 1)).rounded(.down))]
        let refractory = numbers.refractorySeconds * Double(rate)
        var peaks: [Int] = []
        for i in 1..<(n - 1) {
            if a[i] < threshold || a[i] < a[i - 1] || a[i] <= a[i + 1] { continue }
            if let last = peaks.last, Double(i - last) < refractory {
                if a[i] > a[last] { peaks[peaks.count - 1] = i }
                continue
            }
            peaks.append(i)
        }
        return peaks
    }

    /// Mean heart rate in beats per minute, or nil with fewer than two peaks.
    public func bpm(_ x: [Double], rate: Int) -> Double? {
        let peaks = rPeaks(x, rate: rate)
        guard peaks.count >= 2, let first = peaks.first, let last = peaks.last else { return nil }
        return 60.0 * Double(peaks.count - 1) / (Double(last - first) / Double(rate))
    }
}
