import Foundation

/// The start/stop conversation with a sensor, without a radio: the app writes the commands it
/// returns, feeds back what the sensor sends, and ticks it with a clock (Polar's "codec apart from
/// transport"). Polar H10: get settings (130 Hz offered?), start, then ECG on the data
/// characteristic. Movesense: HELLO, SUBSCRIBE `/Meas/ECG/<rate>`; results and ECG share the data
/// characteristic. Errors, a stop of the ECG measurement the sensor initiates (its control-point
/// notice 0x01) and no data after starting end the session with one line for the screen; a
/// multi-part Polar response (`more` set) is read once its last part came.
public struct SensorSession: Sendable {
    /// What the app must do next.
    public enum Action: Sendable, Equatable {
        /// Write these bytes (Polar: control point, with response; Movesense: command characteristic).
        case write([UInt8])
        /// Feed these ECG notification bytes to the live loop.
        case ecg([UInt8])
        /// The sensor accepted the start: data should follow.
        case streaming
        /// Something to show that does not end the session (a malformed control-point value).
        case notice(String)
        /// The session is over (sensor error, device-initiated stop, no data): show the line, disconnect.
        case ended(String)
    }

    enum Phase: Sendable, Equatable { case idle, askedSettings, askedStart, saidHello, subscribed, streaming, ended }

    /// Seconds without an ECG notification, after the sensor accepted the start, that end the session
    /// (the manifest's `live.no_data_seconds`).
    public let noDataTimeoutSeconds: Double

    public let device: Device
    private(set) var phase = Phase.idle
    private var lastProgress = 0.0
    private var responseParts: [[UInt8]] = []

    public init(device: Device, noDataSeconds: Double) {
        self.device = device
        self.noDataTimeoutSeconds = noDataSeconds
    }

    /// The first command to write, at time `now` (seconds on any monotonic clock).
    public mutating func start(now: Double) throws(FrameError) -> [Action] {
        lastProgress = now
        switch device.kind {
        case .polarH10:
            phase = .askedSettings
            return [.write(PolarPMD.getSettingsCommand())]
        case .movesense:
            phase = .saidHello
            return [.write(try Movesense.helloCommand())]
        }
    }

    /// What to write to stop streaming (the session ends).
    public mutating func stop() throws(FrameError) -> [Action] {
        phase = .ended
        return try device.stopCommands().map(Action.write)
    }

    /// A Polar control-point indication.
    public mutating func receivedControlPoint(_ bytes: [UInt8], now: Double) -> [Action] {
        guard device.kind == .polarH10, phase != .ended else { return [] }
        let response: PolarPMD.ControlPointResponse
        do {
            switch try PolarPMD.decodeControlPoint(bytes) {
            case let .stopped(notice):
                return notice.ecg ? end(notice.message) : [.notice(notice.message + "; the ECG stream goes on")]
            case let .response(part) where part.more || !responseParts.isEmpty:
                responseParts.append(bytes)
                guard !part.more else { return [] }
                defer { responseParts = [] }
                response = try PolarPMD.joinControlPointResponses(responseParts)
            case let .response(single):
                response = single
            }
        } catch {
            return [.notice("ignored a malformed control-point value: \(error.message)")]
        }
        do {
            try response.checkStatus()
        } catch {
            return end(error.message)
        }
        switch (response.op, phase) {
        case (PolarPMD.Op.getMeasurementSettings.rawValue, .askedSettings):
            let rates = (try? response.settings())?.first { $0.type == .sampleRate }?.values ?? []
            guard rates.contains(device.rate) else {
                return end("the Polar H10 does not offer ECG at \(device.rate) Hz (offers \(rates.map(String.init).joined(separator: ", ")))")
            }
            do {
                let command = try PolarPMD.startEcgCommand(rate: device.rate)
                phase = .askedStart
                lastProgress = now
                return [.write(command)]
            } catch {
                return end(error.message)
            }
        case (PolarPMD.Op.requestMeasurementStart.rawValue, .askedStart):
            phase = .streaming
            lastProgress = now
            return [.streaming]
        case (PolarPMD.Op.stopMeasurement.rawValue, _):
            return end("the sensor stopped the ECG stream")
        default:
            return []
        }
    }

    /// A notification on the data characteristic.
    public mutating func receivedData(_ bytes: [UInt8], now: Double) -> [Action] {
        guard phase != .ended else { return [] }
        if device.kind == .movesense, bytes.first == Movesense.Response.commandResult.rawValue {
            return movesenseResult(bytes, now: now)
        }
        var out: [Action] = []
        if phase != .streaming {
            phase = .streaming
            out.append(.streaming)
        }
        lastProgress = now
        return out + [.ecg(bytes)]
    }

    /// The watchdog: ends the session when the sensor went quiet (or never answered).
    public mutating func tick(now: Double) -> [Action] {
        guard phase != .ended, phase != .idle, now - lastProgress > noDataTimeoutSeconds else { return [] }
        return end(phase == .streaming
            ? "no ECG data from the \(device.label) for \(Int(noDataTimeoutSeconds)) s"
            : "the \(device.label) did not answer the start command within \(Int(noDataTimeoutSeconds)) s")
    }

    private mutating func movesenseResult(_ bytes: [UInt8], now: Double) -> [Action] {
        let result: Movesense.CommandResult
        do {
            result = try Movesense.decodeCommandResult(bytes)
        } catch {
            return [.notice("ignored a malformed command result: \(error.message)")]
        }
        switch phase {
        case .saidHello:
            do {
                let command = try Movesense.subscribeEcgCommand(rate: device.rate)
                phase = .subscribed
                lastProgress = now
                return [.write(command)]
            } catch {
                return end(error.message)
            }
        case .subscribed, .streaming:
            guard let status = result.status, status >= 300 else { return [] }
            return end("Movesense answered \(status) to /Meas/ECG/\(device.rate)")
        default:
            return []
        }
    }

    private mutating func end(_ message: String) -> [Action] {
        phase = .ended
        return [.ended(message)]
    }
}
