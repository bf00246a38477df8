import Foundation

/// The quality gate's thresholds, the manifest's `live.quality` (`contract.quality.quality_numbers`).
public struct QualityNumbers: Codable, Sendable, Equatable {
    public struct Flat: Codable, Sendable, Equatable {
        public let segmentSeconds: Double
        public let minPtpMV: Double
        public let stdFloorMV: Double
        enum CodingKeys: String, CodingKey {
            case segmentSeconds = "segment_seconds", minPtpMV = "min_ptp_mv", stdFloorMV = "std_floor_mv"
        }
    }

    public struct Saturated: Codable, Sendable, Equatable {
        public let minFractionAtExtremes: Double
        public let toleranceMV: Double
        enum CodingKeys: String, CodingKey {
            case minFractionAtExtremes = "min_fraction_at_extremes", toleranceMV = "tolerance_mv"
        }
    }

    public struct Implausible: Codable, Sendable, Equatable {
        public let maxAbsMV: Double
        enum CodingKeys: String, CodingKey { case maxAbsMV = "max_abs_mv" }
    }

    public struct Noisy: Codable, Sendable, Equatable {
        public let maxRatio: Double
        enum CodingKeys: String, CodingKey { case maxRatio = "max_ratio" }
    }

    /// The check names in reporting order (`non_finite`, `flat`, `saturated`, `implausible`, `noisy`).
    public let checks: [String]
    public let flat: Flat
    public let saturated: Saturated
    public let implausible: Implausible
    public let noisy: Noisy

    enum CodingKeys: String, CodingKey { case checks, flat, saturated, implausible, noisy }
}

extension QualityNumbers {
    /// Refuses a check listed in `checks` without its section by name (`live/quality/noisy`), as
    /// `contract/manifest.py` does; `non_finite` has none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        checks = try c.decode([String].self, forKey: .checks)
        for key in [CodingKeys.flat, .saturated, .implausible, .noisy] where checks.contains(key.stringValue) && !c.contains(key) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key],
                                                    debugDescription: "listed in checks but has no section"))
        }
        flat = try c.decode(Flat.self, forKey: .flat)
        saturated = try c.decode(Saturated.self, forKey: .saturated)
        implausible = try c.decode(Implausible.self, forKey: .implausible)
        noisy = try c.decode(Noisy.self, forKey: .noisy)
    }
}

/// The measured numbers of one lead and the reasons it fails (empty when it passes).
public struct LeadQuality: Sendable, Equatable {
    public let minSegmentPtpMV: Double?
    public let maxAbsMV: Double?
    public let stdMV: Double?
    public let saturatedFraction: Double?
    public let noiseRatio: Double?
    public let reasons: [String]
}

/// The verdict on a window: `ok` when no lead has a reason to fail.
public struct Quality: Sendable, Equatable {
    public let leads: [LeadQuality]
    public let reasons: [String]
    public var ok: Bool { reasons.isEmpty }
}

/// Signal quality of one window, a port of `contract/quality.py`: flat (a whole segment's
/// peak-to-peak, or the band-passed std, too small), saturated (too many samples at the extremes),
/// implausible (a raw sample beyond `max_abs_mv`, the sensor range), noisy (`rms(diff(filtered)) /
/// rms(filtered)` too large).
public struct QualityGate: Sendable {
    public let numbers: QualityNumbers

    public init(numbers: QualityNumbers) {
        self.numbers = numbers
    }

    /// The verdict on raw leads (mV at `rate` Hz) and their contract intermediates; `preprocessed`
    /// may be nil only when `raw` holds non-finite samples (`Preprocessor.process` refuses those), as
    /// in `contract.quality.assess_quality`.
    public func assess(raw: [[Double]], rate: Int, preprocessed: Preprocessed?) -> Quality {
        if raw.contains(where: { !$0.allSatisfy(\.isFinite) }) {
            let leads = raw.map { lead in
                LeadQuality(minSegmentPtpMV: nil, maxAbsMV: nil, stdMV: nil, saturatedFraction: nil, noiseRatio: nil,
                            reasons: lead.allSatisfy(\.isFinite) ? [] : ["non_finite"])
            }
            return Quality(leads: leads, reasons: ["non_finite"])
        }
        guard let preprocessed else { preconditionFailure("assess needs the preprocessed window for finite samples") }
        let leads = raw.indices.map { k in
            lead(raw: Array(raw[k].prefix(preprocessed.antialiased[k].count)), rate: rate,
                 filtered: preprocessed.filtered[k], std: preprocessed.leadStd[k])
        }
        let reasons = numbers.checks.filter { r in leads.contains { $0.reasons.contains(r) } }
        return Quality(leads: leads, reasons: reasons)
    }

    func lead(raw: [Double], rate: Int, filtered: [Double], std: Double) -> LeadQuality {
        let ptp = minSegmentPtp(raw, rate: rate)
        let peak = raw.reduce(0) { max($0, abs($1)) }
        let sat = saturatedFraction(raw)
        let noise = Self.noiseRatio(filtered)
        let floor = numbers.flat.stdFloorMV
        var reasons: [String] = []
        if ptp < numbers.flat.minPtpMV || std < floor { reasons.append("flat") }
        if sat >= numbers.saturated.minFractionAtExtremes { reasons.append("saturated") }
        if peak > numbers.implausible.maxAbsMV { reasons.append("implausible") }
        if noise > numbers.noisy.maxRatio && std >= floor { reasons.append("noisy") }
        return LeadQuality(minSegmentPtpMV: ptp, maxAbsMV: peak, stdMV: std, saturatedFraction: sat, noiseRatio: noise, reasons: reasons)
    }

    /// Smallest peak-to-peak over consecutive whole segments (infinite when none fits).
    func minSegmentPtp(_ raw: [Double], rate: Int) -> Double {
        let seg = max(1, Int((numbers.flat.segmentSeconds * Double(rate)).rounded(.toNearestOrEven)))
        var best = Double.infinity
        var start = 0
        while start + seg <= raw.count {
            let part = raw[start..<start + seg]
            best = min(best, (part.max() ?? 0) - (part.min() ?? 0))
            start += seg
        }
        return best
    }

    /// Fraction of samples at the lead's maximum or minimum (0 for a constant lead).
    func saturatedFraction(_ raw: [Double]) -> Double {
        guard let hi = raw.max(), let lo = raw.min() else { return 0 }
        let tol = numbers.saturated.toleranceMV
        if hi - lo <= tol { return 0 }
        let atEdge = raw.reduce(0) { $0 + ($1 >= hi - tol || $1 <= lo + tol ? 1 : 0) }
        return Double(atEdge) / Double(raw.count)
    }

    /// `rms(diff(x)) / rms(x)` of the band-passed lead (0 for a zero lead).
    static func noiseRatio(_ x: [Double]) -> Double {
        let rms = (x.reduce(0) { $0 + $1 * $1 } / Double(x.count)).squareRoot()
        guard rms != 0, x.count > 1 else { return 0 }
        var sum = 0.0
        for i in 1..<x.count { sum += (x[i] - x[i - 1]) * (x[i] - x[i - 1]) }
        return (sum / Double(x.count - 1)).squareRoot() / rms
    }
}
