import ECGCore
import XCTest

/// `golden/streaming/live_polar_h10.json` and `live_movesense.json`: every case's frames through
/// the live loop with the golden scripted model; events, windows and intermediates must match.
final class LiveLoopTests: XCTestCase {
    struct Setup {
        let doc: JSONValue
        let device: Device
        let contract: PreprocessingContract
        let live: LiveNumbers
        let classifier: ScriptedClassifier
    }

    func setup(_ file: String) throws -> Setup {
        let doc = try Golden.load("streaming/\(file)")
        let rate = try XCTUnwrap(doc["rate_hz"]?.integer)
        let device = try Device.named(try XCTUnwrap(doc["device"]?.string), rate: rate)
        let m = try XCTUnwrap(doc["model"])
        let classifier = ScriptedClassifier(codes: Golden.strings(m["codes"]), thresholds: Golden.numbers(m["thresholds"]),
                                            leads: ["I"], multiLabel: try XCTUnwrap(m["multi_label"]?.boolean),
                                            outputs: try XCTUnwrap(m["model_outputs"]?.array).map(Golden.numbers))
        return Setup(doc: doc, device: device, contract: try Golden.contract(rate: rate),
                     live: try Golden.liveNumbers(doc), classifier: classifier)
    }

    func run(_ s: Setup, frames: [[UInt8]]) throws -> [LiveItem] {
        var loop = try LiveLoop(device: s.device, preprocessing: s.contract, live: s.live, classifier: s.classifier)
        var items: [LiveItem] = []
        for f in frames { items += try loop.feed(f) }
        return items + (try loop.finish())
    }

    func testPolarH10Streams() throws { try checkAllCases("live_polar_h10.json", expectedCases: 15, rawUnits: 1000) }

    func testMovesenseStreams() throws {
        try checkAllCases("live_movesense.json", expectedCases: 4, rawUnits: 1000 / Movesense.uvPerLSB)
    }

    func checkAllCases(_ file: String, expectedCases: Int, rawUnits: Double) throws {
        let s = try setup(file)
        let detector = HeartRateDetector(numbers: s.live.heartRate)
        let cases = try XCTUnwrap(s.doc["cases"]?.members)
        XCTAssertEqual(cases.count, expectedCases)
        for (name, c) in cases {
            let frames = Golden.strings(c["frames"]).compactMap(Hex.decode)
            let items = try run(s, frames: frames)
            let events = items.compactMap { if case let .event(e) = $0 { e } else { nil } }
            let wantEvents = try XCTUnwrap(c["events"]?.array)
            XCTAssertEqual(events.count, wantEvents.count, name)
            for (e, w) in zip(events, wantEvents) {
                XCTAssertEqual(e.kind.rawValue, w["event"]?.string, name)
                XCTAssertEqual(e.frame, w["frame"]?.integer, name)
                XCTAssertEqual(e.atSample, w["at_sample"]?.integer, name)
                XCTAssertEqual(e.missingSamples, w["missing_samples"]?.integer, name)
            }
            let windows = items.compactMap { if case let .window(r) = $0 { r } else { nil } }
            let want = try XCTUnwrap(c["windows"]?.array)
            XCTAssertEqual(windows.count, want.count, name)
            for (r, w) in zip(windows, want) {
                let at = "\(name) window \(r.window.index)"
                XCTAssertEqual(r.window.index, w["window"]?.integer, at)
                XCTAssertEqual(r.window.start, w["start_sample"]?.integer, at)
                XCTAssertEqual(r.window.segment, w["segment"]?.integer, at)
                XCTAssertEqual(r.status.rawValue, w["status"]?.string, at)
                XCTAssertEqual(r.reason?.rawValue, w["reason"]?.string, at)
                assertClose(Double(r.window.start) / Double(r.rate), w["start_s"], "\(at) start_s")
                checkQuality(r.quality, w["quality"], at)
                XCTAssertEqual(r.heartRateBPM.map { pythonRound($0, 3) }, w["heart_rate_bpm"]?.number, at)
                XCTAssertEqual(r.probabilities.map { $0.map { pythonRound($0, 6) } },
                               w["probabilities"]?.array?.compactMap(\.number), at)
                XCTAssertEqual(r.above, Golden.strings(w["above"]), at)
                XCTAssertEqual(r.findings, Golden.strings(w["findings"]), at)
                if let std = w["lead_std"] {
                    assertClose(try XCTUnwrap(r.preprocessed).leadStd, Golden.numbers(std), "\(at) lead_std")
                }
                if let peaks = w["r_peaks"], !peaks.isNull {
                    XCTAssertEqual(detector.rPeaks(try XCTUnwrap(r.preprocessed).filtered[0], rate: 100),
                                   Golden.numbers(peaks).map { Int($0) }, at)
                }
                if let raw = w["raw"] {
                    XCTAssertEqual(try XCTUnwrap(r.window.samplesMV).map { Int(($0 * rawUnits).rounded()) },
                                   Golden.numbers(raw).map { Int($0) }, at)
                }
                if let input = w["model_input"] {
                    assertClose(try XCTUnwrap(r.preprocessed).window[0].map(Double.init), Golden.numbers(input),
                                "\(at) model_input")
                }
            }
        }
    }

