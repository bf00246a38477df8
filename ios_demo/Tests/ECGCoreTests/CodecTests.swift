import ECGCore
import XCTest

/// `golden/streaming/polar_h10_codec.json`, `polar_sdk_vectors.json` and `movesense_codec.json`, and fuzzed bytes.
final class CodecTests: XCTestCase {
    func testPolarCommandsAndSequences() throws {
        let g = try Golden.load("streaming/polar_h10_codec.json")
        XCTAssertEqual(g["uuids"]?["service"]?.string, PolarPMD.serviceUUID)
        XCTAssertEqual(g["uuids"]?["control_point"]?.string, PolarPMD.controlPointUUID)
        XCTAssertEqual(g["uuids"]?["data"]?.string, PolarPMD.dataUUID)
        XCTAssertEqual(g["commands"]?["get_settings_ecg"]?.string, Hex.encode(PolarPMD.getSettingsCommand()))
        XCTAssertEqual(g["commands"]?["start_ecg_130hz_14bit"]?.string, Hex.encode(try PolarPMD.startEcgCommand()))
        XCTAssertEqual(g["commands"]?["stop_ecg"]?.string, Hex.encode(PolarPMD.stopCommand()))
        let h10 = try Device.named("polar-h10")
        XCTAssertEqual(Golden.strings(g["start_sequence"]), try h10.startCommands().map(Hex.encode))
        XCTAssertEqual(Golden.strings(g["stop_sequence"]), try h10.stopCommands().map(Hex.encode))
    }

