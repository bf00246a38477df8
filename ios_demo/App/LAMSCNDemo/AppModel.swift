// The app's state for the views: start-up checks, the chosen source, and what the live loop
// reports. Thin: every decision is ECGCore's (manifest checks, self-test, loop, badge, rows).
import ECGCore
import ECGCoreML
import Foundation
import Observation

@MainActor
@Observable
final class AppModel {
    enum Phase: Equatable {
        case starting
        case failed(String)
        case ready
        case live(String)
    }

    private(set) var phase = Phase.starting
    private(set) var status = ""
    private(set) var sensors: [DiscoveredSensor] = []
    private(set) var strip: [Double] = []
    private(set) var stripRate = 130
    private(set) var rows: [FindingRow] = []
    private(set) var badge = SignalBadge.waiting
    private(set) var heartRate: Double?
    private(set) var events: [String] = []

    private var manifest: Manifest?
    private var classifier: CoreMLClassifier?
    private let computeMode = ComputeMode()
    private let bluetooth = BluetoothSensor()
    private var scanTask: Task<Void, Never>?
    private var runTask: Task<Void, Never>?
    private var statusTask: Task<Void, Never>?

    /// The bundled `Model/` folder: `manifest.json`, `model_io.json` and the `.mlpackage`s, copied there from `dist/ios`.
    private var modelFolder: URL? { Bundle.main.url(forResource: "Model", withExtension: nil) }

    /// Start-up: the manifest (schema, fields, checksums), the compiled model, the model-I/O self-test
    /// on `model_io.json`'s cases for the artifact loaded.
    func startUp() async {
        do {
            guard let folder = modelFolder else { throw ManifestError("the app bundle has no Model folder") }
            // the manifest's sha256 recorded in the app's Info.plist (README, "Trusting a manifest"); absent: no pin
            let pin = Bundle.main.object(forInfoDictionaryKey: "LAMSCNManifestSHA256") as? String
            let manifest = try Manifest.load(folder, pinnedSHA256: pin)
            var classifier = try await CoreMLClassifier.load(manifest: manifest, folder: folder, mode: computeMode)
            let cases = try ModelIOCases.load(folder, manifest: manifest, artifactFile: classifier.artifact.file)
            try ModelSelfTest.run(&classifier, manifest: manifest, cases: cases)
            self.manifest = manifest
            self.classifier = classifier
            phase = .ready
            status = "\(manifest.model.name): \(manifest.leads.count) lead(s), \(manifest.labels.count) classes"
        } catch {
            phase = .failed("\(error)")
        }
    }

    func setBackground(_ background: Bool) { computeMode.set(background: background) }

    func scan() {
        sensors = []
        scanTask?.cancel()
        scanTask = Task {
            for await sensor in bluetooth.scan() where !sensors.contains(where: { $0.id == sensor.id }) {
                sensors.append(sensor)
            }
        }
    }

    /// Replay the bundled H10 recording at the sensor's pace (no hardware needed).
    func startReplay() {
        do {
            let device = try Device.named("polar-h10")
            guard let url = Bundle.main.url(forResource: "polar_h10_synthetic", withExtension: "hex", subdirectory: "Replay")
            else { throw StreamError(.input, "the app bundle has no Replay/polar_h10_synthetic.hex") }
            let frames = try FrameFile.read(url)
            run(device: device, frames: ReplaySource(frames: frames, realTimeFor: device).stream(), label: "Replay",
                endMessage: "Replay: the recording is over")
        } catch {
            status = "\(error)"
        }
    }

    func connect(_ sensor: DiscoveredSensor) {
        bluetooth.stopScan()
        guard let manifest else { return }
        do {
            let device = try Device.named(sensor.kind.rawValue)
            let (frames, statuses) = bluetooth.connect(sensor, device: device,
                                                       noDataSeconds: manifest.live.noDataSeconds)
            statusTask = Task {
                for await s in statuses {
                    switch s {
                    case let .message(m): status = m
                    case .streaming: status = "streaming from \(sensor.name)"
                    case let .ended(m): status = m
                    }
                }
            }
            run(device: device, frames: frames, label: sensor.name, endMessage: nil)  // the session says why
        } catch {
            status = "\(error)"
        }
    }

    func stop() {
        bluetooth.disconnect()
        runTask?.cancel()
        phase = .ready
    }

    /// Run the live loop over `frames`; `endMessage` is shown when they end (nil: keep the status).
    private func run(device: Device, frames: AsyncStream<[UInt8]>, label: String, endMessage: String?) {
        guard let manifest, let classifier else { return }
        do {
            try manifest.check(fits: device)
            let loop = try LiveLoop(device: device, manifest: manifest, classifier: classifier)
            stripRate = device.rate
            strip = []
            rows = []
            events = []
            badge = .waiting
            heartRate = nil
            phase = .live(label)
            runTask?.cancel()
            runTask = Task {
                var buffer = StripBuffer(seconds: 5, rate: device.rate)
                do {
                    for try await step in LiveLoop.steps(of: loop, from: frames) {
                        for chunk in step.chunks { buffer.add(chunk) }
                        strip = buffer.samples
                        for item in step.items {
                            show(item, labels: manifest.labels, poorSignalLabel: manifest.decision.poorSignalLabel)
                        }
                    }
                    if let endMessage { status = endMessage }
                } catch {
                    status = "\(label) stopped: \(error)"
                }
            }
        } catch {
            status = "\(error)"
        }
    }

    private func show(_ item: LiveItem, labels: [Manifest.Label], poorSignalLabel: String?) {
        switch item {
        case let .event(e):
            events = Array(([StreamLines.json(e).text] + events).prefix(20))
        case let .window(r):
            badge = SignalBadge(r, poorSignalLabel: poorSignalLabel)
            rows = FindingRow.rows(r, labels: labels, poorSignalLabel: poorSignalLabel)
            heartRate = r.heartRateBPM
        }
    }
}
