package lamscn.core

/** Base of every error the core raises on bad input; the message is one line naming the problem. */
open class StreamError(message: String) : Exception(message)

/** A BLE frame (notification or control-point value) cannot be decoded. */
open class FrameError(message: String) : StreamError(message)

/** Fewer bytes than the layout needs. */
class TruncatedFrame(message: String) : FrameError(message)

/** More bytes than the layout or the BLE ATT payload allows. */
class OversizedFrame(message: String) : FrameError(message)

/** A measurement or response type byte this codec does not know (or is not ECG). */
class UnknownMeasurementType(message: String) : FrameError(message)

/** A frame type byte outside the published layouts. */
class UnknownFrameType(message: String) : FrameError(message)

/** A PMD setting type whose value size is not published, so its settings block cannot be read on. */
class UnknownSettingType(message: String) : FrameError(message)

/** The parts of a multi-part value do not make one value (another op, a missing or extra part). */
class MismatchedParts(message: String) : FrameError(message)

/** A published frame variant this core deliberately does not decode (e.g. delta-compressed). */
class UnsupportedFrame(message: String) : FrameError(message)

/** The sensor answered a control-point command with an error code. */
class ControlPointError(message: String) : StreamError(message)

/** A file, record or option given to the runner is missing or malformed. */
class InputError(message: String) : StreamError(message)

/** The model cannot run on this device's signal (leads, task). */
class ModelMismatch(message: String) : StreamError(message)

/** A manifest is invalid, of an unknown schema version, or does not match its artifacts. */
class ManifestError(message: String) : StreamError(message)

/** Model-I/O cases (`model_io.json`) are unreadable, of another schema, or do not belong to the manifest. */
class ModelIoError(message: String) : StreamError(message)

/** The input cannot be preprocessed (wrong rate, length, or non-finite samples). */
class PreprocessingError(message: String) : StreamError(message)
