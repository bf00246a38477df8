"""Movesense GATT SensorData protocol (GSP) codec for the ECG stream: bytes in, typed values out.

Layouts follow Movesense's public ``gatt_sensordata_app`` sample (movesense-device-lib,
``samples/gatt_sensordata_app/GATTSensorDataClient.cpp``, and its Python client
``gatt_sensordata_client.py``) and the ``/Meas/ECG`` API (``movesense-api/meas/ecg.yaml``):

- Service ``34802252-7185-4d5d-b431-630e7050e8f0``; command characteristic ``34800001-…``
  (write), data characteristic ``34800002-…`` (notify).
- Command: ``[command][client reference, not 0][data]``; HELLO = 0, SUBSCRIBE = 1 (data = the
  resource path as ASCII, e.g. ``/Meas/ECG/250``), UNSUBSCRIBE = 2 (no data, the reference given
  at subscribe).
- Notification: ``[response type][client reference][payload]``; COMMAND_RESULT = 1 (payload a
  2-byte big-endian HTTP status, or text for HELLO), DATA = 2 (payload the SBEM-serialised
  resource). For ``/Meas/ECG/<rate>`` the payload is a u32 LE timestamp in milliseconds (local
  clock, of the *first* sample) then int32 LE samples (16 per notification with the sample's
  default buffering). Newer firmware of the sample (``GATTSensorDataClient.cpp`` with FETCH_LOG,
  e.g. alexisduque/movesense-device-lib at c9c1226) adds DATA_PART2 = 3 and DATA_PART3 = 4: "in
  case the subscription data is larger than fits in the single BLE packet", the payload goes on in
  the next notifications (clients append their bytes 2… to the DATA payload). An ECG notification
  is sent whole as DATA; a part 2/3 reaching this decoder is refused by name (:class:`UnsupportedFrame`).
- ECG rates: 125, 128, 200, 250, 256, 500, 512 Hz. One sample LSB is 1/20/2^17 V (0.381 µV), as
  stated by the Movesense team (stackoverflow.com/q/68001451); verify on the firmware you ship.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from contract.devices import (
    MOVESENSE_COMMAND_UUID,
    MOVESENSE_DATA_UUID,
    MOVESENSE_DEFAULT_ECG_RATE,
    MOVESENSE_ECG_PATH,
    MOVESENSE_ECG_RATES,
    MOVESENSE_REFERENCE,
    MOVESENSE_SAMPLES_PER_NOTIFICATION,
    MOVESENSE_SERVICE_UUID,
    MOVESENSE_UV_PER_LSB,
)
from streaming.errors import FrameError, OversizedFrame, TruncatedFrame, UnknownMeasurementType, UnsupportedFrame

SERVICE_UUID = MOVESENSE_SERVICE_UUID
COMMAND_UUID = MOVESENSE_COMMAND_UUID
DATA_UUID = MOVESENSE_DATA_UUID

ECG_RATES = MOVESENSE_ECG_RATES
DEFAULT_ECG_RATE = MOVESENSE_DEFAULT_ECG_RATE
ECG_SAMPLES_PER_NOTIFICATION = MOVESENSE_SAMPLES_PER_NOTIFICATION
UV_PER_LSB = MOVESENSE_UV_PER_LSB
DEFAULT_REFERENCE = MOVESENSE_REFERENCE
MAX_ATT_VALUE = 512
HEADER_BYTES = 2
TIMESTAMP_BYTES = 4
SAMPLE_BYTES = 4


class Command(IntEnum):
    """GSP command codes (client to sensor)."""

    HELLO = 0
    SUBSCRIBE = 1
    UNSUBSCRIBE = 2


class Response(IntEnum):
    """GSP notification types (sensor to client)."""

    COMMAND_RESULT = 1
    DATA = 2
    DATA_PART2 = 3
    DATA_PART3 = 4


def _check_reference(reference: int) -> None:
    if not 1 <= reference <= 255:
        raise FrameError(f"GSP client reference {reference} must be 1..255")


def ecg_path(rate: int = DEFAULT_ECG_RATE) -> str:
    """The resource to subscribe for ECG at ``rate`` Hz."""
    if rate not in ECG_RATES:
        raise FrameError(f"Movesense ECG rate {rate} Hz is not one of {', '.join(map(str, ECG_RATES))}")
    return MOVESENSE_ECG_PATH.format(rate=rate)


def hello_command(reference: int = DEFAULT_REFERENCE) -> bytes:
    """``00 <ref>``: the sensor answers COMMAND_RESULT ``Hello``."""
    _check_reference(reference)
    return bytes([Command.HELLO, reference])


def subscribe_command(path: str, reference: int = DEFAULT_REFERENCE) -> bytes:
    """``01 <ref> <path ASCII>``."""
    _check_reference(reference)
    return bytes([Command.SUBSCRIBE, reference]) + path.encode("ascii")


def subscribe_ecg_command(rate: int = DEFAULT_ECG_RATE, reference: int = DEFAULT_REFERENCE) -> bytes:
    """Subscribe ``/Meas/ECG/<rate>`` (e.g. ``01 63 2F 4D 65 61 73 2F 45 43 47 2F 32 35 30``)."""
    return subscribe_command(ecg_path(rate), reference)


def unsubscribe_command(reference: int = DEFAULT_REFERENCE) -> bytes:
    """``02 <ref>``."""
    _check_reference(reference)
    return bytes([Command.UNSUBSCRIBE, reference])


@dataclass(frozen=True)
class CommandResult:
    """A COMMAND_RESULT notification: the HTTP-like status when the payload is two bytes."""

    reference: int
    status: int | None
    payload: bytes


@dataclass(frozen=True)
class EcgNotification:
    """One decoded ECG DATA notification: raw int32 samples and the ms timestamp of the first."""

    reference: int
    timestamp_ms: int
    samples: np.ndarray  # int32 [n], units of UV_PER_LSB

    @property
    def samples_uv(self) -> np.ndarray:
        return self.samples.astype(np.float64) * UV_PER_LSB


def encode_command_result(reference: int, status: int) -> bytes:
    """COMMAND_RESULT with a 2-byte big-endian status (as the sample app sends 507 = ``01 FB``)."""
    return bytes([Response.COMMAND_RESULT, reference]) + int(status).to_bytes(2, "big")


def decode_command_result(data: bytes) -> CommandResult:
    """Parse a COMMAND_RESULT notification."""
    data = _checked(data)
    if data[0] != Response.COMMAND_RESULT:
        raise UnknownMeasurementType(f"GSP notification type {data[0]} is not COMMAND_RESULT (1)")
    payload = data[HEADER_BYTES:]
    status = int.from_bytes(payload, "big") if len(payload) == 2 else None
    return CommandResult(reference=data[1], status=status, payload=payload)


def encode_ecg_notification(samples: np.ndarray, timestamp_ms: int, reference: int = DEFAULT_REFERENCE) -> bytes:
    """DATA notification of ``/Meas/ECG``: raw int32 samples (LSB units) after a u32 ms timestamp."""
    s = np.asarray(samples)
    if s.ndim != 1 or s.size == 0:
        raise FrameError(f"GSP ECG notification needs a non-empty 1-D sample array, got shape {s.shape}")
    if HEADER_BYTES + TIMESTAMP_BYTES + SAMPLE_BYTES * s.size > MAX_ATT_VALUE:
        raise OversizedFrame(f"GSP ECG notification of {s.size} samples exceeds {MAX_ATT_VALUE} bytes")
    if s.min() < -(1 << 31) or s.max() >= 1 << 31:
        raise FrameError("GSP ECG sample outside int32")
    _check_reference(reference)
    return (bytes([Response.DATA, reference]) + (int(timestamp_ms) & 0xFFFFFFFF).to_bytes(4, "little")
            + s.astype("<i4").tobytes())


def decode_ecg_notification(data: bytes) -> EcgNotification:
    """Decode a DATA notification carrying ``/Meas/ECG`` samples."""
    data = _checked(data)
    if data[0] in (Response.DATA_PART2, Response.DATA_PART3):
        raise UnsupportedFrame(f"GSP notification type {data[0]} ({Response(data[0]).name}) continues a DATA notification "
                               f"split across BLE packets: not supported (an ECG notification comes whole as DATA)")
    if data[0] != Response.DATA:
        raise UnknownMeasurementType(f"GSP notification type {data[0]} is not DATA (2)")
    body = data[HEADER_BYTES:]
    if len(body) < TIMESTAMP_BYTES + SAMPLE_BYTES:
        raise TruncatedFrame(f"GSP ECG notification body of {len(body)} bytes, needs a timestamp and a sample")
    if (len(body) - TIMESTAMP_BYTES) % SAMPLE_BYTES:
        raise TruncatedFrame(f"GSP ECG notification body of {len(body)} bytes is not a timestamp plus whole "
                             f"4-byte samples")
    return EcgNotification(reference=data[1], timestamp_ms=int.from_bytes(body[:4], "little"),
                           samples=np.frombuffer(body[4:], dtype="<i4").astype(np.int32))


def _checked(data: bytes) -> bytes:
    data = bytes(data)
    if len(data) > MAX_ATT_VALUE:
        raise OversizedFrame(f"GSP notification of {len(data)} bytes exceeds {MAX_ATT_VALUE}")
    if len(data) < HEADER_BYTES:
        raise TruncatedFrame(f"GSP notification of {len(data)} bytes, needs a type and a reference")
    return data
