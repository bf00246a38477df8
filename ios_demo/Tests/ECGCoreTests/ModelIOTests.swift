import ECGCore
import Foundation
import XCTest

/// `model_io.json` of each exported folder (`contract/model_io.py`): every artifact's cases decode to
/// z-scored model inputs with that artifact's expected probabilities, drive the self-test with fake
/// models, and tampered copies are refused with one line each.
final class ModelIOTests: XCTestCase {
    /// Each exported folder with its manifest and its `model_io.json` as written.
    func exported() throws -> [(folder: URL, manifest: Manifest, doc: JSONValue)] {
        try Golden.exportedFolders().map { folder in
            (folder, try Manifest.load(folder),
             try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent(ModelIOCases.fileName))))
        }
    }

    func fake(_ m: Manifest, _ outputs: [[Double]]) -> ScriptedClassifier {
        ScriptedClassifier(codes: m.codes, thresholds: m.thresholds, leads: m.leads, multiLabel: m.task.multiLabel,
                           outputs: outputs)
    }

    /// `p` with its smallest class moved up by `d` and, for a softmax, its largest down by `d` (the sum stays 1).
    func moved(_ p: [Double], by d: Double, softmax: Bool) -> [Double] {
        var q = p
        guard let hi = p.indices.max(by: { p[$0] < p[$1] }), let lo = p.indices.min(by: { p[$0] < p[$1] }) else { return q }
        q[lo] += d
        if softmax { q[hi] -= d }
        return q
    }

    func testEveryArtifactsCasesLoadAsZScoredModelInputsWithItsExpectedProbabilities() throws {
        let exported = try exported()
        XCTAssertFalse(exported.isEmpty)
        for (folder, m, doc) in exported {
            let names = (doc["cases"]?.array ?? []).compactMap { $0["name"]?.string }
            for a in m.artifacts {
                let cases = try ModelIOCases.load(folder, manifest: m, artifactFile: a.file)
                let entry = try XCTUnwrap(doc["artifacts"]?[a.file])
                XCTAssertFalse(cases.isEmpty, a.file)
                XCTAssertEqual(cases.map(\.name), names, a.file)
                for (i, c) in cases.enumerated() {
                    let what = "\(a.file) \(c.name)"
                    XCTAssertEqual(c.expected, Golden.numbers(entry["expected"]?[i]), what)
                    XCTAssertEqual(c.tolerance, entry["tolerance"]?.number, what)
                    XCTAssertEqual([1, c.input.leads, c.input.samples], m.input.shape, what)
                    XCTAssertEqual(c.input.values.count, c.input.leads * c.input.samples, what)
                    // per-lead z-score: a byte-order or [samples, leads] layout bug breaks all three
                    for lead in 0..<c.input.leads {
                        let x = c.input.values[(lead * c.input.samples)..<((lead + 1) * c.input.samples)].map(Double.init)
                        let mean = x.reduce(0, +) / Double(x.count)
                        let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)).squareRoot()
                        XCTAssertTrue(x.allSatisfy(\.isFinite), "\(what) lead \(lead): non-finite values")
                        XCTAssertLessThan(abs(mean), 1e-3, "\(what) lead \(lead): mean \(mean)")
                        XCTAssertLessThan(abs(std - 1), 1e-3, "\(what) lead \(lead): std \(std)")
                    }
                }
            }
        }
    }

    func testAModelReturningTheExpectedPassesAndOneClassOffByTwiceTheToleranceFailsNamingTheCase() throws {
        for (folder, m, _) in try exported() {
            for a in m.artifacts {
                let cases = try ModelIOCases.load(folder, manifest: m, artifactFile: a.file)
                let last = try XCTUnwrap(cases.last)
                var exact = fake(m, cases.map(\.expected))
                XCTAssertNoThrow(try ModelSelfTest.run(&exact, manifest: m, cases: cases), a.file)
                var off = fake(m, cases.dropLast().map(\.expected)
                                 + [moved(last.expected, by: 2 * last.tolerance, softmax: !m.task.multiLabel)])
                XCTAssertThrowsError(try ModelSelfTest.run(&off, manifest: m, cases: cases), a.file) {
                    XCTAssertEqual("\($0)", "model self-test \(last.name): max |dp| \(pythonRound(2 * last.tolerance, 6)) "
                        + "exceeds the tolerance \(last.tolerance)", a.file)
                }
            }
        }
    }

    func testTamperedCopiesAreRefusedWithOneLineEach() throws {
        for (_, m, doc) in try exported() {
            let art = try XCTUnwrap(m.artifacts.first?.file)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-io-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let file = dir.appendingPathComponent(ModelIOCases.fileName)
            func assertRefused(_ text: String, artifact: String? = nil, _ refusal: String, _ what: String,
                               line: UInt = #line) {
                XCTAssertNoThrow(try Data(text.utf8).write(to: file), line: line)
                XCTAssertThrowsError(try ModelIOCases.load(dir, manifest: m, artifactFile: artifact ?? art), what, line: line) {
                    XCTAssertEqual("\($0)", "model-I/O cases \(file.path): \(refusal)", what, line: line)
                    XCTAssertFalse("\($0)".contains("\n"), "\(what): one line", line: line)
                }
            }

            try Data(doc.text.utf8).write(to: file)
            XCTAssertEqual(try ModelIOCases.load(dir, manifest: m, artifactFile: art).count, doc["cases"]?.array?.count,
                           "the rewritten copy loads")
            let name = try XCTUnwrap(doc["cases"]?[0]?["name"]?.string)
            let b64 = try XCTUnwrap(doc["cases"]?[0]?["input_f32le_b64"]?.string)
            let leads = m.input.shape[1], samples = m.input.shape[2]
            let cut = String(b64.dropLast(8))  // whole base64 groups: valid base64, too few bytes
            let kept = try XCTUnwrap(Data(base64Encoded: cut)).count
            let cases = try XCTUnwrap(doc["cases"]?.array?.count)
            let tampered: [(path: String, value: JSONValue?, refusal: String)] = [
                ("schema", .string("lamscn-model-io/2"), "schema 'lamscn-model-io/2', expected 'lamscn-model-io/1'"),
                ("schema", nil, "schema None, expected 'lamscn-model-io/1'"),
                ("model/version", .string("sha256-000000000000"),
                 "model version sha256-000000000000 is not the manifest's \(m.model.version)"),
                ("input/shape/2", .int(samples - 1), "input shape [1, \(leads), \(samples - 1)] is not the manifest's \(m.input.shape)"),
                ("labels/0", .string("X"), "labels \(["X"] + m.codes.dropFirst()) are not the manifest's \(m.codes)"),
                ("artifacts/\(art)/sha256", .string(String(repeating: "0", count: 64)),
                 "no cases for \(art) with the manifest's sha256"),
                ("artifacts/\(art)", nil, "no cases for \(art) with the manifest's sha256"),
                ("artifacts/\(art)/expected/0", nil, "\(art): expected is not \(cases) rows of \(m.labels.count) probabilities"),
                ("cases", .array([]), "no cases"),
                ("cases/0/input_f32le_b64", .string(cut),
                 "case '\(name)': input of \(kept) bytes, expected \(4 * leads * samples) (float32 [\(leads), \(samples)])"),
                ("cases/0/input_f32le_b64", .string(String(b64.dropLast(1))), "case '\(name)': input_f32le_b64 is not base64"),
                ("cases/0/input_f32le_b64", nil, "malformed at cases/0: 'input_f32le_b64' is a required property"),
                ("artifacts", nil, "malformed at (root): 'artifacts' is a required property"),
            ]
            for t in tampered {
                assertRefused(doc.setting(t.path, to: t.value).text, t.refusal, t.path)
            }
            assertRefused(String(doc.text.prefix(200)), "not valid JSON", "cut text")
            assertRefused(doc.text, artifact: "other.mlpackage", "the manifest lists no artifact other.mlpackage", "other artifact")
            XCTAssertThrowsError(try ModelIOCases.load(dir.appendingPathComponent("nowhere"), manifest: m, artifactFile: art)) {
                XCTAssertTrue("\($0)".hasSuffix("nowhere: no such file"), "\($0)")
            }
        }
    }
}
