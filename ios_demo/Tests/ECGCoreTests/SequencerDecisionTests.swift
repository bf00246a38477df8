import ECGCore
import XCTest

/// `golden/streaming/sequencer.json` and `decision.json`.
final class SequencerDecisionTests: XCTestCase {
    func testEverySequencerCase() throws {
        let g = try Golden.load("streaming/sequencer.json")
        let numbers = try Golden.decode(SequencerNumbers.self, g["numbers"])
        let device = Device(kind: .polarH10, rate: try XCTUnwrap(g["device"]?["rate_hz"]?.integer),
                            samplesPerFrame: try XCTUnwrap(g["device"]?["samples_per_frame"]?.integer))
        let cases = try XCTUnwrap(g["cases"]?.members)
        XCTAssertEqual(cases.count, 11)
        for (name, c) in cases {
            var seq = FrameSequencer(device: device, numbers: numbers)
            var items: [SequencedItem] = []
            for hex in Golden.strings(c["frames"]) { items += seq.push(try XCTUnwrap(Hex.decode(hex))) }
            items += seq.flush()
            let events = items.compactMap { if case let .event(e) = $0 { StreamLines.json(e) } else { nil } }
            XCTAssertEqual(events, c["events"]?.array?.map(ordered), name)
            let chunks = items.compactMap { if case let .chunk(k) = $0 { k } else { nil } }
            let want = try XCTUnwrap(c["chunks"]?.array)
            XCTAssertEqual(chunks.count, want.count, name)
            for (got, w) in zip(chunks, want) {
                XCTAssertEqual(got.start, w["start"]?.integer, name)
                XCTAssertEqual(got.restart, w["restart"]?.boolean, name)
                XCTAssertEqual(got.samplesMV.map { Int(($0 * 1000).rounded()) }, Golden.numbers(w["samples_uv"]).map { Int($0) }, name)
            }
        }
    }

    /// `test_rate_estimate_waits_for_two_seconds_then_clamps_to_five_percent`: `live.sequencer.rate_rule`
    /// and `tolerance_rule` with the manifest's numbers.
    func testRateEstimateWaitsForTwoSecondsThenClampsToFivePercent() throws {
        let n = try Golden.decode(SequencerNumbers.self, try Golden.load("streaming/sequencer.json")["numbers"])
        XCTAssertEqual(n.maxClockDrift, 0.05)
        XCTAssertEqual(n.rateEstimateSeconds, 2.0)
        XCTAssertEqual(n.estimatedRate(nominal: 130, samples: 259, seconds: 1.99, previous: 128), 128)  // too short
        XCTAssertEqual(n.estimatedRate(nominal: 130, samples: 247, seconds: 2, previous: 130), 123.5, accuracy: 1e-9)
        XCTAssertEqual(n.estimatedRate(nominal: 130, samples: 200, seconds: 2, previous: 130), 123.5, accuracy: 1e-9)  // clamped
        XCTAssertEqual(n.estimatedRate(nominal: 130, samples: 400, seconds: 2, previous: 130), 136.5, accuracy: 1e-9)
        XCTAssertEqual(n.toleranceSamples(73), 2 + 0.05 * 73, accuracy: 1e-12)
    }

    /// `test_drifting_clock_is_contiguous_and_its_rate_is_estimated`: 60 s of a 130 Hz H10 whose clock
    /// runs off (frames built as `streaming/simulator.py` does with `clock_error`): no event, the rate
    /// found to 0.1 %; one dropped frame is a gap of its 73 samples.
    func testDriftingClockIsContiguousAndItsRateIsEstimated() throws {
        let numbers = try Golden.decode(SequencerNumbers.self, try Golden.load("streaming/sequencer.json")["numbers"])
        let h10 = try Device.named("polar-h10")
        let clockStartNs: UInt64 = 820_454_400 * 1_000_000_000  // simulator.POLAR_CLOCK_START_NS
        let signal = (0..<(130 * 60)).map { Int((sin(Double($0) / 13.0) * 1000).rounded()) }  // µV
        for clockError in [-0.05, -0.02, 0.02, 0.05] {
            let trueRate = Double(h10.rate) * (1 + clockError)
            let sent = try stride(from: 0, to: signal.count, by: h10.samplesPerFrame).map { i in
                let samples = Array(signal[i..<min(i + h10.samplesPerFrame, signal.count)])
                let last = i + samples.count - 1
                let ts = clockStartNs + UInt64((Double(last) * 1e9 / trueRate).rounded())
                return try PolarPMD.encodeEcgFrame(samplesUV: samples, timestampNs: ts)
            }
            var seq = FrameSequencer(device: h10, numbers: numbers)
            let events = sent.flatMap { seq.push($0) }.filter { if case .event = $0 { true } else { false } }
            XCTAssertEqual(events, [], "clock error \(clockError)")
            XCTAssertEqual(seq.rate, trueRate, accuracy: trueRate * 1e-3, "clock error \(clockError)")

            var dropped = FrameSequencer(device: h10, numbers: numbers)
            var items = (sent[..<50] + sent[51...]).flatMap { dropped.push($0) }
            items += dropped.flush()
            let gaps = items.compactMap { if case let .event(e) = $0 { (e.kind, e.missingSamples) } else { nil } }
            XCTAssertEqual(gaps.count, 1, "clock error \(clockError)")
            XCTAssertEqual(gaps.first?.0, .gap, "clock error \(clockError)")
            XCTAssertEqual(gaps.first?.1, 73, "clock error \(clockError)")
        }
    }

    /// The golden JSON's members in the order the stream lines write them (parsing loses order).
    private func ordered(_ event: JSONValue) -> JSONValue {
        let order = ["event", "frame", "at_sample", "missing_samples", "message"]
        return .object(order.compactMap { key in event[key].map { (key, $0) } })
    }

    func testEveryDecisionCase() throws {
        let g = try Golden.load("streaming/decision.json")
        let windows = try XCTUnwrap(g["debounce_windows"]?.integer)
        let cases = try XCTUnwrap(g["cases"]?.members)
        XCTAssertEqual(cases.count, 3)
        for (name, c) in cases {
            let thresholds = Golden.numbers(c["thresholds"])
            let multi = try XCTUnwrap(c["multi_label"]?.boolean)
            var debouncer = Debouncer(classes: thresholds.count, windows: windows)
            for (k, step) in try XCTUnwrap(c["steps"]?.array).enumerated() {
                let shown: [Bool]
                if step["probabilities"]?.isNull ?? true {
                    shown = debouncer.reset()
                } else {
                    let above = try Decision.aboveThreshold(Golden.numbers(step["probabilities"]), thresholds: thresholds,
                                                            multiLabel: multi)
                    XCTAssertEqual(above, Golden.bools(step["above"]), "\(name) step \(k)")
                    shown = debouncer.update(above)
                }
                XCTAssertEqual(shown, Golden.bools(step["shown"]), "\(name) step \(k)")
                XCTAssertEqual(debouncer.counts, Golden.numbers(step["counts"]).map { Int($0) }, "\(name) step \(k)")
            }
        }
        XCTAssertThrowsError(try Decision.aboveThreshold([0.1, 0.2], thresholds: [0.5], multiLabel: false))
    }
}
