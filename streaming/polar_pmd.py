"""Polar Measurement Data (PMD) codec for the Polar H10 ECG stream: bytes in, typed values out.

Layouts follow Polar's public BLE SDK (github.com/polarofficial/polar-ble-sdk, Android sources
``sources/Android/android-communications/library/src/main/java/com/polar/androidcommunications/
api/ble/model/gatt/client/pmd/``: ``BlePMDClient.kt``, ``PmdControlPointCommand.kt``,
``PmdControlPointResponse.kt``, ``PmdSetting.kt``, ``PmdDataFrame.kt``, ``PmdMeasurementType.kt``,
``model/EcgData.kt``):

- Control point (``FB005C81-…``, write + indicate). Commands: ``[op][measurement type][settings]``
  with op 1 = get measurement settings, 2 = start, 3 = stop. Settings are
  ``[setting type][count][count values LE] …``, each type with a fixed value size
  (:data:`SETTING_BYTES`); sample rate (type 0) and resolution (type 1) are u16.
  Start ECG at 130 Hz, 14 bit: ``02 00 00 01 82 00 01 01 0E 00``; stop: ``03 00``.
- What the sensor indicates on the control point (:func:`decode_control_point`): a response
  ``[0xF0][op][measurement type][status][more][parameters…]`` (status 0 is success, 1–14 the
  SDK's error codes, :data:`RESPONSE_STATUS`), or, byte 0 = 0x01, its own notice that it stopped
  online measurement(s), ``[0x01][measurement type]…`` (``PmdControlPointCommandServiceToClient.
  ONLINE_MEASUREMENT_STOPPED``; ``BlePMDClient.processPmdCpCommand`` closes those streams). A
  response with ``more`` set continues in further responses: the SDK (``BlePMDClient.
  sendPmdCommand``) appends the parameters from byte 5 of each part (:func:`join_control_point_responses`).
- Data (``FB005C82-…``, notify): ``[measurement type][u64 LE timestamp][frame type][content]``.
  The timestamp is nanoseconds since 2000-01-01T00:00:00 of the *last* sample. The measurement
  type is the low 6 bits of byte 0 (the SDK masks with 0x3F). Frame type bit 7 marks a
  delta-compressed frame; ECG frame type 0 (what the H10 sends) carries 3-byte signed LE samples
  in microvolts.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from contract.devices import (  # noqa: F401 (the codec's public constants)
    H10_ECG_RATE,
    H10_ECG_RESOLUTION,
    H10_SAMPLES_PER_FRAME,
    POLAR_CONTROL_POINT_UUID,
    POLAR_DATA_UUID,
    POLAR_SERVICE_UUID,
)
from streaming.errors import (ControlPointError, FrameError, MismatchedParts, OversizedFrame, TruncatedFrame,
                              UnknownFrameType, UnknownMeasurementType, UnknownSettingType, UnsupportedFrame)

SERVICE_UUID = POLAR_SERVICE_UUID
CONTROL_POINT_UUID = POLAR_CONTROL_POINT_UUID
DATA_UUID = POLAR_DATA_UUID
MAX_ATT_VALUE = 512  # the largest attribute value BLE allows (Core spec, ATT)
HEADER_BYTES = 10
SAMPLE_BYTES = 3
CONTROL_POINT_RESPONSE = 0xF0
MEASUREMENT_STOPPED = 0x01  # PmdControlPointCommandServiceToClient.ONLINE_MEASUREMENT_STOPPED
MEASUREMENT_TYPE_MASK = 0x3F
COMPRESSED_BIT = 0x80
FRAME_TYPE_MASK = 0x7F
ECG_RAW_FRAME_TYPE = 0
KNOWN_FRAME_TYPES = range(0, 11)  # TYPE_0 … TYPE_10 in PmdDataFrame.kt
# Frame types 13 and 14 exist in newer SDKs for PPG only (iOS PpgData.swift: compressed type 13,
# raw type 14; Polar 360, SDK issues #768, #789); none of the SDK versions read for #12 has an ECG
# layout for them (EcgData.kt decodes raw types 0-3, EcgData.swift raw type 0).
PPG_FRAME_TYPES = (13, 14)
SAMPLE_MIN_UV, SAMPLE_MAX_UV = -(1 << 23), (1 << 23) - 1


class Op(IntEnum):
    """Control-point op codes (client to sensor)."""

    GET_MEASUREMENT_SETTINGS = 1
    REQUEST_MEASUREMENT_START = 2
    STOP_MEASUREMENT = 3


class MeasurementType(IntEnum):
    """PMD measurement types (``PmdMeasurementType.kt``)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_RECORDING = 13
    OFFLINE_HR = 14
    OFFLINE_TEMP = 15


