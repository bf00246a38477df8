import Foundation

/// One preprocessed window as the model takes it: float32 `[1, leads, samples]`, row-major.
public struct ModelInput: Sendable, Equatable {
    public let leads: Int
    public let samples: Int
    public let values: [Float]

    public init(leads: Int, samples: Int, values: [Float]) {
        self.leads = leads
        self.samples = samples
        self.values = values
    }

    /// The contract's output, one row per lead.
    public init(window: [[Float]]) {
        self.init(leads: window.count, samples: window.first?.count ?? 0, values: window.flatMap { $0 })
    }
}

/// What the live loop needs from a model (Core ML on the phone, a scripted stand-in in tests and
/// in the headless runner).
public protocol ECGClassifier: Sendable {
    var codes: [String] { get }
    var thresholds: [Double] { get }
    var leads: [String] { get }
    var multiLabel: Bool { get }

    /// `[1, leads, samples]` float32 -> one probability per class.
    mutating func probabilities(for input: ModelInput) throws -> [Double]
}

/// A stand-in model: returns `outputs` in turn, one per classified window (the golden live
/// streams' `model_outputs`, or `--probabilities FILE` in the headless runner).
public struct ScriptedClassifier: ECGClassifier {
    public let codes: [String]
    public let thresholds: [Double]
    public let leads: [String]
    public let multiLabel: Bool
    public let outputs: [[Double]]
    public private(set) var calls = 0

    public init(codes: [String], thresholds: [Double], leads: [String], multiLabel: Bool, outputs: [[Double]]) {
        self.codes = codes
        self.thresholds = thresholds
        self.leads = leads
        self.multiLabel = multiLabel
        self.outputs = outputs
    }

    public mutating func probabilities(for input: ModelInput) throws -> [Double] {
        guard !outputs.isEmpty else { throw StreamError(.classifier, "the scripted model has no outputs") }
        defer { calls += 1 }
        return outputs[calls % outputs.count]
    }
}

/// The start-up model-I/O self-test: one window of the manifest's shape through the classifier;
/// refuses a model whose labels, leads or outputs do not match the manifest.
public enum ModelSelfTest {
    public static func run(_ classifier: inout some ECGClassifier, manifest: Manifest) throws(StreamError) {
        guard classifier.codes == manifest.codes, classifier.leads == manifest.leads else {
            throw StreamError(.modelMismatch, "the model's labels or leads differ from the manifest's")
        }
        let leads = manifest.input.shape[1], samples = manifest.input.shape[2]
        let values = (0..<(leads * samples)).map { Float(sin(Double($0 % samples) * 2 * Double.pi / 83)) }
        let p: [Double]
        do {
            p = try classifier.probabilities(for: ModelInput(leads: leads, samples: samples, values: values))
        } catch {
            throw StreamError(.classifier, "model self-test: the model failed on a [1, \(leads), \(samples)] input (\(error))")
        }
        guard p.count == manifest.labels.count else {
            throw StreamError(.modelMismatch, "model self-test: \(p.count) outputs, the manifest has \(manifest.labels.count) labels")
        }
        guard p.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
            throw StreamError(.modelMismatch, "model self-test: outputs are not probabilities in [0, 1]")
        }
        if !manifest.task.multiLabel, abs(p.reduce(0, +) - 1) > 1e-3 {
            throw StreamError(.modelMismatch, "model self-test: single-label outputs sum to \(p.reduce(0, +)), not 1")
        }
    }
}