    func testPolarControlPointResponses() throws {
        let g = try Golden.load("streaming/polar_h10_codec.json")
        let cases = try XCTUnwrap(g["control_point_responses"]?.array)
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            guard case let .response(r) = try PolarPMD.decodeControlPoint(Golden.bytes(c["hex"])) else {
                return XCTFail("\(c["hex"]?.string ?? "?") is not a response")
            }
            try assertResponse(r, c)
            if r.ok {
                XCTAssertNoThrow(try r.checkStatus())
            } else {
                XCTAssertThrowsError(try r.checkStatus()) { error in
                    XCTAssertTrue("\(error)".contains("(\(r.statusText))"), "\(error)")
                }
            }
        }
        for c in try XCTUnwrap(g["control_point_errors"]?.array) {
            assertFrameError(c) { (b: [UInt8]) throws(FrameError) in _ = try PolarPMD.decodeControlPoint(b) }
        }
    }

    func testPolarStopNoticesJoinsAndSettings() throws {
        let g = try Golden.load("streaming/polar_h10_codec.json")
        let notices = try XCTUnwrap(g["control_point_notices"]?.array)
        XCTAssertFalse(notices.isEmpty)
        for c in notices {
            guard case let .stopped(n) = try PolarPMD.decodeControlPoint(Golden.bytes(c["hex"])) else {
                return XCTFail("\(c["hex"]?.string ?? "?") is not a measurement-stopped notice")
            }
            assertNotice(n, c)
        }
        for c in try XCTUnwrap(g["control_point_joins"]?.array) {
            let r = try PolarPMD.joinControlPointResponses(Golden.strings(c["parts"]).compactMap(Hex.decode))
            try assertResponse(r, c)
            XCTAssertEqual(Hex.encode(r.parameters), c["parameters_hex"]?.string)
        }
        let joinErrors = try XCTUnwrap(g["control_point_join_errors"]?.array)
        XCTAssertEqual(joinErrors.count, 5)
        for c in joinErrors {
            XCTAssertThrowsError(try PolarPMD.joinControlPointResponses(Golden.strings(c["parts"]).compactMap(Hex.decode))) {
                XCTAssertEqual(($0 as? FrameError)?.kind.rawValue, c["error"]?.string)
                XCTAssertEqual(($0 as? FrameError)?.message, c["message"]?.string)
            }
        }
        for c in try XCTUnwrap(g["settings_blocks"]?.array) {
            try assertSettings(try PolarPMD.decodeSettings(Golden.bytes(c["hex"])), c["settings"])
        }
        for c in try XCTUnwrap(g["settings_errors"]?.array) {
            assertFrameError(c) { (b: [UInt8]) throws(FrameError) in _ = try PolarPMD.decodeSettings(b) }
        }
        XCTAssertThrowsError(try PolarPMD.encodeSettings([(.security, 1)])) {
            XCTAssertEqual("\($0)", "PMD setting SECURITY is a 16-byte key, not a number: it cannot be encoded from one")
        }
    }

    /// Bytes from Polar's SDK unit tests (`polar_sdk_vectors.json`), decoded as Python decodes them.
    func testPolarSdkVectors() throws {
        let g = try Golden.load("streaming/polar_sdk_vectors.json")
        for c in try XCTUnwrap(g["ecg_frames"]?.array) {
            let f = try PolarPMD.decodeEcgFrame(Golden.bytes(c["hex"]))
            XCTAssertEqual(f.timestampNs, UInt64(try XCTUnwrap(c["timestamp_ns"]?.integer)), c["test"]?.string ?? "")
            XCTAssertEqual(f.samplesUV.map(Int.init), Golden.numbers(c["samples_uv"]).map { Int($0) })
        }
        for c in try XCTUnwrap(g["ecg_frame_errors"]?.array) {
            assertFrameError(c) { (b: [UInt8]) throws(FrameError) in _ = try PolarPMD.decodeEcgFrame(b) }
        }
        for c in try XCTUnwrap(g["control_point"]?.array) {
            switch try PolarPMD.decodeControlPoint(Golden.bytes(c["hex"])) {
            case let .response(r):
                XCTAssertEqual(c["kind"]?.string, "response", c["test"]?.string ?? "")
                try assertResponse(r, c)
                XCTAssertEqual(Hex.encode(r.parameters), c["parameters_hex"]?.string)
            case let .stopped(n):
                XCTAssertEqual(c["kind"]?.string, "measurement_stopped", c["test"]?.string ?? "")
                assertNotice(n, c)
            }
        }
        for c in try XCTUnwrap(g["settings"]?.array) {
            try assertSettings(try PolarPMD.decodeSettings(Golden.bytes(c["hex"])), c["settings"])
        }
    }

    func testPolarEcgFramesEncodeAndDecode() throws {
        let g = try Golden.load("streaming/polar_h10_codec.json")
        let frames = try XCTUnwrap(g["ecg_frames"]?.array)
        XCTAssertEqual(frames.count, 2)
        for c in frames {
            let f = try PolarPMD.decodeEcgFrame(Golden.bytes(c["hex"]))
            let samples = Golden.numbers(c["samples_uv"]).map { Int($0) }
            XCTAssertEqual(f.samplesUV.map(Int.init), samples)
            XCTAssertEqual(f.timestampNs, UInt64(try XCTUnwrap(c["timestamp_ns"]?.integer)))
            XCTAssertEqual(Hex.encode(try PolarPMD.encodeEcgFrame(samplesUV: samples, timestampNs: f.timestampNs)),
                           c["hex"]?.string)
        }
        let errors = try XCTUnwrap(g["ecg_frame_errors"]?.array)
        XCTAssertEqual(errors.count, 10)
        for c in errors { assertFrameError(c) { (b: [UInt8]) throws(FrameError) in _ = try PolarPMD.decodeEcgFrame(b) } }
    }

    func testMovesenseCommandsResultsAndNotifications() throws {
        let g = try Golden.load("streaming/movesense_codec.json")
        XCTAssertEqual(g["uuids"]?["service"]?.string, Movesense.serviceUUID)
        XCTAssertEqual(g["uuids"]?["command"]?.string, Movesense.commandUUID)
        XCTAssertEqual(g["uuids"]?["data"]?.string, Movesense.dataUUID)
        XCTAssertEqual(try XCTUnwrap(g["uv_per_lsb"]?.number), Movesense.uvPerLSB, accuracy: 1e-15)
        XCTAssertEqual(g["commands"]?["hello_ref99"]?.string, Hex.encode(try Movesense.helloCommand()))
        XCTAssertEqual(g["commands"]?["subscribe_ecg_250hz_ref99"]?.string,
                       Hex.encode(try Movesense.subscribeEcgCommand(rate: 250)))
        XCTAssertEqual(g["commands"]?["unsubscribe_ref99"]?.string, Hex.encode(try Movesense.unsubscribeCommand()))
        let sensor = try Device.named("movesense")
        XCTAssertEqual(Golden.strings(g["start_sequence"]), try sensor.startCommands().map(Hex.encode))
        XCTAssertEqual(Golden.strings(g["stop_sequence"]), try sensor.stopCommands().map(Hex.encode))
        for c in try XCTUnwrap(g["command_results"]?.array) {
            let r = try Movesense.decodeCommandResult(Golden.bytes(c["hex"]))
            XCTAssertEqual(Int(r.reference), c["reference"]?.integer)
            XCTAssertEqual(r.status, c["status"]?.integer)
            XCTAssertEqual(Hex.encode(r.payload), c["payload_hex"]?.string)
        }
        let notes = try XCTUnwrap(g["ecg_notifications"]?.array)
        XCTAssertEqual(notes.count, 2)
        for c in notes {
            let n = try Movesense.decodeEcgNotification(Golden.bytes(c["hex"]))
            XCTAssertEqual(Int(n.reference), c["reference"]?.integer)
            XCTAssertEqual(Int(n.timestampMs), c["timestamp_ms"]?.integer)
            XCTAssertEqual(n.samples.map(Int.init), Golden.numbers(c["samples"]).map { Int($0) })
        }
        let errors = try XCTUnwrap(g["ecg_notification_errors"]?.array)
        XCTAssertEqual(errors.count, 7)
        for c in errors { assertFrameError(c) { (b: [UInt8]) throws(FrameError) in _ = try Movesense.decodeEcgNotification(b) } }
    }

    func testDeviceNamesAndRatesAreChecked() {
        XCTAssertThrowsError(try Device.named("polar-h10", rate: 250)) {
            XCTAssertEqual("\($0)", "Polar H10 streams ECG at 130 Hz only, not 250 Hz")
        }
        XCTAssertThrowsError(try Device.named("movesense", rate: 300)) {
            XCTAssertEqual("\($0)", "Movesense ECG rate 300 Hz is not one of 125, 128, 200, 250, 256, 500, 512")
        }
        XCTAssertThrowsError(try Device.named("garmin")) {
            XCTAssertEqual("\($0)", "unknown device 'garmin' (known: polar-h10, movesense)")
        }
        XCTAssertEqual(try Device.named("movesense", rate: 512).rate, 512)
    }

    func testAdvertisementsAreRecognised() {
        XCTAssertEqual(Device.Kind.advertised(name: "Polar H10 8C4CAD2B", serviceUUIDs: ["180D"]), .polarH10)
        XCTAssertEqual(Device.Kind.advertised(name: nil, serviceUUIDs: [PolarPMD.serviceUUID.uppercased()]), .polarH10)
        XCTAssertEqual(Device.Kind.advertised(name: "Movesense 175030000123", serviceUUIDs: []), .movesense)
        XCTAssertEqual(Device.Kind.advertised(name: "Polar OH1", serviceUUIDs: ["180D"]), nil)
        XCTAssertEqual(Device.Kind.polarH10.gatt.data, PolarPMD.dataUUID)
        XCTAssertEqual(Device.Kind.movesense.gatt.command, Movesense.commandUUID)
    }

    /// 10^5 random and mutated notifications per decoder: each decodes or throws a `FrameError`
    /// (typed throws: nothing else can escape), and a decoded frame has consistent lengths.
    func testFuzzedFramesOnlyEverThrowFrameErrors() throws {
        let polar = try Golden.load("streaming/polar_h10_codec.json")
        let movesense = try Golden.load("streaming/movesense_codec.json")
        let polarSeeds = try XCTUnwrap(polar["ecg_frames"]?.array).map { Golden.bytes($0["hex"]) }
        let moveSeeds = try XCTUnwrap(movesense["ecg_notifications"]?.array).map { Golden.bytes($0["hex"]) }
        var rng = SplitMix64(seed: 20261202)
        let count = 100_000
        var tally = (polarOK: 0, polarError: 0, moveOK: 0, moveError: 0, controlOK: 0, controlError: 0)
        var inconsistent = 0
        for i in 0..<count {
            let p = fuzzed(polarSeeds[i % polarSeeds.count], &rng)
            do {
                let f = try PolarPMD.decodeEcgFrame(p)
                if f.samplesUV.count * 3 + 10 != p.count { inconsistent += 1 }
                tally.polarOK += 1
            } catch { tally.polarError += 1 }
            let m = fuzzed(moveSeeds[i % moveSeeds.count], &rng)
            do {
                let n = try Movesense.decodeEcgNotification(m)
                if n.samples.count * 4 + 6 != m.count { inconsistent += 1 }
                tally.moveOK += 1
            } catch { tally.moveError += 1 }
            do {
                if case let .response(r) = try PolarPMD.decodeControlPoint(p) { _ = try r.settings() }
                tally.controlOK += 1
            } catch { tally.controlError += 1 }
        }
        print("fuzz: \(count) Polar PMD frames (\(tally.polarOK) decoded, \(tally.polarError) FrameError), "
              + "\(count) Movesense notifications (\(tally.moveOK) decoded, \(tally.moveError) FrameError), "
              + "\(count) control-point values (\(tally.controlOK) decoded, \(tally.controlError) FrameError)")
        XCTAssertEqual(inconsistent, 0, "decoded frames whose sample count does not fit their length")
        XCTAssertEqual(tally.polarOK + tally.polarError, count)
        XCTAssertGreaterThan(tally.polarOK, 0)
        XCTAssertGreaterThan(tally.polarError, 0)
        XCTAssertGreaterThan(tally.moveOK, 0)
        XCTAssertGreaterThan(tally.moveError, 0)
    }

    /// A seed frame with random bytes flipped, cut, extended, or wholly random bytes.
    private func fuzzed(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        switch rng.next() % 4 {
        case 0: return (0..<Int(rng.next() % 600)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        case 1: return Array(seed.prefix(Int(rng.next() % UInt64(seed.count + 1))))
        case 2:
            var b = seed
            for _ in 0..<(1 + rng.next() % 4) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            return b
        default:
            return seed + (0..<Int(rng.next() % 520)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    private func assertResponse(_ r: PolarPMD.ControlPointResponse, _ c: JSONValue,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(Int(r.op), c["op"]?.integer, file: file, line: line)
        XCTAssertEqual(Int(r.measurementType), c["measurement_type"]?.integer, file: file, line: line)
        XCTAssertEqual(Int(r.status), c["status"]?.integer, file: file, line: line)
        XCTAssertEqual(r.statusText, c["status_text"]?.string, file: file, line: line)
        XCTAssertEqual(r.more, c["more"]?.boolean, file: file, line: line)
        if c["settings"] != nil { try assertSettings(try r.settings(), c["settings"], file: file, line: line) }
    }

    private func assertNotice(_ n: PolarPMD.MeasurementStopped, _ c: JSONValue,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(n.measurementTypes.map(Int.init), Golden.numbers(c["measurement_types"]).map { Int($0) },
                       file: file, line: line)
        XCTAssertEqual(n.ecg, c["ecg"]?.boolean, file: file, line: line)
        XCTAssertEqual(n.message, c["message"]?.string, file: file, line: line)
    }

    private func assertSettings(_ got: PolarPMD.Settings, _ want: JSONValue?,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let settings = got.sorted { $0.type.name < $1.type.name }
        let expected = try XCTUnwrap(want?.members, file: file, line: line).sorted { $0.0 < $1.0 }  // a JSON object: no order
        XCTAssertEqual(settings.map(\.type.name), expected.map(\.0), file: file, line: line)
        XCTAssertEqual(settings.map(\.values), expected.map { $0.1.array?.compactMap(\.integer) ?? [] }, file: file, line: line)
    }

    private func assertFrameError(_ c: JSONValue, file: StaticString = #filePath, line: UInt = #line,
                                  _ decode: ([UInt8]) throws(FrameError) -> Void) {
        do {
            try decode(Golden.bytes(c["hex"]))
            XCTFail("\(c["hex"]?.string ?? "?") decoded but must fail", file: file, line: line)
        } catch {
            XCTAssertEqual(error.kind.rawValue, c["error"]?.string, file: file, line: line)
            XCTAssertEqual(error.message, c["message"]?.string, file: file, line: line)
        }
    }
}

/// A small deterministic generator for fuzzing (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
