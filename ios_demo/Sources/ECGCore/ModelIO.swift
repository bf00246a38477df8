import Foundation

/// A model-I/O file that is unreadable, of another schema, or does not belong to the manifest
/// (`contract/model_io.py`'s `ModelIoError`). One line naming the problem.
public struct ModelIOError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `model_io.json` beside `manifest.json` (`contract/model_io.py`, schema `lamscn-model-io/1`): the
/// self-test's cases, preprocessed windows (base64 of float32 little-endian, row-major
/// `[leads, samples]`) and, per artifact, the probabilities the exporter measured running that file.
public enum ModelIOCases {
    public static let schema = "lamscn-model-io/1"
    public static let fileName = "model_io.json"

    struct Document: Decodable {
        struct Model: Decodable { let version: String }
        struct Input: Decodable { let shape: [Int] }
        struct Case: Decodable {
            let name: String
            let input: String
            enum CodingKeys: String, CodingKey { case name, input = "input_f32le_b64" }
        }
        struct Artifact: Decodable {
            let sha256: String
            let tolerance: Double
            let expected: [[Double]]
        }

        let model: Model
        let input: Input
        let labels: [String]
        let cases: [Case]
        let artifacts: [String: Artifact]
    }

    /// Read `folder/model_io.json` (or a model-I/O file) and return the cases of `artifactFile`, the
    /// artifact the app loaded. Refuses a file of another schema or of another build: the manifest's
    /// model version, input shape, labels and every artifact's sha256 must be the file's.
    public static func load(_ path: URL, manifest: Manifest, artifactFile: String) throws(ModelIOError) -> [ModelIOCase] {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder)
        let file = exists && isFolder.boolValue ? path.appendingPathComponent(fileName) : path
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ModelIOError("model-I/O cases \(file.path): no such file")
        }
        return try decode(data, source: file.path, manifest: manifest, artifactFile: artifactFile)
    }

    static func decode(_ data: Data, source: String, manifest: Manifest, artifactFile: String)
        throws(ModelIOError) -> [ModelIOCase] {
        func fail(_ problem: String) -> ModelIOError { ModelIOError("model-I/O cases \(source): \(problem)") }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw fail("not valid JSON") }
        guard json["schema"] == .string(schema) else {
            let found = json["schema"].map { $0.string.map { "'\($0)'" } ?? $0.text } ?? "None"
            throw fail("schema \(found), expected '\(schema)'")
        }
        let doc: Document
        do {
            doc = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw fail("malformed at \(Manifest.describe(error))")
        } catch {
            throw fail("malformed (\(error))")
        }
        guard doc.model.version == manifest.model.version else {
            throw fail("model version \(doc.model.version) is not the manifest's \(manifest.model.version)")
        }
        guard doc.input.shape == manifest.input.shape else {
            throw fail("input shape \(doc.input.shape) is not the manifest's \(manifest.input.shape)")
        }
        guard doc.labels == manifest.codes else { throw fail("labels \(doc.labels) are not the manifest's \(manifest.codes)") }
        for a in manifest.artifacts where doc.artifacts[a.file]?.sha256 != a.sha256 {
            throw fail("no cases for \(a.file) with the manifest's sha256")
        }
        guard manifest.artifacts.contains(where: { $0.file == artifactFile }), let mine = doc.artifacts[artifactFile] else {
            throw fail("the manifest lists no artifact \(artifactFile)")
        }
        guard !doc.cases.isEmpty else { throw fail("no cases") }
        guard mine.expected.count == doc.cases.count, mine.expected.allSatisfy({ $0.count == manifest.labels.count }) else {
            throw fail("\(artifactFile): expected is not \(doc.cases.count) rows of \(manifest.labels.count) probabilities")
        }
        let leads = manifest.input.shape[1], samples = manifest.input.shape[2]
        var cases: [ModelIOCase] = []
        for (c, expected) in zip(doc.cases, mine.expected) {
            guard let raw = Data(base64Encoded: c.input) else { throw fail("case '\(c.name)': input_f32le_b64 is not base64") }
            guard raw.count == 4 * leads * samples else {
                throw fail("case '\(c.name)': input of \(raw.count) bytes, expected \(4 * leads * samples) "
                    + "(float32 [\(leads), \(samples)])")
            }
            let values = raw.withUnsafeBytes { bytes in
                (0..<(leads * samples)).map {
                    Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
                }
            }
            cases.append(ModelIOCase(name: c.name, input: ModelInput(leads: leads, samples: samples, values: values),
                                     expected: expected, tolerance: mine.tolerance))
        }
        return cases
    }
}
