import Foundation

/// The verdict on one window, with the intermediates the golden files record.
public struct WindowResult: Sendable {
    public enum Status: String, Sendable { case classified, rejected }
    public enum Reason: String, Sendable { case gap, quality
        case clockJump = "clock_jump"
    }

    public let window: Window
    public let rate: Int
    public let status: Status
    public let reason: Reason?
    public let quality: Quality?
    public let preprocessed: Preprocessed?
    public let heartRateBPM: Double?
    public let probabilities: [Double]?
    public let above: [String]
    public let findings: [String]
    public let codes: [String]
}

/// What the live loop reports, in order.
public enum LiveItem: Sendable {
    case event(StreamEvent)
    case window(WindowResult)
}

/// One notification's worth of results: the items, and the samples it released (for a live strip).
public struct LiveStep: Sendable {
    public let items: [LiveItem]
    public let chunks: [Chunk]
}

/// The live loop (`streaming/live.py`): frames -> sequencer events and one verdict per window.
/// A window with a gap (or cut by a clock jump) is rejected unprocessed; otherwise it is
/// preprocessed, gated on quality, and classified (heart rate, thresholds, debounce). A rejected
/// window resets the debounce.
public struct LiveLoop<Classifier: ECGClassifier>: Sendable {
    public let device: Device
    public private(set) var classifier: Classifier
    private var sequencer: FrameSequencer
    private var cutter: WindowCutter
    private var debouncer: Debouncer
    private let preprocessor: Preprocessor
    private let gate: QualityGate
    private let heartRate: HeartRateDetector

    /// Every number from the manifest's `preprocessing` and `live` sections; refuses a model the
    /// device cannot feed.
    public init(device: Device, preprocessing: PreprocessingContract, live: LiveNumbers, classifier: Classifier)
        throws(StreamError) {
        let need = classifier.leads.count
        guard need == device.leads else {
            throw StreamError(.modelMismatch, "this model needs \(need) lead\(need == 1 ? "" : "s"); "
                + "\(device.label) provides \(device.leads)")
        }
        guard classifier.thresholds.count == classifier.codes.count, !classifier.codes.isEmpty else {
            throw StreamError(.classifier, "\(classifier.codes.count) labels but \(classifier.thresholds.count) thresholds")
        }
        self.device = device
        self.classifier = classifier
        self.preprocessor = try Preprocessor(contract: preprocessing, rate: device.rate)
        self.sequencer = FrameSequencer(device: device, numbers: live.sequencer)
        self.cutter = WindowCutter(need: preprocessor.inputSamples, rate: device.rate, hopSeconds: live.hopSeconds)
        self.debouncer = Debouncer(classes: classifier.codes.count, windows: live.debounce.debounceWindows)
        self.gate = QualityGate(numbers: live.quality)
        self.heartRate = HeartRateDetector(numbers: live.heartRate)
    }

    /// The loop for `manifest`'s model on `device`.
    public init(device: Device, manifest: Manifest, classifier: Classifier) throws(StreamError) {
        try self.init(device: device, preprocessing: manifest.preprocessing, live: manifest.live, classifier: classifier)
    }

    /// One notification from the data characteristic.
    public mutating func feed(_ data: [UInt8]) throws -> [LiveItem] {
        try step(data).items
    }

    /// End of stream: release held-back frames (a window still incomplete is not reported).
    public mutating func finish() throws -> [LiveItem] {
        try finishStep().items
    }

    /// `feed`, with the samples the notification released.
    public mutating func step(_ data: [UInt8]) throws -> LiveStep {
        let released = sequencer.push(data)
        return try consume(released)
    }

    /// `finish`, with the samples released.
    public mutating func finishStep() throws -> LiveStep {
        let released = sequencer.flush()
        return try consume(released)
    }

    private mutating func consume(_ items: [SequencedItem]) throws -> LiveStep {
        var out: [LiveItem] = []
        var chunks: [Chunk] = []
        for item in items {
            switch item {
            case let .event(e): out.append(.event(e))
            case let .chunk(c):
                chunks.append(c)
                for w in cutter.add(c) { out.append(.window(try judge(w))) }
            }
        }
        return LiveStep(items: out, chunks: chunks)
    }

    /// Gap / clock jump, preprocessing, quality gate, then the model, thresholds and debounce.
    mutating func judge(_ window: Window) throws -> WindowResult {
        let codes = classifier.codes
        func rejected(_ reason: WindowResult.Reason, _ quality: Quality?, _ pre: Preprocessed?) -> WindowResult {
            _ = debouncer.reset()
            return WindowResult(window: window, rate: device.rate, status: .rejected, reason: reason, quality: quality,
                                preprocessed: pre, heartRateBPM: nil, probabilities: nil, above: [], findings: [],
                                codes: codes)
        }
        guard let samples = window.samplesMV else { return rejected(.clockJump, nil, nil) }
        if window.hasGap { return rejected(.gap, nil, nil) }
        let raw = [samples]
        let pre = try preprocessor.process(raw)
        let quality = gate.assess(raw: raw, rate: device.rate, preprocessed: pre)
        guard quality.ok else { return rejected(.quality, quality, pre) }
        let hr = heartRate.bpm(pre.filtered[0], rate: preprocessor.modelRate)
        let probs = try classifier.probabilities(for: ModelInput(window: pre.window))
        let above = try Decision.aboveThreshold(probs, thresholds: classifier.thresholds, multiLabel: classifier.multiLabel)
        let shown = debouncer.update(above)
        return WindowResult(window: window, rate: device.rate, status: .classified, reason: nil, quality: quality,
                            preprocessed: pre, heartRateBPM: hr, probabilities: probs,
                            above: zip(codes, above).filter(\.1).map(\.0),
                            findings: zip(codes, shown).filter(\.1).map(\.0), codes: codes)
    }

    /// Run the loop over a frame stream (a BLE subscription or `ReplaySource`): one step per
    /// notification, in order; the stream ends after the source does, or with the first error.
    public static func steps(of loop: LiveLoop, from frames: AsyncStream<[UInt8]>) -> AsyncThrowingStream<LiveStep, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var loop = loop
                do {
                    for await frame in frames {
                        continuation.yield(try loop.step(frame))
                    }
                    continuation.yield(try loop.finishStep())
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
