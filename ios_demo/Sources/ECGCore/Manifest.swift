import Foundation

/// A manifest that is invalid, of an unknown schema version, does not match its artifacts, or
/// does not fit the device. One line naming the problem.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The live loop's device-independent numbers, the manifest's `live` section.
public struct LiveNumbers: Codable, Sendable, Equatable {
    public struct Debounce: Codable, Sendable, Equatable {
        public let debounceWindows: Int
        enum CodingKeys: String, CodingKey { case debounceWindows = "debounce_windows" }
    }

    public let hopSeconds: Double
    public let sequencer: SequencerNumbers
    public let quality: QualityNumbers
    public let heartRate: HeartRateNumbers
    public let debounce: Debounce
    /// Seconds without an ECG notification after the start that end the session (`live.no_data_rule`).
    public let noDataSeconds: Double

    enum CodingKeys: String, CodingKey {
        case hopSeconds = "hop_seconds", sequencer, quality, heartRate = "heart_rate", debounce
        case noDataSeconds = "no_data_seconds"
    }
}

/// `manifest.json` of an exported model (`contract/manifest.py`, schema `lamscn-manifest/1`):
/// labels, thresholds, leads, tensor shapes, the preprocessing contract, the live numbers and
/// the artifacts with their checksums.
public struct Manifest: Decodable, Sendable {
    public static let schemaVersion = "lamscn-manifest/1"
    public static let fileName = "manifest.json"

    public struct Model: Decodable, Sendable {
        public let name: String
        public let version: String
        public let architecture: String
        public let parameters: Int
    }

    public struct Task: Decodable, Sendable {
        public let name: String
        public let multiLabel: Bool
        enum CodingKeys: String, CodingKey { case name, multiLabel = "multi_label" }
    }

    public struct Label: Decodable, Sendable {
        public let code: String
        public let name: String
        public let snomedCT: [String]
        public let threshold: Double
        enum CodingKeys: String, CodingKey { case code, name, snomedCT = "snomed_ct", threshold }
    }

    public struct WindowSpec: Decodable, Sendable {
        public let samples: Int
        public let seconds: Double
    }

