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
