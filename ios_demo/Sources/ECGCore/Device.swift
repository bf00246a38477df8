import Foundation

/// Samples of one notification in mV, the device's raw timestamp field, and its first sample's
/// time on the sensor clock in seconds.
public struct DecodedFrame: Sendable, Equatable {
    public let samplesMV: [Double]
    /// Polar: ns of the last sample; Movesense: ms of the first.
    public let timestamp: UInt64
    public let firstSampleSeconds: Double
}

/// A supported sensor at one sample rate (a port of `streaming/devices.py`).
public struct Device: Sendable, Equatable {
    /// The sensor families the apps support.
    public enum Kind: String, Sendable, CaseIterable {
        case polarH10 = "polar-h10"
        case movesense = "movesense"

        /// The kind a BLE advertisement announces, by its ECG service or its name ("Polar H10 1234ABCD",
        /// "Movesense 175030000123"); nil for anything else.
        public static func advertised(name: String?, serviceUUIDs: [String]) -> Kind? {
            let services = Set(serviceUUIDs.map { $0.lowercased() })
            if services.contains(PolarPMD.serviceUUID) || name?.hasPrefix("Polar H10") == true { return .polarH10 }
            if services.contains(Movesense.serviceUUID) || name?.hasPrefix("Movesense") == true { return .movesense }
            return nil
        }

        /// The ECG service, and the characteristics the app writes commands to and receives data on.
        public var gatt: (service: String, command: String, data: String) {
            switch self {
            case .polarH10: return (PolarPMD.serviceUUID, PolarPMD.controlPointUUID, PolarPMD.dataUUID)
            case .movesense: return (Movesense.serviceUUID, Movesense.commandUUID, Movesense.dataUUID)
            }
        }
    }

    public let kind: Kind
    public let rate: Int
    public let samplesPerFrame: Int
    public let leads: Int

    public var name: String { kind.rawValue }
    public var label: String { kind == .polarH10 ? "Polar H10" : "Movesense" }

    /// A device with a free frame size (the sequencer's golden cases use 4-sample H10 frames).
    public init(kind: Kind, rate: Int, samplesPerFrame: Int, leads: Int = 1) {
        self.kind = kind
        self.rate = rate
        self.samplesPerFrame = samplesPerFrame
        self.leads = leads
    }

    /// The device called `name` (`polar-h10`, `movesense`), at `rate` Hz (Movesense default 250 Hz).
    public static func named(_ name: String, rate: Int? = nil) throws(StreamError) -> Device {
        switch Kind(rawValue: name) {
        case .polarH10:
            if let rate, rate != PolarPMD.h10EcgRate {
                throw StreamError(.input, "Polar H10 streams ECG at \(PolarPMD.h10EcgRate) Hz only, not \(rate) Hz")
            }
            return Device(kind: .polarH10, rate: PolarPMD.h10EcgRate, samplesPerFrame: PolarPMD.h10SamplesPerFrame)
        case .movesense:
            let rate = rate ?? Movesense.defaultEcgRate
            guard Movesense.ecgRates.contains(rate) else {
                throw StreamError(.input, "Movesense ECG rate \(rate) Hz is not one of "
                    + Movesense.ecgRates.map(String.init).joined(separator: ", "))
            }
            return Device(kind: .movesense, rate: rate, samplesPerFrame: Movesense.samplesPerNotification)
        case nil:
            throw StreamError(.input, "unknown device '\(name)' (known: "
                + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
    }

    /// Decode one data notification.
    public func decode(_ data: [UInt8]) throws(FrameError) -> DecodedFrame {
        switch kind {
        case .polarH10:
            let f = try PolarPMD.decodeEcgFrame(data)
            let seconds = Double(f.timestampNs / 1_000_000_000) + Double(f.timestampNs % 1_000_000_000) / 1e9
            return DecodedFrame(samplesMV: f.samplesUV.map { Double($0) / 1000.0 }, timestamp: f.timestampNs,
                                firstSampleSeconds: seconds - Double(f.samplesUV.count - 1) / Double(rate))
        case .movesense:
            let m = try Movesense.decodeEcgNotification(data)
            return DecodedFrame(samplesMV: m.samplesUV.map { $0 / 1000.0 }, timestamp: UInt64(m.timestampMs),
                                firstSampleSeconds: Double(m.timestampMs) / 1000.0)
        }
    }

    /// What an app writes to the control/command characteristic to start the ECG stream.
    public func startCommands() throws(FrameError) -> [[UInt8]] {
        switch kind {
        case .polarH10: return [PolarPMD.getSettingsCommand(), try PolarPMD.startEcgCommand(rate: rate)]
        case .movesense: return [try Movesense.helloCommand(), try Movesense.subscribeEcgCommand(rate: rate)]
        }
    }

    /// What an app writes to stop the ECG stream.
    public func stopCommands() throws(FrameError) -> [[UInt8]] {
        switch kind {
        case .polarH10: return [PolarPMD.stopCommand()]
        case .movesense: return [try Movesense.unsubscribeCommand()]
        }
    }
}
