import Foundation

/// Polar Measurement Data (PMD) codec for the Polar H10 ECG stream: bytes in, typed values out.
///
/// A port of `streaming/polar_pmd.py` (layouts from Polar's public BLE SDK, polarofficial/polar-ble-sdk
/// `…/api/ble/model/gatt/client/pmd/`: `BlePMDClient.kt`, `PmdControlPointResponse.kt`, `PmdSetting.kt`,
/// `PmdDataFrame.kt`; pinned by `golden/streaming/polar_h10_codec.json` and `polar_sdk_vectors.json`).
/// Control point: `[op][measurement type][settings]`; the sensor indicates a response
/// `[0xF0][op][type][status][more][parameters]` (`more`: the parameters go on in the next response)
/// or its own notice `[0x01][stopped types…]` (ONLINE_MEASUREMENT_STOPPED); data:
/// `[measurement type][u64 LE ns timestamp of the last sample][frame type][content]`, ECG frame
/// type 0 carrying 3-byte signed LE samples in µV.
public enum PolarPMD {
    public static let serviceUUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
    public static let controlPointUUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
    public static let dataUUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

    public static let h10EcgRate = 130
    public static let h10EcgResolution = 14
    public static let h10SamplesPerFrame = 73
    public static let maxAttValue = 512
    static let headerBytes = 10
    static let sampleBytes = 3
    static let controlPointResponse: UInt8 = 0xF0
    static let measurementStopped: UInt8 = 0x01  // PmdControlPointCommandServiceToClient.ONLINE_MEASUREMENT_STOPPED
    static let measurementTypeMask: UInt8 = 0x3F
    static let compressedBit: UInt8 = 0x80
    static let knownFrameTypes: ClosedRange<UInt8> = 0...10
    /// PPG-only frame types of newer SDKs (iOS `PpgData.swift`: compressed 13, raw 14); no ECG layout.
    static let ppgFrameTypes: Set<UInt8> = [13, 14]
    public static let sampleMinUV = -(1 << 23)
    public static let sampleMaxUV = (1 << 23) - 1

    /// Control-point op codes (client to sensor).
    public enum Op: UInt8, Sendable {
        case getMeasurementSettings = 1
        case requestMeasurementStart = 2
        case stopMeasurement = 3
    }

    /// PMD measurement types (`PmdMeasurementType.kt`), with the SDK's names.
    static let measurementNames: [UInt8: String] = [
        0: "ECG", 1: "PPG", 2: "ACC", 3: "PPI", 5: "GYRO", 6: "MAGNETOMETER", 7: "SKIN_TEMP", 9: "SDK_MODE",
        10: "LOCATION", 11: "PRESSURE", 12: "TEMPERATURE", 13: "OFFLINE_RECORDING", 14: "OFFLINE_HR",
        15: "OFFLINE_TEMP",
    ]
    public static let ecgMeasurement: UInt8 = 0

    /// PMD setting types and their value sizes in bytes (`PmdSetting.typeToFieldSize`); SECURITY's
    /// 16-byte values are keys, decoded byte by byte.
    public enum SettingType: UInt8, Sendable, CaseIterable {
        case sampleRate = 0, resolution, range, rangeMilliunit, channels, factor, security
        case derivedMeasurementMethod, sourceMeasurementType, sourceMeasurementSampleRate, sourceMeasurementRange
        case derivedMeasurementTimeWindow, derivedMeasurementSettingsGroupId

        var byteCount: Int {
            switch self {
            case .sampleRate, .resolution, .range, .sourceMeasurementSampleRate: return 2
            case .rangeMilliunit, .factor, .sourceMeasurementRange, .derivedMeasurementTimeWindow: return 4
            case .channels, .derivedMeasurementMethod, .sourceMeasurementType, .derivedMeasurementSettingsGroupId: return 1
            case .security: return 16
            }
        }

        /// The Python enum's name (`SAMPLE_RATE`, …), as messages and golden files write it.
        public var name: String {
            switch self {
            case .sampleRate: return "SAMPLE_RATE"
            case .resolution: return "RESOLUTION"
            case .range: return "RANGE"
            case .rangeMilliunit: return "RANGE_MILLIUNIT"
            case .channels: return "CHANNELS"
            case .factor: return "FACTOR"
            case .security: return "SECURITY"
            case .derivedMeasurementMethod: return "DERIVED_MEASUREMENT_METHOD"
            case .sourceMeasurementType: return "SOURCE_MEASUREMENT_TYPE"
            case .sourceMeasurementSampleRate: return "SOURCE_MEASUREMENT_SAMPLE_RATE"
            case .sourceMeasurementRange: return "SOURCE_MEASUREMENT_RANGE"
            case .derivedMeasurementTimeWindow: return "DERIVED_MEASUREMENT_TIME_WINDOW"
            case .derivedMeasurementSettingsGroupId: return "DERIVED_MEASUREMENT_SETTINGS_GROUP_ID"
            }
        }
    }

