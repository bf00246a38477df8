import ECGCore
import Foundation
import XCTest

/// Every case of every `golden/preprocessing/*.json`, each intermediate to 1e-4.
final class PreprocessingTests: XCTestCase {
    func testEveryGoldenPreprocessingCase() throws {
        let folder = Golden.repo.appendingPathComponent("golden/preprocessing")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 6)
        var checked = 0
        for file in files {
            let g = try Golden.load("preprocessing/\(file)")
            let rate = try XCTUnwrap(g["rate_hz"]?.integer)
            let contract = try Golden.decode(PreprocessingContract.self, g["contract"])
            let tolerance = g["tolerance"]?.number ?? Golden.tolerance
            let pre = try Preprocessor(contract: contract, rate: rate)
            for c in try XCTUnwrap(g["cases"]?.array) {
                let name = "\(file) \(c["name"]?.string ?? "?")"
                let input = try XCTUnwrap(c["input"]?.array).map(Golden.numbers)
                let out = try pre.process(input)
                for (key, got) in [("antialiased", out.antialiased), ("resampled", out.resampled), ("filtered", out.filtered)] {
                    let want = try XCTUnwrap(c[key]?.array).map(Golden.numbers)
                    XCTAssertEqual(got.count, want.count, "\(name) \(key) leads")
                    for (g, w) in zip(got, want) { assertClose(g, w, tolerance: tolerance, "\(name) \(key)") }
                }
                assertClose(out.leadStd, Golden.numbers(c["lead_std"]), tolerance: tolerance, "\(name) lead_std")
                let window = try XCTUnwrap(c["window"]?.array).map(Golden.numbers)
                for (g, w) in zip(out.window, window) { assertClose(g.map(Double.init), w, tolerance: tolerance, "\(name) window") }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 12)
    }

    func testBadInputIsOneTypedError() throws {
        let pre = try Preprocessor(contract: try Golden.contract(rate: 130), rate: 130)
        XCTAssertThrowsError(try pre.process([[Double](repeating: 0, count: 100)])) {
            XCTAssertEqual("\($0)", "too short: 100 samples at 130 Hz, one window needs 1300")
        }
        var lead = [Double](repeating: 0, count: 1300)
        lead[5] = .nan
        XCTAssertThrowsError(try pre.process([lead])) {
            XCTAssertEqual("\($0)", "non-finite samples (NaN or inf) in lead(s) [0]")
        }
        XCTAssertThrowsError(try Preprocessor(contract: try Golden.contract(rate: 130), rate: 250)) {
            XCTAssertTrue("\($0)".contains("250 Hz"), "\($0)")
        }
        XCTAssertThrowsError(try Preprocessor(contract: try Golden.contract(rate: 130), rate: 50))
    }
}
