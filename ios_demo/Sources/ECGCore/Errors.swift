import Foundation

/// A BLE frame (notification or control-point value) that cannot be decoded.
///
/// `kind` names the failure like the Python reference's error classes (`streaming/errors.py`);
/// `message` is one line naming the problem, the same text Python prints.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure classes of `streaming/errors.py`.
    public enum Kind: String, Sendable {
        case frame = "FrameError"
        case truncated = "TruncatedFrame"
        case oversized = "OversizedFrame"
        case unknownMeasurementType = "UnknownMeasurementType"
        case unknownFrameType = "UnknownFrameType"
        case unknownSettingType = "UnknownSettingType"
        case mismatchedParts = "MismatchedParts"
        case unsupported = "UnsupportedFrame"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Everything else the streaming path refuses: bad files or options, a model the device cannot
/// feed, a sensor's error answer, a contract it cannot run. One line each.
public struct StreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of input was refused.
    public enum Kind: String, Sendable {
        case input = "InputError"
        case modelMismatch = "ModelMismatch"
        case controlPoint = "ControlPointError"
        case preprocessing = "PreprocessingError"
        case classifier = "ClassifierError"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// `0x0A`-style upper-case hex of one byte, as Python's `f"0x{b:02X}"`.
func hexByte(_ value: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "0x" + String(digits[Int(value >> 4)]) + String(digits[Int(value & 0x0F)])
}

/// Little-endian unsigned integer of `bytes[offset ..< offset + count]` (the caller checks bounds).
func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for k in stride(from: count - 1, through: 0, by: -1) {
        value = value << 8 | UInt64(bytes[offset + k])
    }
    return value
}
