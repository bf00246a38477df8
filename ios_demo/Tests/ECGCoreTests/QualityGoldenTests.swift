import ECGCore
import Foundation
import XCTest

/// Every case of `golden/quality/quality_heart_rate.json` (`contract.golden.quality_document`): a raw
/// lead on each side of every quality bound through `Preprocessor`, `QualityGate` and
/// `HeartRateDetector`; every non-null number to the file's tolerance, reasons and R peaks exactly.
final class QualityGoldenTests: XCTestCase {
    func testQualityGoldenFileIsTheGateOnBothSidesOfEveryBound() throws {
        let doc = try Golden.load("quality/quality_heart_rate.json")
        XCTAssertEqual(doc["schema"]?.string, "lamscn-golden-quality/1")
        let rate = try XCTUnwrap(doc["rate_hz"]?.integer)
        XCTAssertEqual(rate, 250)
        let tolerance = try XCTUnwrap(doc["tolerance"]?.number)
        let gate = QualityGate(numbers: try Golden.decode(QualityNumbers.self, doc["quality"]))
        let detector = HeartRateDetector(numbers: try Golden.decode(HeartRateNumbers.self, doc["heart_rate"]))
        XCTAssertEqual(doc["heart_rate"]?["lead"]?.integer, 0)
        let pre = try Preprocessor(contract: try Golden.contract(rate: rate), rate: rate)
        let cases = try XCTUnwrap(doc["cases"]?.array)
        XCTAssertEqual(cases.count, 14)
        var seen = Set<String>(), peaksChecked = 0
        for c in cases {
            let name = try XCTUnwrap(c["name"]?.string)
            let input = try XCTUnwrap(c["input"]?.array).map { $0.number ?? .nan }  // null = NaN
            XCTAssertEqual(input.count, pre.inputSamples, name)
            let raw = [input]
            let finite = input.allSatisfy(\.isFinite)
            let p = finite ? try pre.process(raw) : nil
            let q = gate.assess(raw: raw, rate: rate, preprocessed: p)
            let reasons = Golden.strings(c["reasons"])
            XCTAssertEqual(q.reasons, reasons, name)
            XCTAssertEqual(q.leads.map(\.reasons), [reasons], name)
            seen.formUnion(reasons)
            guard let p else { continue }  // non_finite: the reasons only
            let lead = try XCTUnwrap(q.leads.first)
            func close(_ got: Double?, _ key: String) {
                guard let want = c[key]?.number else { return XCTFail("\(name) \(key): null for a finite lead") }
                guard let got else { return XCTFail("\(name) \(key): nil, want \(want)") }
                XCTAssertEqual(got, want, accuracy: tolerance, "\(name) \(key)")
            }
            close(lead.minSegmentPtpMV, "min_segment_ptp_mv")
            close(lead.maxAbsMV, "max_abs_mv")
            close(lead.stdMV, "std_mv")
            close(lead.saturatedFraction, "saturated_fraction")
            guard let peaks = c["r_peaks"], !peaks.isNull else {  // not compared: std below the floor
                XCTAssertTrue(c["noise_ratio"]?.isNull ?? false, "\(name): noise_ratio compared without r_peaks")
                XCTAssertLessThan(try XCTUnwrap(lead.stdMV), gate.numbers.flat.stdFloorMV, name)
                continue
            }
            close(lead.noiseRatio, "noise_ratio")
            let filtered = p.filtered[0]
            XCTAssertEqual(detector.rPeaks(filtered, rate: pre.modelRate), try XCTUnwrap(peaks.array).compactMap(\.integer), name)
            let bpm = detector.bpm(filtered, rate: pre.modelRate)
            if let want = c["heart_rate_bpm"]?.number {
                XCTAssertEqual(try XCTUnwrap(bpm, "\(name): no heart rate"), want, accuracy: tolerance, "\(name) heart_rate_bpm")
            } else {
                XCTAssertNil(bpm, "\(name): heart rate with fewer than two peaks")
            }
            peaksChecked += 1
        }
        XCTAssertEqual(seen, Set(gate.numbers.checks), "every reason is some case's")
        XCTAssertGreaterThanOrEqual(peaksChecked, 10)
    }
}
