// The real Core ML run, where CoreML exists (a Mac): the exported packages in LAMSCN_MANIFEST_DIRS
// through the model-I/O self-test on their model_io.json cases and the golden H10 stream. Not compiled on Linux.
#if canImport(CoreML)
import ECGCore
import ECGCoreML
import Foundation
import XCTest

final class CoreMLClassifierTests: XCTestCase {
    func testExportedCoreMLModelsPassTheSelfTestAndClassifyTheGoldenStream() async throws {
        guard let dirs = ProcessInfo.processInfo.environment["LAMSCN_MANIFEST_DIRS"], !dirs.isEmpty else {
            throw XCTSkip("LAMSCN_MANIFEST_DIRS is not set")
        }
        let store = CompiledModelStore(folder: FileManager.default.temporaryDirectory.appendingPathComponent("compiled-\(UUID())"))
        for dir in dirs.split(separator: ":").map({ URL(fileURLWithPath: String($0)) }) {
            let manifest = try Manifest.load(dir)
            var classifier = try await CoreMLClassifier.load(manifest: manifest, folder: dir, mode: ComputeMode(), store: store)
            let cases = try ModelIOCases.load(dir, manifest: manifest, artifactFile: classifier.artifact.file)
            try ModelSelfTest.run(&classifier, manifest: manifest, cases: cases)
            guard manifest.leads.count == 1 else { continue }
            let doc = try Golden.load("streaming/live_polar_h10.json")
            let frames = Golden.strings(doc["cases"]?["clean"]?["frames"]).compactMap(Hex.decode)
            var loop = try LiveLoop(device: try Device.named("polar-h10"), manifest: manifest, classifier: classifier)
            var classified = 0
            for f in frames {
                for case let .window(r) in try loop.feed(f) where r.status == .classified {
                    XCTAssertEqual(r.probabilities?.count, manifest.labels.count)
                    classified += 1
                }
            }
            XCTAssertEqual(classified, 3)
        }
    }
}
#endif