    public struct Tensor: Decodable, Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
    }

    public struct DecisionRule: Decodable, Sendable {
        public let rule: String
        public let description: String
        /// The label code an app shows as "poor signal", never as a finding (CinC 2017's `~`); nil
        /// when the task has no such label (`decision.poor_signal_label`, null or absent).
        public let poorSignalLabel: String?
        enum CodingKeys: String, CodingKey { case rule, description, poorSignalLabel = "poor_signal_label" }
    }

    public struct Artifact: Decodable, Sendable {
        public let file: String
        public let runtime: String
        public let precision: String
        public let bytes: Int
        public let sha256: String
        public let sha256Of: String?
        enum CodingKeys: String, CodingKey { case file, runtime, precision, bytes, sha256, sha256Of = "sha256_of" }
    }

    public let schemaVersion: String
    public let model: Model
    public let task: Task
    public let labels: [Label]
    public let leads: [String]
    public let sampleRateHz: Int
    public let window: WindowSpec
    public let input: Tensor
    public let output: Tensor
    public let preprocessing: PreprocessingContract
    public let decision: DecisionRule
    public let live: LiveNumbers
    public let artifacts: [Artifact]
    public let metrics: JSONValue
    public let provenance: JSONValue
    public let tools: [String: String]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", model, task, labels, leads, sampleRateHz = "sample_rate_hz", window
        case input, output, preprocessing, decision, live, artifacts, metrics, provenance, tools
    }

    public var codes: [String] { labels.map(\.code) }
    public var thresholds: [Double] { labels.map(\.threshold) }

    /// Read `folder/manifest.json` (or a manifest file): schema version, fields, consistency, and
    /// every artifact's bytes and sha256. With `pinnedSHA256` (the digest `export/build.py` printed,
    /// recorded in the app build) the file must first be byte for byte the pinned manifest: an edited
    /// threshold is otherwise a valid manifest.
    public static func load(_ path: URL, pinnedSHA256: String? = nil) throws(ManifestError) -> Manifest {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder)
        let file = exists && isFolder.boolValue ? path.appendingPathComponent(fileName) : path
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ManifestError("manifest \(file.path): no such file")
        }
        if let pinned = pinnedSHA256 {
            let got = SHA256.hex(Array(data))
            let pin = pinned.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard got == pin else {
                throw ManifestError("manifest \(file.path): sha256 \(got.prefix(12))… is not the \(pin.prefix(12))… "
                    + "pinned by the app build (edited, or from another build)")
            }
        }
        let manifest = try decode(data, source: file.path)
        try manifest.verifyArtifacts(in: file.deletingLastPathComponent())
        return manifest
    }

    /// Decode and check a manifest's text (no artifact checks).
    public static func decode(_ data: Data, source: String) throws(ManifestError) -> Manifest {
        struct Version: Decodable { let schema_version: JSONValue? }
        let version: Version
        do {
            version = try JSONDecoder().decode(Version.self, from: data)
        } catch {
            throw ManifestError("manifest \(source): not valid JSON")
        }
        guard version.schema_version == .string(schemaVersion) else {
            let found = version.schema_version.map { $0.string.map { "'\($0)'" } ?? $0.text } ?? "None"
            throw ManifestError("manifest schema_version \(found), expected '\(schemaVersion)'")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch let error as DecodingError {
            throw ManifestError("manifest invalid at \(describe(error))")
        } catch {
            throw ManifestError("manifest \(source): \(error)")
        }
        try manifest.check()
        return manifest
    }

    /// `where: problem` of a decoding error, the path as the Python validator writes it (`live/quality`).
    static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [CodingKey]) -> String {
            path.isEmpty ? "(root)" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
        }
        switch error {
        case let .keyNotFound(key, context):
            return "\(where_(context.codingPath)): '\(key.stringValue)' is a required property"
        case let .typeMismatch(type, context):
            return "\(where_(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "\(where_(context.codingPath)): expected \(type), found null"
        case let .dataCorrupted(context):
            return "\(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "(root): \(error)"
        }
    }

    /// The rules the schema states beyond field types (shapes, ranges, enums, the decision rule) and
    /// `check_fields`' rules across fields (`contract/manifest.py`).
    func check() throws(ManifestError) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(ManifestError) {
            if !ok { throw ManifestError("manifest invalid at \(message())") }
        }
        try require(!labels.isEmpty, "labels: at least one label is required")
        for (i, label) in labels.enumerated() {
            try require(!label.code.isEmpty && !label.name.isEmpty, "labels/\(i): empty code or name")
            try require(label.threshold > 0 && label.threshold <= 1, "labels/\(i)/threshold: \(label.threshold) is not in (0, 1]")
        }
        let classes = output.shape.last ?? 0
        try require(labels.count == classes, "labels: \(labels.count) labels for an output of \(classes) classes")
        try require(!leads.isEmpty, "leads: at least one lead is required")
        let ported: Set = ["non_finite", "flat", "saturated", "implausible", "noisy"]
        try require(live.quality.checks.count == ported.count && Set(live.quality.checks) == ported,
                    "live/quality/checks: \(live.quality.checks) are not the ones this port implements (\(ported.sorted()))")
        try require(window.samples == preprocessing.windowSamples,
                    "window/samples: \(window.samples) but preprocessing/window_samples \(preprocessing.windowSamples)")
        try require(sampleRateHz == preprocessing.modelRateHz,
                    "sample_rate_hz: \(sampleRateHz) but preprocessing/model_rate_hz \(preprocessing.modelRateHz)")
        try preprocessing.check()
        try require(input.dtype == "float32" && output.dtype == "float32", "input/output dtype: must be float32")
        try require(input.shape == [1, leads.count, window.samples],
                    "input/shape: \(input.shape), expected [1, \(leads.count), \(window.samples)]")
        try require(output.shape == [1, labels.count], "output/shape: \(output.shape), expected [1, \(labels.count)]")
        let rule = task.multiLabel ? "threshold" : "scaled_argmax"
        try require(decision.rule == rule, "decision/rule: '\(decision.rule)' for a task whose rule is '\(rule)'")
        if let poor = decision.poorSignalLabel {
            try require(codes.contains(poor), "decision/poor_signal_label: '\(poor)' is not one of the labels' codes \(codes)")
        }
        try require(live.hopSeconds > 0, "live/hop_seconds: must be > 0")
        try require(live.noDataSeconds > 0 && live.noDataSeconds.isFinite, "live/no_data_seconds: must be > 0")
        try require(live.debounce.debounceWindows >= 1, "live/debounce/debounce_windows: must be >= 1")
        try require(!artifacts.isEmpty, "artifacts: at least one artifact is required")
        let hex = Set("0123456789abcdef")
        for (i, a) in artifacts.enumerated() {
            try require(!a.file.isEmpty && !a.file.contains("/") && !a.file.contains("\\"),
                        "artifacts/\(i)/file: '\(a.file)' is not a plain file name")
            try require(["executorch-xnnpack", "coreml-mlprogram"].contains(a.runtime),
                        "artifacts/\(i)/runtime: '\(a.runtime)' is not a known runtime")
            try require(["fp32", "int8", "fp16", "int8-weights"].contains(a.precision),
                        "artifacts/\(i)/precision: '\(a.precision)' is not a known precision")
            try require(a.bytes >= 1, "artifacts/\(i)/bytes: must be >= 1")
            try require(a.sha256.count == 64 && a.sha256.allSatisfy(hex.contains),
                        "artifacts/\(i)/sha256: not 64 lower-case hex digits")
            try require(!artifacts[..<i].contains { $0.file == a.file }, "artifacts: a file is listed twice ('\(a.file)')")
        }
    }

    /// Refuse an artifact whose bytes or sha256 differ from the manifest.
    public func verifyArtifacts(in folder: URL) throws(ManifestError) {
        for a in artifacts {
            let (size, sha) = try ArtifactDigest.of(folder.appendingPathComponent(a.file))
            guard sha == a.sha256, size == a.bytes else {
                throw ManifestError("artifact \(a.file): sha256 \(sha.prefix(12))… (\(size) bytes) does not match "
                    + "the manifest's \(a.sha256.prefix(12))… (\(a.bytes) bytes)")
            }
        }
    }

    /// The artifact for `runtime` (`coreml-mlprogram` on iOS), the first precision of `preferring`
    /// that the manifest lists, else its first one for that runtime.
    public func artifact(runtime: String, preferring: [String] = []) throws(ManifestError) -> Artifact {
        let candidates = artifacts.filter { $0.runtime == runtime }
        guard let first = candidates.first else { throw ManifestError("manifest lists no \(runtime) artifact") }
        return preferring.lazy.compactMap { p in candidates.first { $0.precision == p } }.first ?? first
    }

    /// Refuse a model the device cannot feed (leads) or a contract without numbers for its rate.
    public func check(fits device: Device) throws(StreamError) {
        let need = leads.count
        guard need == device.leads else {
            throw StreamError(.modelMismatch, "this model needs \(need) lead\(need == 1 ? "" : "s"); "
                + "\(device.label) provides \(device.leads)")
        }
        _ = try Preprocessor(contract: preprocessing, rate: device.rate)
    }
}

