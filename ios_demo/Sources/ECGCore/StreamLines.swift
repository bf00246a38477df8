import Foundation

/// The JSON lines `python -m streaming stream` prints, built from live-loop items (same keys,
/// same order, same rounding).
public enum StreamLines {
    /// `{"event", "frame", ["at_sample"], ["missing_samples"], ["message"]}`.
    public static func json(_ e: StreamEvent) -> JSONValue {
        var members: [(String, JSONValue)] = [("event", .string(e.kind.rawValue)), ("frame", .int(e.frame))]
        if let v = e.atSample { members.append(("at_sample", .int(v))) }
        if let v = e.missingSamples { members.append(("missing_samples", .int(v))) }
        if let v = e.message { members.append(("message", .string(v))) }
        return .object(members)
    }

    /// The quality verdict (`Quality.to_dict`).
    public static func json(_ q: Quality) -> JSONValue {
        func number(_ v: Double?) -> JSONValue { v.map(JSONValue.double) ?? .null }
        return .object([
            ("ok", .bool(q.ok)), ("reasons", .array(q.reasons.map(JSONValue.string))),
            ("leads", .array(q.leads.map { l in
                .object([("min_segment_ptp_mv", number(l.minSegmentPtpMV)), ("max_abs_mv", number(l.maxAbsMV)),
                         ("std_mv", number(l.stdMV)),
                         ("saturated_fraction", number(l.saturatedFraction)), ("noise_ratio", number(l.noiseRatio)),
                         ("reasons", .array(l.reasons.map(JSONValue.string)))])
            })),
        ])
    }

    /// How much of the model input a window line carries (`--emit-input[=full]`).
    public enum InputDetail: Sendable { case none, summary, full }

    /// The window line (`WindowResult.to_dict`); with `input` also `"input"`: min, max, mean and
    /// sum of absolute values of the model input, and with `.full` its values (null when the window
    /// was not preprocessed).
    public static func json(_ r: WindowResult, input: InputDetail = .none) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("window", .int(r.window.index)), ("start_sample", .int(r.window.start)),
            ("start_s", .double(pythonRound(Double(r.window.start) / Double(r.rate), 6))),
            ("segment", .int(r.window.segment)), ("status", .string(r.status.rawValue)),
            ("reason", r.reason.map { .string($0.rawValue) } ?? .null),
            ("quality", r.quality.map(json) ?? .null),
            ("heart_rate_bpm", r.heartRateBPM.map { .double(pythonRound($0, 3)) } ?? .null),
            ("probabilities", r.probabilities.map { p in
                .object(zip(r.codes, p).map { ($0, .double(pythonRound($1, 6))) })
            } ?? .null),
            ("above", .array(r.above.map(JSONValue.string))),
            ("findings", .array(r.findings.map(JSONValue.string))),
        ]
        if input != .none {
            members.append(("input", r.preprocessed.map { inputSummary($0.window, full: input == .full) } ?? .null))
        }
        return .object(members)
    }

    /// One item's line.
    public static func line(_ item: LiveItem, input: InputDetail = .none) -> String {
        switch item {
        case let .event(e): return json(e).text
        case let .window(r): return json(r, input: input).text
        }
    }

    static func inputSummary(_ window: [[Float]], full: Bool) -> JSONValue {
        let values = window.flatMap { $0 }.map(Double.init)
        guard let lo = values.min(), let hi = values.max() else { return .null }
        let mean = values.reduce(0, +) / Double(values.count)
        let sumAbs = values.reduce(0) { $0 + abs($1) }
        var members: [(String, JSONValue)] = [
            ("min", .double(pythonRound(lo, 6))), ("max", .double(pythonRound(hi, 6))),
            ("mean", .double(pythonRound(mean, 6))), ("sum_abs", .double(pythonRound(sumAbs, 6))),
        ]
        if full { members.append(("values", .array(values.map { .double(pythonRound($0, 6)) }))) }
        return .object(members)
    }
}
