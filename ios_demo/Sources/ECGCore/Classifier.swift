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

/// One model-I/O case: a model input and the probabilities the exporter measured for it, to be
/// met within `tolerance` (`model_io.json`'s cases for one artifact, read by `ModelIOCases`).
public struct ModelIOCase: Sendable, Equatable {
    public let name: String
    public let input: ModelInput
    public let expected: [Double]
    public let tolerance: Double

    public init(name: String, input: ModelInput, expected: [Double], tolerance: Double) {
        self.name = name
        self.input = input
        self.expected = expected
        self.tolerance = tolerance
    }
}

/// The start-up model-I/O self-test: refuses a model whose labels or leads differ from the
/// manifest's, whose outputs are not one probability in [0, 1] per label (summing to 1 for a
/// single-label softmax), or that misses a model-I/O case by more than its tolerance. With no
/// case, one deterministic window of the manifest's shape is the probe.
public enum ModelSelfTest {
    /// How far a softmax's outputs may sum from 1 in float32 (a wiring error is far larger).
    static let softmaxSumTolerance = 1e-3

    public static func run(_ classifier: inout some ECGClassifier, manifest: Manifest, cases: [ModelIOCase] = [])
        throws(StreamError) {
        guard classifier.codes == manifest.codes, classifier.leads == manifest.leads else {
            throw StreamError(.modelMismatch, "the model's labels or leads differ from the manifest's")
        }
        let leads = manifest.input.shape[1], samples = manifest.input.shape[2]
        let probe = ModelInput(leads: leads, samples: samples, values: (0..<(leads * samples)).map {
            Float(sin(Double($0 % samples) * 2 * Double.pi / 83))
        })
        for c in cases.isEmpty ? [ModelIOCase(name: "probe window", input: probe, expected: [], tolerance: 0)] : cases {
            guard c.input.leads == leads, c.input.samples == samples, c.input.values.count == leads * samples else {
                throw StreamError(.modelMismatch, "model self-test \(c.name): the input does not fit [1, \(leads), \(samples)]")
            }
            let p: [Double]
            do {
                p = try classifier.probabilities(for: c.input)
            } catch {
                throw StreamError(.classifier, "model self-test \(c.name): the model failed on a [1, \(leads), \(samples)] input (\(error))")
            }
            guard p.count == manifest.labels.count else {
                throw StreamError(.modelMismatch, "model self-test \(c.name): \(p.count) outputs, the manifest has \(manifest.labels.count) labels")
            }
            guard p.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw StreamError(.modelMismatch, "model self-test \(c.name): outputs are not probabilities in [0, 1]")
            }
            if !manifest.task.multiLabel, abs(p.reduce(0, +) - 1) > softmaxSumTolerance {
                throw StreamError(.modelMismatch, "model self-test \(c.name): single-label outputs sum to \(p.reduce(0, +)), not 1")
            }
            if !c.expected.isEmpty {
                let worst = c.expected.count == p.count ? zip(p, c.expected).map { abs($0 - $1) }.max() ?? 0 : .infinity
                guard worst <= c.tolerance else {
                    throw StreamError(.modelMismatch, "model self-test \(c.name): max |dp| \(pythonRound(worst, 6)) exceeds the tolerance \(c.tolerance)")
                }
            }
        }
    }
}