    static let responseStatus: [UInt8: String] = [
        0: "success", 1: "invalid op code", 2: "invalid measurement type", 3: "not supported",
        4: "invalid length", 5: "invalid parameter", 6: "already in state", 7: "invalid resolution",
        8: "invalid sample rate", 9: "invalid range", 10: "invalid MTU", 11: "invalid number of channels",
        12: "invalid state", 13: "device in charger", 14: "disk full",
    ]

    static func measurementName(_ value: UInt8) -> String { measurementNames[value] ?? "unknown" }

    /// The SDK's name of a measurement type, else `type N`.
    static func measurementLabel(_ value: UInt8) -> String { measurementNames[value] ?? "type \(value)" }

    /// A settings block, `[type][count][values LE]…`, as an ordered list.
    public typealias Settings = [(type: SettingType, values: [Int])]

    /// `[type][1][value LE]` for each selected setting, in order (numbers only: not SECURITY).
    public static func encodeSettings(_ settings: [(SettingType, Int)]) throws(FrameError) -> [UInt8] {
        var out = [UInt8]()
        for (kind, value) in settings {
            guard kind != .security else {
                throw FrameError(.frame, "PMD setting SECURITY is a 16-byte key, not a number: it cannot be encoded from one")
            }
            let size = kind.byteCount
            guard value >= 0, value < 1 << (8 * size) else {
                throw FrameError(.frame, "PMD setting \(kind.name) value \(value) does not fit \(size) bytes")
            }
            out += [kind.rawValue, 1]
            for k in 0..<size { out.append(UInt8((value >> (8 * k)) & 0xFF)) }
        }
        return out
    }

    /// Parse a settings block (available settings or a start command's selection): unsigned LE values,
    /// SECURITY keys byte by byte; a type the SDK does not list has no known size: `.unknownSettingType`.
    public static func decodeSettings(_ data: [UInt8]) throws(FrameError) -> Settings {
        var out: Settings = []
        var i = 0
        while i < data.count {
            guard i + 2 <= data.count else {
                throw FrameError(.truncated, "PMD settings truncated at byte \(i): a setting needs a type and a count")
            }
            guard let kind = SettingType(rawValue: data[i]) else {
                throw FrameError(.unknownSettingType, "PMD settings: unknown setting type \(data[i]) at byte \(i): its value "
                    + "size is unknown, so the settings after it cannot be read")
            }
            let count = Int(data[i + 1]), size = kind.byteCount
            i += 2
            guard i + count * size <= data.count else {
                throw FrameError(.truncated, "PMD settings truncated: \(kind.name) announces \(count) values of "
                    + "\(size) bytes, \(data.count - i) bytes left")
            }
            let values = kind == .security
                ? data[i..<(i + count * size)].map(Int.init)
                : (0..<count).map { Int(littleEndian(data, i + $0 * size, size)) }
            if let existing = out.firstIndex(where: { $0.type == kind }) {
                out[existing].values = values  // a repeated type replaces the earlier one, like Python's dict
            } else {
                out.append((kind, values))
            }
            i += count * size
        }
        return out
    }

    /// `01 00`: which settings the sensor offers for ECG.
    public static func getSettingsCommand(measurement: UInt8 = ecgMeasurement) -> [UInt8] {
        [Op.getMeasurementSettings.rawValue, measurement]
    }

    /// Start ECG streaming (`02 00 00 01 82 00 01 01 0E 00` at 130 Hz, 14 bit).
    public static func startEcgCommand(rate: Int = h10EcgRate, resolution: Int = h10EcgResolution)
        throws(FrameError) -> [UInt8] {
        [Op.requestMeasurementStart.rawValue, ecgMeasurement]
            + (try encodeSettings([(.sampleRate, rate), (.resolution, resolution)]))
    }

    /// `03 00`: stop streaming ECG.
    public static func stopCommand(measurement: UInt8 = ecgMeasurement) -> [UInt8] {
        [Op.stopMeasurement.rawValue, measurement]
    }