class SettingType(IntEnum):
    """PMD setting types (``PmdSetting.PmdSettingType``) with their value sizes in :data:`SETTING_BYTES`.

    SECURITY values are 16-byte keys, not numbers: :func:`decode_settings` lists them byte by byte.
    Types 7–12 are the SDK's derived-measurement settings (1 byte per method ID for type 7).
    """

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6
    DERIVED_MEASUREMENT_METHOD = 7
    SOURCE_MEASUREMENT_TYPE = 8
    SOURCE_MEASUREMENT_SAMPLE_RATE = 9
    SOURCE_MEASUREMENT_RANGE = 10
    DERIVED_MEASUREMENT_TIME_WINDOW = 11
    DERIVED_MEASUREMENT_SETTINGS_GROUP_ID = 12


# PmdSetting.typeToFieldSize (Android); the iOS PmdSetting.swift has the same sizes but no entry
# for SECURITY, so it swallows the rest of the block there: the Android size (16) is used here.
SETTING_BYTES = {SettingType.SAMPLE_RATE: 2, SettingType.RESOLUTION: 2, SettingType.RANGE: 2,
                 SettingType.RANGE_MILLIUNIT: 4, SettingType.CHANNELS: 1, SettingType.FACTOR: 4,
                 SettingType.SECURITY: 16, SettingType.DERIVED_MEASUREMENT_METHOD: 1,
                 SettingType.SOURCE_MEASUREMENT_TYPE: 1, SettingType.SOURCE_MEASUREMENT_SAMPLE_RATE: 2,
                 SettingType.SOURCE_MEASUREMENT_RANGE: 4, SettingType.DERIVED_MEASUREMENT_TIME_WINDOW: 4,
                 SettingType.DERIVED_MEASUREMENT_SETTINGS_GROUP_ID: 1}

RESPONSE_STATUS = {
    0: "success", 1: "invalid op code", 2: "invalid measurement type", 3: "not supported",
    4: "invalid length", 5: "invalid parameter", 6: "already in state", 7: "invalid resolution",
    8: "invalid sample rate", 9: "invalid range", 10: "invalid MTU", 11: "invalid number of channels",
    12: "invalid state", 13: "device in charger", 14: "disk full",
}


def _measurement_name(value: int) -> str:
    try:
        return MeasurementType(value).name
    except ValueError:
        return "unknown"


def _measurement_label(value: int) -> str:
    """The SDK's name of a measurement type, else ``type N``."""
    name = _measurement_name(value)
    return f"type {value}" if name == "unknown" else name


def encode_settings(settings: dict[SettingType, int]) -> bytes:
    """``[type][1][value LE]`` for each selected setting, in the given order (numbers only: not SECURITY)."""
    out = bytearray()
    for kind, value in settings.items():
        if kind == SettingType.SECURITY:
            raise FrameError("PMD setting SECURITY is a 16-byte key, not a number: it cannot be encoded from one")
        size = SETTING_BYTES[SettingType(kind)]
        if not 0 <= value < 1 << (8 * size):
            raise FrameError(f"PMD setting {SettingType(kind).name} value {value} does not fit {size} bytes")
        out += bytes([kind, 1]) + int(value).to_bytes(size, "little")
    return bytes(out)


def decode_settings(data: bytes) -> dict[SettingType, list[int]]:
    """Parse a settings block (available settings or a start command's selection): unsigned LE values,
    SECURITY keys byte by byte. A type the SDK does not list has no known value size, so the block
    cannot be read past it: :class:`UnknownSettingType`."""
    out: dict[SettingType, list[int]] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise TruncatedFrame(f"PMD settings truncated at byte {i}: a setting needs a type and a count")
        try:
            kind = SettingType(data[i])
        except ValueError:
            raise UnknownSettingType(f"PMD settings: unknown setting type {data[i]} at byte {i}: its value size "
                                     f"is unknown, so the settings after it cannot be read") from None
        count, size = data[i + 1], SETTING_BYTES[kind]
        i += 2
        if i + count * size > len(data):
            raise TruncatedFrame(f"PMD settings truncated: {kind.name} announces {count} values of {size} bytes, "
                                 f"{len(data) - i} bytes left")
        if kind == SettingType.SECURITY:
            out[kind] = list(data[i:i + count * size])
        else:
            out[kind] = [int.from_bytes(data[i + k * size:i + (k + 1) * size], "little") for k in range(count)]
        i += count * size
    return out


def get_settings_command(measurement: MeasurementType = MeasurementType.ECG) -> bytes:
    """Ask which settings the sensor offers for ``measurement`` (``01 00`` for ECG)."""
    return bytes([Op.GET_MEASUREMENT_SETTINGS, measurement])