/// `(bytes, sha256)` of an artifact: a file's bytes, or for a folder (an `.mlpackage`) the sha256
/// of one line `"<sha256>  <relative path>\n"` per file sorted by path, as `contract/manifest.py` writes it.
public enum ArtifactDigest {
    public static func of(_ url: URL) throws(ManifestError) -> (Int, String) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw ManifestError("artifact \(url.path): no such file or folder")
        }
        if !isFolder.boolValue {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ManifestError("artifact \(url.path): cannot be read")
            }
            return (data.count, SHA256.hex(data))
        }
        let files = regularFiles(under: url, relative: [])
            .sorted { $0.lexicographicallyPrecedes($1) { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) } }
        var lines = "", total = 0
        for parts in files {
            let (size, sha) = try of(parts.reduce(url) { $0.appendingPathComponent($1) })
            total += size
            lines += "\(sha)  \(parts.joined(separator: "/"))\n"
        }
        return (total, SHA256.hex(Array(lines.utf8)))
    }

    private static func regularFiles(under url: URL, relative: [String]) -> [[String]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.flatMap { name -> [[String]] in
            let child = url.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child.path, isDirectory: &isFolder) else { return [] }
            return isFolder.boolValue ? regularFiles(under: child, relative: relative + [name]) : [relative + [name]]
        }
    }
}