    /// The sensor's answer to a control-point command.
    public struct ControlPointResponse: Sendable, Equatable {
        public let op: UInt8
        public let measurementType: UInt8
        public let status: UInt8
        public let more: Bool
        public let parameters: [UInt8]

        public var ok: Bool { status == 0 }
        public var statusText: String { PolarPMD.responseStatus[status] ?? "unknown status \(status)" }

        /// Throws a `.controlPoint` error naming the op and the error unless the status is success.
        public func checkStatus() throws(StreamError) {
            guard ok else {
                throw StreamError(.controlPoint, "PMD op \(op) (\(PolarPMD.measurementName(measurementType))) "
                    + "failed: error \(status) (\(statusText))")
            }
        }

        /// The parameters parsed as settings.
        public func settings() throws(FrameError) -> Settings { try PolarPMD.decodeSettings(parameters) }
    }

    /// The sensor's own notice that it stopped online measurement(s): a status for the streams named, not an error.
    public struct MeasurementStopped: Sendable, Equatable {
        /// The low 6 bits of each byte after 0x01 (the SDK's `PmdMeasurementType.fromId`).
        public let measurementTypes: [UInt8]

        /// Whether the ECG stream is among the stopped ones.
        public var ecg: Bool { measurementTypes.contains(PolarPMD.ecgMeasurement) }

        /// One line for the screen, naming the stopped measurements.
        public var message: String {
            let named = measurementTypes.map(PolarPMD.measurementLabel).joined(separator: ", ")
            return "the sensor stopped the measurement (\(named.isEmpty ? "no type named" : named))"
        }
    }

    /// What the sensor indicates on the control point.
    public enum ControlPointValue: Sendable, Equatable {
        case response(ControlPointResponse)
        case stopped(MeasurementStopped)
    }

    /// Parse any control-point indication: a response (0xF0) or a measurement-stopped notice (0x01).
    public static func decodeControlPoint(_ data: [UInt8]) throws(FrameError) -> ControlPointValue {
        guard let first = data.first else { throw FrameError(.truncated, "PMD control-point value is empty") }
        if first == controlPointResponse { return .response(try decodeControlPointResponse(data)) }
        guard first == measurementStopped else {
            throw FrameError(.unknownMeasurementType, "PMD control-point byte 0 is \(hexByte(first)): neither a response "
                + "(0xF0) nor a measurement-stopped notice (0x01)")
        }
        guard data.count <= maxAttValue else {
            throw FrameError(.oversized, "PMD measurement-stopped notice of \(data.count) bytes exceeds \(maxAttValue)")
        }
        return .stopped(MeasurementStopped(measurementTypes: data.dropFirst().map { $0 & measurementTypeMask }))
    }

    /// One response from its parts: every part but the last has `more` set, all answer the same op and
    /// measurement type, the parameters are concatenated (`BlePMDClient.sendPmdCommand` appends bytes 5… of each part).
    public static func joinControlPointResponses(_ parts: [[UInt8]]) throws(FrameError) -> ControlPointResponse {
        guard !parts.isEmpty else { throw FrameError(.truncated, "PMD control-point response: no parts to join") }
        var responses: [ControlPointResponse] = []
        for part in parts { responses.append(try decodeControlPointResponse(part)) }
        let first = responses[0], n = responses.count
        for (i, r) in responses.enumerated() {
            let k = i + 1
            guard r.op == first.op, r.measurementType == first.measurementType else {
                throw FrameError(.mismatchedParts, "PMD control-point part \(k) answers op \(r.op) "
                    + "(\(measurementName(r.measurementType))), part 1 op \(first.op) (\(measurementName(first.measurementType)))")
            }
            guard k == 1 || r.ok else {
                throw FrameError(.mismatchedParts, "PMD control-point part \(k) of \(n) has status \(r.status) (\(r.statusText))")
            }
            guard k == n || r.more else {
                throw FrameError(.mismatchedParts, "PMD control-point part \(k) of \(n) says no more parts follow")
            }
        }
        guard !responses[n - 1].more else {
            throw FrameError(.truncated, "PMD control-point response: part \(n) of \(n) says more parts follow")
        }
        return ControlPointResponse(op: first.op, measurementType: first.measurementType, status: first.status, more: false,
                                    parameters: responses.flatMap(\.parameters))
    }

