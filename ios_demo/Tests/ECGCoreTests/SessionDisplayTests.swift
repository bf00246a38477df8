@testable import ECGCore
import XCTest

/// The sensor conversation on byte-built answers, and the display helpers.
final class SessionDisplayTests: XCTestCase {
    func testPolarStartsAfterSettingsAndStartAreAccepted() throws {
        var s = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        XCTAssertEqual(try s.start(now: 0), [.write([0x01, 0x00])])
        let settings = Hex.decode("f0010000000001820001010e00")!
        XCTAssertEqual(s.receivedControlPoint(settings, now: 1), [.write(Hex.decode("02000001820001010e00")!)])
        XCTAssertEqual(s.receivedControlPoint([0xF0, 0x02, 0x00, 0x00, 0x00], now: 2), [.streaming])
        let frame = Hex.decode("00010000000000000000000000010000")!
        XCTAssertEqual(s.receivedData(frame, now: 3), [.ecg(frame)])
        XCTAssertEqual(s.tick(now: 7.9), [])
        XCTAssertEqual(s.tick(now: 8.1), [.ended("no ECG data from the Polar H10 for 5 s")])
        XCTAssertEqual(s.receivedData(frame, now: 9), [], "nothing after the end")
    }

    func testPolarErrorsEndTheSessionWithTheSensorsReason() throws {
        var s = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try s.start(now: 0)
        XCTAssertEqual(s.receivedControlPoint([0xF0, 0x01], now: 0.5),
                       [.notice("ignored a malformed control-point value: PMD control-point response of 2 bytes, needs at least 4")])
        XCTAssertEqual(s.receivedControlPoint(Hex.decode("f0010000000001fa0001010e00")!, now: 1),
                       [.ended("the Polar H10 does not offer ECG at 130 Hz (offers 250)")])

        var t = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try t.start(now: 0)
        _ = t.receivedControlPoint(Hex.decode("f0010000000001820001010e00")!, now: 1)
        XCTAssertEqual(t.receivedControlPoint([0xF0, 0x02, 0x00, 0x0D], now: 2),
                       [.ended("PMD op 2 (ECG) failed: error 13 (device in charger)")])

        var u = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try u.start(now: 0)
        XCTAssertEqual(u.tick(now: 6), [.ended("the Polar H10 did not answer the start command within 5 s")])

        // the timeout is the manifest's live.no_data_seconds, not a constant of the core
        let real = try Golden.liveNumbers(try Golden.load("streaming/live_polar_h10.json")).noDataSeconds
        var w = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: real / 2)
        _ = try w.start(now: 0)
        XCTAssertEqual(w.tick(now: real / 2 - 0.1), [])
        XCTAssertEqual(w.tick(now: real / 2 + 0.1).count, 1)

