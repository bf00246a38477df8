"""One hierarchy of typed errors for the streaming path; every message is one line naming the problem."""
from __future__ import annotations


class StreamError(ValueError):
    """Base of every error the streaming reference raises on bad input."""


class FrameError(StreamError):
    """A BLE frame (notification or control-point value) cannot be decoded."""


class TruncatedFrame(FrameError):
    """Fewer bytes than the layout needs."""


class OversizedFrame(FrameError):
    """More bytes than the layout or the BLE ATT payload allows."""


class UnknownMeasurementType(FrameError):
    """A measurement or response type byte this codec does not know (or is not ECG)."""


class UnknownFrameType(FrameError):
    """A frame type byte outside the published layouts."""


class UnknownSettingType(FrameError):
    """A PMD setting type whose value size is not published, so its settings block cannot be read on."""


class MismatchedParts(FrameError):
    """The parts of a multi-part value do not make one value (another op, a missing or extra part)."""


class UnsupportedFrame(FrameError):
    """A published frame variant this reference deliberately does not decode (e.g. delta-compressed)."""


class ControlPointError(StreamError):
    """The sensor answered a control-point command with an error code."""


class InputError(StreamError):
    """A file, record or option given to the CLI is missing or malformed."""


class ModelMismatch(StreamError):
    """The model cannot run on this device's signal (leads, task)."""