def start_ecg_command(rate: int = H10_ECG_RATE, resolution: int = H10_ECG_RESOLUTION) -> bytes:
    """Start ECG streaming (``02 00 00 01 82 00 01 01 0E 00`` at 130 Hz, 14 bit)."""
    return bytes([Op.REQUEST_MEASUREMENT_START, MeasurementType.ECG]) + encode_settings(
        {SettingType.SAMPLE_RATE: rate, SettingType.RESOLUTION: resolution})


def stop_command(measurement: MeasurementType = MeasurementType.ECG) -> bytes:
    """Stop streaming ``measurement`` (``03 00`` for ECG)."""
    return bytes([Op.STOP_MEASUREMENT, measurement])


@dataclass(frozen=True)
class ControlPointResponse:
    """The sensor's answer to a control-point command."""

    op: int
    measurement_type: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def status_text(self) -> str:
        return RESPONSE_STATUS.get(self.status, f"unknown status {self.status}")

    def raise_for_status(self) -> None:
        """Raise :class:`ControlPointError` naming the op and the error unless the status is success."""
        if not self.ok:
            raise ControlPointError(f"PMD op {self.op} ({_measurement_name(self.measurement_type)}) failed: "
                                    f"error {self.status} ({self.status_text})")

    def settings(self) -> dict[SettingType, list[int]]:
        """The parameters parsed as settings (the answer to get-settings or start)."""
        return decode_settings(self.parameters)


def encode_control_point_response(op: int, measurement_type: int, status: int = 0, more: bool = False,
                                  parameters: bytes = b"") -> bytes:
    """What a sensor indicates on the control point; the simulator and tests build answers with it."""
    return bytes([CONTROL_POINT_RESPONSE, op, measurement_type, status, int(more)]) + parameters


@dataclass(frozen=True)
class MeasurementStopped:
    """The sensor's own notice that it stopped online measurement(s) (control-point byte 0 = 0x01):
    a status that ends the streams named, not an error."""

    measurement_types: tuple[int, ...]  # low 6 bits of each byte after 0x01 (the SDK's PmdMeasurementType.fromId)

    @property
    def ecg(self) -> bool:
        """Whether the ECG stream is among the stopped ones."""
        return MeasurementType.ECG in self.measurement_types

    @property
    def message(self) -> str:
        """One line for the screen, naming the stopped measurements."""
        named = ", ".join(_measurement_label(t) for t in self.measurement_types) or "no type named"
        return f"the sensor stopped the measurement ({named})"


def decode_control_point(data: bytes) -> ControlPointResponse | MeasurementStopped:
    """Parse any control-point indication: a response (0xF0) or a measurement-stopped notice (0x01)."""
    data = bytes(data)
    if not data:
        raise TruncatedFrame("PMD control-point value is empty")
    if data[0] == CONTROL_POINT_RESPONSE:
        return decode_control_point_response(data)
    if data[0] != MEASUREMENT_STOPPED:
        raise UnknownMeasurementType(f"PMD control-point byte 0 is 0x{data[0]:02X}: neither a response (0xF0) "
                                     f"nor a measurement-stopped notice (0x01)")
    if len(data) > MAX_ATT_VALUE:
        raise OversizedFrame(f"PMD measurement-stopped notice of {len(data)} bytes exceeds {MAX_ATT_VALUE}")
    return MeasurementStopped(measurement_types=tuple(b & MEASUREMENT_TYPE_MASK for b in data[1:]))


def join_control_point_responses(parts: list[bytes]) -> ControlPointResponse:
    """One response from its parts: every part but the last has ``more`` set, all answer the same op
    and measurement type, and the parameters are concatenated in order (``BlePMDClient.sendPmdCommand``
    appends bytes 5… of each part; newer iOS ``BlePmdClient.sendControlPointCommand`` does the same)."""
    if not parts:
        raise TruncatedFrame("PMD control-point response: no parts to join")
    responses = [decode_control_point_response(p) for p in parts]
    first, n = responses[0], len(responses)
    for k, r in enumerate(responses, start=1):
        if (r.op, r.measurement_type) != (first.op, first.measurement_type):
            raise MismatchedParts(f"PMD control-point part {k} answers op {r.op} ({_measurement_name(r.measurement_type)}), "
                                  f"part 1 op {first.op} ({_measurement_name(first.measurement_type)})")
        if k > 1 and not r.ok:
            raise MismatchedParts(f"PMD control-point part {k} of {n} has status {r.status} ({r.status_text})")
        if k < n and not r.more:
            raise MismatchedParts(f"PMD control-point part {k} of {n} says no more parts follow")
    if responses[-1].more:
        raise TruncatedFrame(f"PMD control-point response: part {n} of {n} says more parts follow")
    return ControlPointResponse(op=first.op, measurement_type=first.measurement_type, status=first.status, more=False,
                                parameters=b"".join(r.parameters for r in responses))