    func checkQuality(_ q: Quality?, _ want: JSONValue?, _ at: String) {
        guard let want, !want.isNull else { return XCTAssertNil(q, at) }
        guard let q else { return XCTFail("\(at): no quality") }
        XCTAssertEqual(q.ok, want["ok"]?.boolean, at)
        XCTAssertEqual(q.reasons, Golden.strings(want["reasons"]), at)
        let leads = want["leads"]?.array ?? []
        XCTAssertEqual(q.leads.count, leads.count, at)
        for (l, w) in zip(q.leads, leads) {
            assertClose(l.minSegmentPtpMV, w["min_segment_ptp_mv"], "\(at) ptp")
            assertClose(l.stdMV, w["std_mv"], "\(at) std")
            assertClose(l.saturatedFraction, w["saturated_fraction"], "\(at) saturated")
            assertClose(l.noiseRatio, w["noise_ratio"], "\(at) noise")
            XCTAssertEqual(l.reasons, Golden.strings(w["reasons"]), at)
        }
    }

    /// The replay source through `LiveLoop.items` gives the same lines as feeding frame by frame.
    func testReplaySourceThroughTheAsyncLoopEqualsTheGoldenStream() async throws {
        let s = try setup("live_polar_h10.json")
        let frames = Golden.strings(s.doc["cases"]?["drop"]?["frames"]).compactMap(Hex.decode)
        let direct = try run(s, frames: frames).map { StreamLines.line($0) }
        let loop = try LiveLoop(device: s.device, preprocessing: s.contract, live: s.live, classifier: s.classifier)
        var replayed: [String] = []
        var strip = StripBuffer(seconds: 4, rate: s.device.rate)
        var nanRuns = 0
        for try await step in LiveLoop.steps(of: loop, from: ReplaySource(frames: frames).stream()) {
            replayed += step.items.map { StreamLines.line($0) }
            for c in step.chunks {
                strip.add(c)
                if strip.samples.contains(where: \.isNaN) { nanRuns += 1 }
            }
        }
        XCTAssertEqual(replayed, direct)
        XCTAssertEqual(replayed.count, 4)  // one gap event, three windows
        XCTAssertEqual(strip.samples.count, 4 * 130)
        XCTAssertGreaterThan(nanRuns, 0, "the dropped frame shows as a gap in the strip")
        XCTAssertFalse(strip.samples.contains(where: \.isNaN), "and scrolls out")
    }

    func testAOneLeadDeviceRefusesATwelveLeadModel() throws {
        let s = try setup("live_polar_h10.json")
        let twelve = ScriptedClassifier(codes: ["N"], thresholds: [0.5], leads: (1...12).map { "L\($0)" },
                                        multiLabel: true, outputs: [[0.1]])
        XCTAssertThrowsError(try LiveLoop(device: s.device, preprocessing: s.contract, live: s.live, classifier: twelve)) {
            XCTAssertEqual("\($0)", "this model needs 12 leads; Polar H10 provides 1")
        }
    }

    /// Corrupted, cut, repeated and shuffled frames through the whole loop: it never throws, every
    /// frame is accounted for, and every window gets a verdict.
    func testFuzzedStreamsThroughTheWholeLoop() throws {
        let s = try setup("live_polar_h10.json")
        let clean = Golden.strings(s.doc["cases"]?["clean"]?["frames"]).compactMap(Hex.decode)
        var rng = SplitMix64(seed: 7)
        var frames = 0, windows = 0, events = 0
        for _ in 0..<20 {
            var stream: [[UInt8]] = []
            for f in clean {
                var b = f
                switch rng.next() % 10 {
                case 0: b[Int(rng.next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                case 1: b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
                case 2: stream.append(b)
                default: break
                }
                if rng.next() % 8 == 0, let last = stream.popLast() { stream += [b, last] } else { stream.append(b) }
            }
            for item in try run(s, frames: stream) {
                if case let .window(r) = item {
                    windows += 1
                    XCTAssertTrue(r.status == .classified || r.reason != nil)
                } else { events += 1 }
            }
            frames += stream.count
        }
        print("loop fuzz: \(frames) frames, \(events) events, \(windows) windows")
        XCTAssertGreaterThan(windows, 0)
        XCTAssertGreaterThan(events, 0)
    }

    func testBadFramesBecomeEventsAndTheStreamGoesOn() throws {
        let s = try setup("live_polar_h10.json")
        var frames = Golden.strings(s.doc["cases"]?["clean"]?["frames"]).compactMap(Hex.decode)
        frames.insert([0x02, 0x00], at: 3)
        frames.insert([UInt8](repeating: 0xFF, count: 600), at: 10)
        let items = try run(s, frames: frames)
        let bad = items.compactMap { if case let .event(e) = $0, e.kind == .badFrame { e.message } else { nil } }
        XCTAssertEqual(bad, ["PMD frame of 2 bytes, the header needs 10", "PMD frame of 600 bytes exceeds 512"])
        XCTAssertEqual(items.filter { if case .window = $0 { true } else { false } }.count, 3)
    }
}
