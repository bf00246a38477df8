import Foundation

/// Movesense GATT SensorData protocol (GSP) codec for the ECG stream: bytes in, typed values out.
///
/// A port of `streaming/movesense.py` (pinned by `golden/streaming/movesense_codec.json`).
/// Command: `[command][client reference][data]`; notification: `[response type][reference][payload]`,
/// DATA payload of `/Meas/ECG/<rate>` a u32 LE ms timestamp of the first sample, then int32 LE samples.
/// DATA_PART2 (3) / DATA_PART3 (4) continue a DATA payload too large for one packet (movesense-device-lib
/// `samples/gatt_sensordata_app/GATTSensorDataClient.cpp`, FETCH_LOG versions); ECG comes whole as DATA,
/// so a part reaching the ECG decoder is refused by name (`.unsupported`).
public enum Movesense {
    public static let serviceUUID = "34802252-7185-4d5d-b431-630e7050e8f0"
    public static let commandUUID = "34800001-7185-4d5d-b431-630e7050e8f0"
    public static let dataUUID = "34800002-7185-4d5d-b431-630e7050e8f0"

    public static let ecgRates = [125, 128, 200, 250, 256, 500, 512]
    public static let defaultEcgRate = 250
    public static let samplesPerNotification = 16
    /// One sample LSB in µV (1/20/2^17 V).
    public static let uvPerLSB = 1e6 / 20 / Double(1 << 17)
    public static let defaultReference: UInt8 = 99
    public static let maxAttValue = 512
    static let headerBytes = 2
    static let timestampBytes = 4
    static let sampleBytes = 4

    /// GSP command codes (client to sensor).
    public enum Command: UInt8, Sendable { case hello = 0, subscribe = 1, unsubscribe = 2 }
    /// GSP notification types (sensor to client).
    public enum Response: UInt8, Sendable { case commandResult = 1, data = 2, dataPart2 = 3, dataPart3 = 4 }

    private static func checkReference(_ reference: UInt8) throws(FrameError) {
        guard reference >= 1 else { throw FrameError(.frame, "GSP client reference \(reference) must be 1..255") }
    }

    /// The resource to subscribe for ECG at `rate` Hz (`/Meas/ECG/250`).
    public static func ecgPath(rate: Int = defaultEcgRate) throws(FrameError) -> String {
        guard ecgRates.contains(rate) else {
            throw FrameError(.frame, "Movesense ECG rate \(rate) Hz is not one of "
                + ecgRates.map(String.init).joined(separator: ", "))
        }
        return "/Meas/ECG/\(rate)"
    }

    /// `00 <ref>`: the sensor answers COMMAND_RESULT `Hello`.
    public static func helloCommand(reference: UInt8 = defaultReference) throws(FrameError) -> [UInt8] {
        try checkReference(reference)
        return [Command.hello.rawValue, reference]
    }

    /// `01 <ref> <path ASCII>` for `/Meas/ECG/<rate>`.
    public static func subscribeEcgCommand(rate: Int = defaultEcgRate, reference: UInt8 = defaultReference)
        throws(FrameError) -> [UInt8] {
        try checkReference(reference)
        return [Command.subscribe.rawValue, reference] + Array(try ecgPath(rate: rate).utf8)
    }

    /// `02 <ref>`.
    public static func unsubscribeCommand(reference: UInt8 = defaultReference) throws(FrameError) -> [UInt8] {
        try checkReference(reference)
        return [Command.unsubscribe.rawValue, reference]
    }

    /// A COMMAND_RESULT notification: the HTTP-like status when the payload is two bytes.
    public struct CommandResult: Sendable, Equatable {
        public let reference: UInt8
        public let status: Int?
        public let payload: [UInt8]
    }

    /// One decoded ECG DATA notification: raw int32 samples (LSB units) and the ms time of the first.
    public struct EcgNotification: Sendable, Equatable {
        public let reference: UInt8
        public let timestampMs: UInt32
        public let samples: [Int32]

        /// The samples in µV.
        public var samplesUV: [Double] { samples.map { Double($0) * Movesense.uvPerLSB } }
    }

    /// Parse a COMMAND_RESULT notification.
    public static func decodeCommandResult(_ data: [UInt8]) throws(FrameError) -> CommandResult {
        try checked(data)
        guard data[0] == Response.commandResult.rawValue else {
            throw FrameError(.unknownMeasurementType, "GSP notification type \(data[0]) is not COMMAND_RESULT (1)")
        }
        let payload = Array(data[headerBytes...])
        let status = payload.count == 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
        return CommandResult(reference: data[1], status: status, payload: payload)
    }

    /// Decode a DATA notification carrying `/Meas/ECG` samples.
    public static func decodeEcgNotification(_ data: [UInt8]) throws(FrameError) -> EcgNotification {
        try checked(data)
        if let part = Response(rawValue: data[0]), part == .dataPart2 || part == .dataPart3 {
            throw FrameError(.unsupported, "GSP notification type \(data[0]) (\(part == .dataPart2 ? "DATA_PART2" : "DATA_PART3")) "
                + "continues a DATA notification split across BLE packets: not supported (an ECG notification comes whole as DATA)")
        }
        guard data[0] == Response.data.rawValue else {
            throw FrameError(.unknownMeasurementType, "GSP notification type \(data[0]) is not DATA (2)")
        }
        let body = data.count - headerBytes
        guard body >= timestampBytes + sampleBytes else {
            throw FrameError(.truncated,
                             "GSP ECG notification body of \(body) bytes, needs a timestamp and a sample")
        }
        guard (body - timestampBytes) % sampleBytes == 0 else {
            throw FrameError(.truncated, "GSP ECG notification body of \(body) bytes is not a timestamp plus whole "
                + "4-byte samples")
        }
        let first = headerBytes + timestampBytes
        let samples = stride(from: first, to: data.count, by: sampleBytes).map {
            Int32(bitPattern: UInt32(littleEndian(data, $0, sampleBytes)))
        }
        return EcgNotification(reference: data[1], timestampMs: UInt32(littleEndian(data, headerBytes, 4)),
                               samples: samples)
    }

    private static func checked(_ data: [UInt8]) throws(FrameError) {
        guard data.count <= maxAttValue else {
            throw FrameError(.oversized, "GSP notification of \(data.count) bytes exceeds \(maxAttValue)")
        }
        guard data.count >= headerBytes else {
            throw FrameError(.truncated, "GSP notification of \(data.count) bytes, needs a type and a reference")
        }
    }
}