def decode_control_point_response(data: bytes) -> ControlPointResponse:
    """Parse a control-point response (byte 0 = 0xF0); the status is kept (see
    :meth:`ControlPointResponse.raise_for_status`). :func:`decode_control_point` also reads the notices."""
    data = bytes(data)
    if len(data) > MAX_ATT_VALUE:
        raise OversizedFrame(f"PMD control-point response of {len(data)} bytes exceeds {MAX_ATT_VALUE}")
    if len(data) < 4:
        raise TruncatedFrame(f"PMD control-point response of {len(data)} bytes, needs at least 4")
    if data[0] != CONTROL_POINT_RESPONSE:
        raise UnknownMeasurementType(f"PMD control-point byte 0 is 0x{data[0]:02X}, expected response 0xF0")
    status = data[3]
    ok = status == 0
    return ControlPointResponse(op=data[1], measurement_type=data[2], status=status,
                                more=ok and len(data) > 4 and data[4] != 0,
                                parameters=data[5:] if ok else b"")


@dataclass(frozen=True)
class EcgFrame:
    """One decoded ECG notification: samples in µV and the timestamp (ns since 2000) of the last one."""

    timestamp_ns: int
    samples_uv: np.ndarray  # int32 [n]


def encode_ecg_frame(samples_uv: np.ndarray, timestamp_ns: int) -> bytes:
    """Build an ECG data notification (frame type 0) from integer µV samples."""
    s = np.asarray(samples_uv)
    if s.ndim != 1 or s.size == 0:
        raise FrameError(f"PMD ECG frame needs a non-empty 1-D sample array, got shape {s.shape}")
    if HEADER_BYTES + SAMPLE_BYTES * s.size > MAX_ATT_VALUE:
        raise OversizedFrame(f"PMD ECG frame of {s.size} samples exceeds {MAX_ATT_VALUE} bytes")
    if not 0 <= timestamp_ns < 1 << 64:
        raise FrameError(f"PMD timestamp {timestamp_ns} does not fit u64")
    if s.min() < SAMPLE_MIN_UV or s.max() > SAMPLE_MAX_UV:
        raise FrameError(f"PMD ECG sample outside the 24-bit range [{SAMPLE_MIN_UV}, {SAMPLE_MAX_UV}] µV")
    out = bytearray([MeasurementType.ECG]) + int(timestamp_ns).to_bytes(8, "little") + bytes([ECG_RAW_FRAME_TYPE])
    for v in s.astype(np.int64):
        out += int(v).to_bytes(SAMPLE_BYTES, "little", signed=True)
    return bytes(out)


def decode_ecg_frame(data: bytes) -> EcgFrame:
    """Decode an ECG data notification; any other content raises a :class:`FrameError` subclass."""
    data = bytes(data)
    if len(data) > MAX_ATT_VALUE:
        raise OversizedFrame(f"PMD frame of {len(data)} bytes exceeds {MAX_ATT_VALUE}")
    if len(data) < HEADER_BYTES:
        raise TruncatedFrame(f"PMD frame of {len(data)} bytes, the header needs {HEADER_BYTES}")
    mtype = data[0] & MEASUREMENT_TYPE_MASK
    if mtype != MeasurementType.ECG:
        raise UnknownMeasurementType(f"PMD frame measurement type {mtype} ({_measurement_name(mtype)}), expected 0 (ECG)")
    frame_type = data[9]
    if frame_type & COMPRESSED_BIT:
        raise UnsupportedFrame(f"PMD ECG frame type 0x{frame_type:02X} is delta-compressed: not supported "
                               f"(the H10 sends raw type 0)")
    if frame_type in PPG_FRAME_TYPES:
        raise UnsupportedFrame(f"PMD ECG frame type {frame_type} is one of the SDK's PPG frame types (13, 14), with no "
                               f"ECG layout: not supported (the H10 sends raw type 0)")
    if frame_type not in KNOWN_FRAME_TYPES:
        raise UnknownFrameType(f"PMD ECG frame type {frame_type} is not a published frame type")
    if frame_type != ECG_RAW_FRAME_TYPE:
        raise UnsupportedFrame(f"PMD ECG frame type {frame_type} is not supported (the H10 sends raw type 0)")
    content = data[HEADER_BYTES:]
    if not content:
        raise TruncatedFrame("PMD ECG frame has a header but no samples")
    if len(content) % SAMPLE_BYTES:
        raise TruncatedFrame(f"PMD ECG frame content of {len(content)} bytes is not whole 3-byte samples")
    raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, SAMPLE_BYTES).astype(np.int32)
    values = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    values = np.where(values >= 1 << 23, values - (1 << 24), values).astype(np.int32)
    return EcgFrame(timestamp_ns=int.from_bytes(data[1:9], "little"), samples_uv=values)
