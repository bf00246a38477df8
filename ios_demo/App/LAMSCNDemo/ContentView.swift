// The screens: start-up error, source picker, live view. Layout only; the state is AppModel's.
import ECGCore
import SwiftUI

struct ContentView: View {
    let model: AppModel

    var body: some View {
        VStack(spacing: 0) {
            NotMedicalNotice()
            switch model.phase {
            case .starting:
                Spacer()
                ProgressView("Checking the model…")
                Spacer()
            case let .failed(message):
                SelfTestFailedView(message: message)
            case .ready:
                SourcePicker(model: model)
            case let .live(source):
                LiveView(model: model, source: source)
            }
        }
    }
}

/// Always on screen.
struct NotMedicalNotice: View {
    var body: some View {
        Text("Research demo — not a medical device. Do not use it to diagnose or treat anyone.")
            .font(.footnote.weight(.semibold))
            .multilineTextAlignment(.center)
            .frame(maxWidth: .infinity)
            .padding(8)
            .background(.yellow.opacity(0.35))
    }
}

struct SelfTestFailedView: View {
    let message: String

    var body: some View {
        ContentUnavailableView {
            Label("The model failed its start-up check", systemImage: "exclamationmark.triangle")
        } description: {
            Text(message).font(.callout.monospaced())
            Text("No results are shown. Rebuild the export (python export/build.py --target ios) and copy it into Model/.")
        }
    }
}

struct SourcePicker: View {
    let model: AppModel

    var body: some View {
        List {
            Section {
                Button("Replay a recorded Polar H10 stream") { model.startReplay() }
            } header: {
                Text("No hardware")
            }
            Section {
                Button("Scan for Polar H10 / Movesense") { model.scan() }
                ForEach(model.sensors) { sensor in
                    Button { model.connect(sensor) } label: {
                        HStack {
                            Text(sensor.name)
                            Spacer()
                            Text("\(sensor.rssi) dBm").foregroundStyle(.secondary)
                        }
                    }
                }
            } header: {
                Text("Bluetooth sensors")
            }
            if !model.status.isEmpty {
                Section { Text(model.status).font(.footnote) }
            }
        }
    }
}

struct LiveView: View {
    let model: AppModel
    let source: String

    var body: some View {
        List {
            Section {
                LiveStrip(samples: model.strip)
                    .frame(height: 140)
                HStack {
                    QualityBadge(badge: model.badge)
                    Spacer()
                    Text(model.heartRate.map { String(format: "%.0f bpm", $0) } ?? "— bpm")
                        .font(.title3.monospacedDigit())
                }
            } header: {
                Text(source)
            }
            Section("Findings (latest window)") {
                if model.rows.isEmpty {
                    Text("none yet").foregroundStyle(.secondary)
                }
                ForEach(model.rows) { row in
                    HStack {
                        Image(systemName: row.shown ? "exclamationmark.circle.fill" : "circle")
                            .foregroundStyle(row.shown ? Color.red : Color.secondary)
                        Text(row.name)
                        Spacer()
                        Text(String(format: "%.2f", row.probability))
                            .font(.body.monospacedDigit())
                            .foregroundStyle(row.above ? .primary : .secondary)
                    }
                }
            }
            Section("Stream") {
                Text(model.status).font(.footnote)
                ForEach(Array(model.events.enumerated()), id: \.offset) { _, line in
                    Text(line).font(.caption.monospaced())
                }
            }
            Button("Stop", role: .destructive) { model.stop() }
        }
    }
}

struct QualityBadge: View {
    let badge: SignalBadge

    var body: some View {
        Label(badge.text, systemImage: symbol)
            .font(.callout)
            .padding(.horizontal, 10)
            .padding(.vertical, 4)
            .background(color.opacity(0.2), in: Capsule())
            .foregroundStyle(color)
    }

    private var symbol: String {
        switch badge {
        case .good: return "checkmark.seal"
        case .poor: return "waveform.badge.exclamationmark"
        case .interrupted: return "wifi.exclamationmark"
        case .waiting: return "hourglass"
        }
    }

    private var color: Color {
        switch badge {
        case .good: return .green
        case .poor: return .orange
        case .interrupted: return .red
        case .waiting: return .secondary
        }
    }
}

/// The last seconds of signal, drawn with a Canvas; NaN (a gap) breaks the line.
struct LiveStrip: View {
    let samples: [Double]

    var body: some View {
        Canvas { context, size in
            let finite = samples.filter(\.isFinite)
            guard samples.count > 1, let lo = finite.min(), let hi = finite.max() else { return }
            let span = max(hi - lo, 0.5)
            var path = Path()
            var drawing = false
            for (i, v) in samples.enumerated() {
                guard v.isFinite else { drawing = false; continue }
                let point = CGPoint(x: size.width * Double(i) / Double(samples.count - 1),
                                    y: size.height * (1 - (v - lo) / span))
                if drawing { path.addLine(to: point) } else { path.move(to: point) }
                drawing = true
            }
            context.stroke(path, with: .color(.red), lineWidth: 1.5)
        }
        .accessibilityLabel("live ECG strip")
    }
}