        var v = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try v.start(now: 0)
        _ = v.receivedControlPoint(Hex.decode("f0010000000001820001010e00")!, now: 1)
        _ = v.receivedControlPoint([0xF0, 0x02, 0x00, 0x00, 0x00], now: 2)
        XCTAssertEqual(v.receivedControlPoint([0xF0, 0x03, 0x00, 0x00], now: 3), [.ended("the sensor stopped the ECG stream")])
        XCTAssertEqual(try v.stop(), [.write([0x03, 0x00])])
    }

    func testPolarStopNoticeEndsTheSessionAndPartsAreJoined() throws {
        var s = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try s.start(now: 0)
        // the settings answer in two parts (golden control_point_joins): nothing happens until the last one
        let join = try XCTUnwrap(try Golden.load("streaming/polar_h10_codec.json")["control_point_joins"]?.array?.first)
        let parts = Golden.strings(join["parts"]).compactMap(Hex.decode)
        XCTAssertEqual(s.receivedControlPoint(parts[0], now: 0.5), [])
        XCTAssertEqual(s.receivedControlPoint(parts[1], now: 1), [.write(Hex.decode("02000001820001010e00")!)])
        XCTAssertEqual(s.receivedControlPoint([0xF0, 0x02, 0x00, 0x00, 0x00], now: 2), [.streaming])
        XCTAssertEqual(s.receivedControlPoint([0x01, 0x02], now: 3),
                       [.notice("the sensor stopped the measurement (ACC); the ECG stream goes on")])
        XCTAssertEqual(s.receivedControlPoint([0x01, 0x00], now: 4), [.ended("the sensor stopped the measurement (ECG)")])
        XCTAssertEqual(s.receivedControlPoint([0x01, 0x00], now: 5), [], "nothing after the end")

        var t = SensorSession(device: try Device.named("polar-h10"), noDataSeconds: 5)
        _ = try t.start(now: 0)
        XCTAssertEqual(t.receivedControlPoint(parts[0], now: 0.5), [])
        XCTAssertEqual(t.receivedControlPoint([0xF0, 0x02, 0x00, 0x00, 0x00], now: 1),
                       [.notice("ignored a malformed control-point value: PMD control-point part 2 answers op 2 (ECG), part 1 op 1 (ECG)")])
        XCTAssertEqual(t.receivedControlPoint(Hex.decode("f0010000000001820001010e00")!, now: 2),
                       [.write(Hex.decode("02000001820001010e00")!)], "a failed join leaves no parts behind")
    }

    func testMovesenseHelloSubscribeAndResults() throws {
        var s = SensorSession(device: try Device.named("movesense", rate: 250), noDataSeconds: 5)
        XCTAssertEqual(try s.start(now: 0), [.write([0x00, 0x63])])
        XCTAssertEqual(s.receivedData([0x01, 0x63] + Array("Hello".utf8), now: 1),
                       [.write(Hex.decode("01632f4d6561732f4543472f323530")!)])
        XCTAssertEqual(s.receivedData([0x01, 0x63, 0x00, 0xC8], now: 1.5), [])
        let data = Hex.decode("0263000000000000000001000000")!
        XCTAssertEqual(s.receivedData(data, now: 2), [.streaming, .ecg(data)])
        XCTAssertEqual(s.receivedData([0x01, 0x63, 0x01, 0xFB], now: 3), [.ended("Movesense answered 507 to /Meas/ECG/250")])
    }

    func testBadgeAndFindingRows() throws {
        let window = Window(index: 0, start: 0, samplesMV: nil, segment: 0)
        func result(_ status: WindowResult.Status, _ reason: WindowResult.Reason?, above: [String] = [],
                    findings: [String] = [], probabilities: [Double]? = nil, quality: Quality? = nil) -> WindowResult {
            WindowResult(window: window, rate: 130, status: status, reason: reason, quality: quality, preprocessed: nil,
                         heartRateBPM: nil, probabilities: probabilities, above: above, findings: findings,
                         codes: ["N", "A", "O", "~"])
        }
        let flat = Quality(leads: [], reasons: ["flat", "noisy"])
        XCTAssertEqual(SignalBadge(result(.rejected, .quality, quality: flat), poorSignalLabel: "~").text, "poor signal: flat, noisy")
        XCTAssertEqual(SignalBadge(result(.rejected, .quality, quality: flat), poorSignalLabel: nil).text, "poor signal: flat, noisy")
        XCTAssertEqual(SignalBadge(result(.rejected, .gap), poorSignalLabel: "~"), .interrupted("signal interrupted (lost frames)"))
        XCTAssertEqual(SignalBadge(result(.rejected, .clockJump), poorSignalLabel: "~"),
                       .interrupted("signal interrupted (sensor clock jumped)"))
        let noisy = result(.classified, nil, above: ["~"], findings: ["~"], probabilities: [0.1, 0.1, 0.1, 0.7])
        XCTAssertEqual(SignalBadge(noisy, poorSignalLabel: "~"), .poor("poor signal: too noisy to classify"))
        XCTAssertEqual(SignalBadge(noisy, poorSignalLabel: nil), .good, "no poor-signal label: `~` is a finding like any")
        XCTAssertEqual(SignalBadge(noisy, poorSignalLabel: "O"), .good, "the label is the manifest's, not a built-in `~`")
        XCTAssertEqual(SignalBadge(result(.classified, nil, above: ["O"], findings: ["O"], probabilities: [0.1, 0.1, 0.7, 0.1]),
                                   poorSignalLabel: "O"), .poor("poor signal: too noisy to classify"))
        XCTAssertEqual(SignalBadge(result(.classified, nil, above: ["~"], probabilities: [0.1, 0.1, 0.1, 0.7]), poorSignalLabel: "~"),
                       .good, "one noisy window is not yet a finding (debounce)")
        XCTAssertEqual(SignalBadge(result(.classified, nil, above: ["A"], probabilities: [0.1, 0.7, 0.1, 0.1]), poorSignalLabel: "~"),
                       .good)
        let labels = try JSONDecoder().decode([Manifest.Label].self, from: Data("""
            [{"code": "N", "name": "normal", "snomed_ct": [], "threshold": 0.25},
             {"code": "A", "name": "atrial fibrillation", "snomed_ct": [], "threshold": 0.18},
             {"code": "O", "name": "other", "snomed_ct": [], "threshold": 0.1},
             {"code": "~", "name": "too noisy", "snomed_ct": [], "threshold": 0.25}]
            """.utf8))
        let classified = result(.classified, nil, above: ["A"], findings: ["A"], probabilities: [0.2, 0.6, 0.15, 0.05])
        let rows = FindingRow.rows(classified, labels: labels, poorSignalLabel: "~")
        XCTAssertEqual(rows.map(\.code), ["A", "N", "O"])
        XCTAssertEqual(rows.map(\.shown), [true, false, false])
        XCTAssertEqual(FindingRow.rows(classified, labels: labels, poorSignalLabel: nil).map(\.code), ["A", "N", "O", "~"],
                       "no poor-signal label: every class is a row")
        XCTAssertEqual(FindingRow.rows(classified, labels: labels, poorSignalLabel: "O").map(\.code), ["A", "N", "~"])
        XCTAssertEqual(FindingRow.rows(result(.rejected, .gap), labels: labels, poorSignalLabel: "~"), [])
    }
}
