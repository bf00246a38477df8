// The Core ML `ECGClassifier`. Apple platforms only: where CoreML is absent (Linux CI) this
// module is empty, and the core's tests use a scripted classifier instead.
#if canImport(CoreML)
@preconcurrency import CoreML
import ECGCore
import Foundation

/// Which compute units predictions use: everything in the foreground, the CPU only while the app
/// is in the background (where the GPU and the Neural Engine are not available to it).
public final class ComputeMode: @unchecked Sendable {
    private let lock = NSLock()
    private var background = false

    public init() {}

    public var isBackground: Bool {
        lock.lock()
        defer { lock.unlock() }
        return background
    }

    public func set(background: Bool) {
        lock.lock()
        defer { lock.unlock() }
        self.background = background
    }
}

/// One compiled model loaded twice: `.all` compute units and `.cpuOnly`. `MLModel` predictions
/// are thread-safe (Core ML documentation), so sharing it across tasks is sound.
final class LoadedModels: @unchecked Sendable {
    let foreground: MLModel
    let background: MLModel

    init(foreground: MLModel, background: MLModel) {
        self.foreground = foreground
        self.background = background
    }
}

/// The manifest's Core ML ML program: input float32 `[1, leads, 1000]` named as the manifest says,
/// output the probabilities (sigmoid or softmax already applied by the export).
public struct CoreMLClassifier: ECGClassifier {
    public let codes: [String]
    public let thresholds: [Double]
    public let leads: [String]
    public let multiLabel: Bool
    /// The manifest's artifact this model was compiled from (its `model_io.json` cases apply).
    public let artifact: Manifest.Artifact
    let inputName: String
    let outputName: String
    let shape: [Int]
    let models: LoadedModels
    let mode: ComputeMode

    /// Compile (once, off the main thread) and load the manifest's Core ML artifact from `folder`
    /// (fp16 preferred: closest to the reference); the manifest must already be checked.
    public static func load(manifest: Manifest, folder: URL, mode: ComputeMode,
                            store: CompiledModelStore = .applicationSupport) async throws -> CoreMLClassifier {
        let artifact = try manifest.artifact(runtime: "coreml-mlprogram", preferring: ["fp16", "int8-weights"])
        let compiled = try await store.compiled(folder.appendingPathComponent(artifact.file), sha256: artifact.sha256)
        let all = MLModelConfiguration()
        all.computeUnits = .all
        let cpu = MLModelConfiguration()
        cpu.computeUnits = .cpuOnly
        let models = LoadedModels(foreground: try await MLModel.load(contentsOf: compiled, configuration: all),
                                  background: try await MLModel.load(contentsOf: compiled, configuration: cpu))
        return CoreMLClassifier(codes: manifest.codes, thresholds: manifest.thresholds, leads: manifest.leads,
                                multiLabel: manifest.task.multiLabel, artifact: artifact, inputName: manifest.input.name,
                                outputName: manifest.output.name, shape: manifest.input.shape, models: models, mode: mode)
    }

    public mutating func probabilities(for input: ModelInput) throws -> [Double] {
        guard [1, input.leads, input.samples] == shape, input.values.count == input.leads * input.samples else {
            throw StreamError(.classifier, "model input [1, \(input.leads), \(input.samples)], the model takes \(shape)")
        }
        let array = try MLMultiArray(shape: shape.map { NSNumber(value: $0) }, dataType: .float32)
        array.withUnsafeMutableBufferPointer(ofType: Float.self) { buffer, strides in
            for lead in 0..<input.leads {
                for s in 0..<input.samples {
                    buffer[lead * strides[1] + s * strides[2]] = input.values[lead * input.samples + s]
                }
            }
        }
        let features = try MLDictionaryFeatureProvider(dictionary: [inputName: MLFeatureValue(multiArray: array)])
        let model = mode.isBackground ? models.background : models.foreground
        guard let output = try model.prediction(from: features).featureValue(for: outputName)?.multiArrayValue else {
            throw StreamError(.classifier, "the Core ML model has no multi-array output '\(outputName)'")
        }
        return (0..<output.count).map { output[$0].doubleValue }
    }
}

/// Compiled models (`.mlmodelc`) kept in Application Support under their artifact's sha256:
/// compiled on the device the first time, reused afterwards, replaced when the artifact changes.
public struct CompiledModelStore: Sendable {
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    public static var applicationSupport: CompiledModelStore {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask).first
            ?? FileManager.default.temporaryDirectory
        return CompiledModelStore(folder: base.appendingPathComponent("CompiledModels", isDirectory: true))
    }

    /// The compiled form of `package`, compiling it when this sha256 has not been compiled yet.
    public func compiled(_ package: URL, sha256: String) async throws -> URL {
        let target = folder.appendingPathComponent("\(sha256).mlmodelc", isDirectory: true)
        if FileManager.default.fileExists(atPath: target.path) { return target }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = try await MLModel.compileModel(at: package)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: temporary, to: target)
        return target
    }
}
#endif