    /// Parse a control-point response (byte 0 = 0xF0; the status is kept, see `ControlPointResponse.checkStatus`).
    public static func decodeControlPointResponse(_ data: [UInt8]) throws(FrameError) -> ControlPointResponse {
        guard data.count <= maxAttValue else {
            throw FrameError(.oversized, "PMD control-point response of \(data.count) bytes exceeds \(maxAttValue)")
        }
        guard data.count >= 4 else {
            throw FrameError(.truncated, "PMD control-point response of \(data.count) bytes, needs at least 4")
        }
        guard data[0] == controlPointResponse else {
            throw FrameError(.unknownMeasurementType,
                             "PMD control-point byte 0 is \(hexByte(data[0])), expected response 0xF0")
        }
        let ok = data[3] == 0
        return ControlPointResponse(op: data[1], measurementType: data[2], status: data[3],
                                    more: ok && data.count > 4 && data[4] != 0,
                                    parameters: ok && data.count > 5 ? Array(data[5...]) : [])
    }

    /// One decoded ECG notification: samples in µV and the timestamp (ns since 2000) of the last one.
    public struct EcgFrame: Sendable, Equatable {
        public let timestampNs: UInt64
        public let samplesUV: [Int32]
    }

    /// Build an ECG data notification (frame type 0) from integer µV samples.
    public static func encodeEcgFrame(samplesUV: [Int], timestampNs: UInt64) throws(FrameError) -> [UInt8] {
        guard !samplesUV.isEmpty else {
            throw FrameError(.frame, "PMD ECG frame needs a non-empty 1-D sample array, got shape (0,)")
        }
        guard headerBytes + sampleBytes * samplesUV.count <= maxAttValue else {
            throw FrameError(.oversized, "PMD ECG frame of \(samplesUV.count) samples exceeds \(maxAttValue) bytes")
        }
        guard samplesUV.allSatisfy({ $0 >= sampleMinUV && $0 <= sampleMaxUV }) else {
            throw FrameError(.frame, "PMD ECG sample outside the 24-bit range [\(sampleMinUV), \(sampleMaxUV)] µV")
        }
        var out: [UInt8] = [ecgMeasurement]
        for k in 0..<8 { out.append(UInt8((timestampNs >> (8 * UInt64(k))) & 0xFF)) }
        out.append(0)
        for v in samplesUV {
            let u = UInt32(bitPattern: Int32(v))
            out += [UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8((u >> 16) & 0xFF)]
        }
        return out
    }

    /// Decode an ECG data notification; any other content throws a `FrameError`.
    public static func decodeEcgFrame(_ data: [UInt8]) throws(FrameError) -> EcgFrame {
        guard data.count <= maxAttValue else {
            throw FrameError(.oversized, "PMD frame of \(data.count) bytes exceeds \(maxAttValue)")
        }
        guard data.count >= headerBytes else {
            throw FrameError(.truncated, "PMD frame of \(data.count) bytes, the header needs \(headerBytes)")
        }
        let mtype = data[0] & measurementTypeMask
        guard mtype == ecgMeasurement else {
            throw FrameError(.unknownMeasurementType,
                             "PMD frame measurement type \(mtype) (\(measurementName(mtype))), expected 0 (ECG)")
        }
        let frameType = data[9]
        if frameType & compressedBit != 0 {
            throw FrameError(.unsupported, "PMD ECG frame type \(hexByte(frameType)) is delta-compressed: "
                + "not supported (the H10 sends raw type 0)")
        }
        guard !ppgFrameTypes.contains(frameType) else {
            throw FrameError(.unsupported, "PMD ECG frame type \(frameType) is one of the SDK's PPG frame types (13, 14), "
                + "with no ECG layout: not supported (the H10 sends raw type 0)")
        }
        guard knownFrameTypes.contains(frameType) else {
            throw FrameError(.unknownFrameType, "PMD ECG frame type \(frameType) is not a published frame type")
        }
        guard frameType == 0 else {
            throw FrameError(.unsupported,
                             "PMD ECG frame type \(frameType) is not supported (the H10 sends raw type 0)")
        }
        let content = data.count - headerBytes
        guard content > 0 else { throw FrameError(.truncated, "PMD ECG frame has a header but no samples") }
        guard content % sampleBytes == 0 else {
            throw FrameError(.truncated, "PMD ECG frame content of \(content) bytes is not whole 3-byte samples")
        }
        var samples = [Int32]()
        samples.reserveCapacity(content / sampleBytes)
        var i = headerBytes
        while i < data.count {
            let raw = Int32(data[i]) | Int32(data[i + 1]) << 8 | Int32(data[i + 2]) << 16
            samples.append(raw >= 1 << 23 ? raw - (1 << 24) : raw)
            i += sampleBytes
        }
        return EcgFrame(timestampNs: littleEndian(data, 1, 8), samplesUV: samples)
    }
}
