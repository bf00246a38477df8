import ECGCore
import Foundation
import XCTest

/// The repository's `golden/` folder, read at test time (never copied into this package).
enum Golden {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let tolerance = 1e-4

    static func load(_ relative: String) throws -> JSONValue {
        let url = repo.appendingPathComponent("golden").appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw StreamError(.input, "golden file \(url.path) is missing")
        }
        return try JSONValue.parse(data)
    }

    /// Decode a golden sub-document as a manifest section type (same keys as the manifest).
    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue?) throws -> T {
        let value = try XCTUnwrap(value, "golden section missing")
        return try JSONDecoder().decode(T.self, from: Data(value.text.utf8))
    }

    /// The preprocessing contract the golden preprocessing file of `rate` Hz was written with.
    static func contract(rate: Int) throws -> PreprocessingContract {
        try decode(PreprocessingContract.self, try load("preprocessing/preprocessing_\(rate)hz.json")["contract"])
    }

    /// The manifest's `live` section rebuilt from a live golden file's `numbers`.
    static func liveNumbers(_ doc: JSONValue) throws -> LiveNumbers {
        let n = try XCTUnwrap(doc["numbers"])
        let live = JSONValue.object([
            ("hop_seconds", try XCTUnwrap(n["hop_seconds"])), ("sequencer", try XCTUnwrap(n["sequencer"])),
            ("quality", try XCTUnwrap(n["quality"])), ("heart_rate", try XCTUnwrap(n["heart_rate"])),
            ("debounce", try XCTUnwrap(n["debounce"])), ("no_data_seconds", try XCTUnwrap(n["no_data_seconds"])),
        ])
        return try decode(LiveNumbers.self, live)
    }

    /// The folders in `LAMSCN_MANIFEST_DIRS`, built by `python export/build.py` (`manifest.json`,
    /// `model_io.json` and the artifacts inside); skips the test when it is unset.
    static func exportedFolders() throws -> [URL] {
        guard let dirs = ProcessInfo.processInfo.environment["LAMSCN_MANIFEST_DIRS"], !dirs.isEmpty else {
            throw XCTSkip("LAMSCN_MANIFEST_DIRS is not set: test.sh sets it when the Python venv can build manifests")
        }
        return dirs.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
    }

    static func numbers(_ value: JSONValue?) -> [Double] { value?.array?.compactMap(\.number) ?? [] }
    static func strings(_ value: JSONValue?) -> [String] { value?.array?.compactMap(\.string) ?? [] }
    static func bools(_ value: JSONValue?) -> [Bool] { value?.array?.compactMap(\.boolean) ?? [] }
    static func bytes(_ value: JSONValue?) -> [UInt8] { value?.string.flatMap(Hex.decode) ?? [] }
}

/// Equal lengths and every element within `tolerance`.
func assertClose(_ got: [Double], _ want: [Double], tolerance: Double = Golden.tolerance, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): length", file: file, line: line)
    guard got.count == want.count else { return }
    let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max |diff| \(worst)", file: file, line: line)
}

func assertClose(_ got: Double?, _ want: JSONValue?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    if want == nil || want == .null {
        XCTAssertNil(got, what, file: file, line: line)
    } else if let got, let want = want?.number {
        XCTAssertEqual(got, want, accuracy: Golden.tolerance, what, file: file, line: line)
    } else {
        XCTFail("\(what): got \(String(describing: got)), want \(String(describing: want))", file: file, line: line)
    }
}
