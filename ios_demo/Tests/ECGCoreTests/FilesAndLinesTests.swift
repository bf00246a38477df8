import ECGCore
import Foundation
import XCTest

/// Frame files, probabilities files and the JSON text of the stream lines.
final class FilesAndLinesTests: XCTestCase {
    func temp(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("f-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url
    }

    func testFrameFilesParseAndRefuseBadLines() throws {
        XCTAssertEqual(try FrameFile.parse("# header\n0100\n\n  0a0B \n", source: "x"), [[0x01, 0x00], [0x0A, 0x0B]])
        XCTAssertThrowsError(try FrameFile.parse("# h\n0100\nzz\n", source: "x")) {
            XCTAssertEqual("\($0)", "frames x line 3: not a hex frame")
        }
        XCTAssertThrowsError(try FrameFile.parse("012\n", source: "x"))
        XCTAssertThrowsError(try FrameFile.parse("# only a comment\n", source: "x")) {
            XCTAssertEqual("\($0)", "frames x: no frames")
        }
        XCTAssertThrowsError(try FrameFile.read(URL(fileURLWithPath: "/nonexistent/frames.hex"))) {
            XCTAssertEqual("\($0)", "frames /nonexistent/frames.hex: no such file")
        }
    }

    func testProbabilitiesFilesAreCheckedLikePythons() throws {
        let h10 = try Device.named("polar-h10")
        let good = try ProbabilitiesFile.read(try temp(#"{"codes": ["N", "A"], "thresholds": [0.5, 0.5], "multi_label": false, "outputs": [[0.1, 0.9]]}"#), device: h10)
        XCTAssertEqual(good.codes, ["N", "A"])
        XCTAssertEqual(good.leads, ["lead 1"])
        for (content, words) in [
            ("{", "not a JSON file"),
            (#"{"codes": [], "thresholds": [], "multi_label": false, "outputs": [[]]}"#, "'codes' must be"),
            (#"{"codes": ["N"], "thresholds": [0.5], "multi_label": 1, "outputs": [[0.1]]}"#, "'multi_label'"),
            (#"{"codes": ["N", "A"], "thresholds": [0.5, 0.5], "multi_label": false, "outputs": [[0.1]]}"#, "outputs row 0"),
            (#"{"codes": ["N"], "thresholds": [0.5], "multi_label": false, "outputs": []}"#, "'outputs' must be"),
        ] {
            XCTAssertThrowsError(try ProbabilitiesFile.read(try temp(content), device: h10)) {
                XCTAssertTrue("\($0)".contains(words), "\($0)")
            }
        }
    }

    func testJSONTextIsPythons() throws {
        let cases: [(Double, String)] = [(0, "0.0"), (1, "1.0"), (0.1, "0.1"), (-0.0, "-0.0"), (1e-05, "1e-05"),
                                         (0.0001, "0.0001"), (71.739, "71.739"), (1e16, "1e+16"), (123456789.0, "123456789.0"),
                                         (0.18121336315234712, "0.18121336315234712")]
        for (value, text) in cases { XCTAssertEqual(JSONValue.double(value).text, text) }
        let doc = JSONValue.object([("a", .array([.int(1), .null, .bool(true)])), ("µ", .string("x\"\n"))])
        XCTAssertEqual(doc.text, #"{"a": [1, null, true], "\u00b5": "x\"\n"}"#)
        XCTAssertEqual(pythonRound(2.675, 2), 2.67)  // the binary value is below the half, as Python rounds it
        XCTAssertEqual(pythonRound(71.7385, 3), 71.739)
    }
}
