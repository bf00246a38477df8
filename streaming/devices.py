"""The BLE ECG sources the apps support, behind one interface: frames <-> samples in mV with times.

A :class:`Device` turns one notification into a :class:`DecodedFrame` (samples in millivolts and
the time of its first sample on the sensor's clock, in seconds) and back. Everything after this
module (sequencing, windowing, the model) is the same for every device.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streaming import movesense, polar_pmd
from streaming.errors import InputError

NS_PER_S = 1_000_000_000
MS_PER_S = 1_000


@dataclass(frozen=True)
class DecodedFrame:
    """Samples of one notification, the device's own timestamp field, and its first sample's time."""

    samples_mv: np.ndarray  # float64 [n]
    timestamp: int  # the raw timestamp field (Polar: ns of the last sample; Movesense: ms of the first)
    first_sample_s: float  # sensor clock, seconds


@dataclass(frozen=True)
class Device:
    """A supported sensor at one sample rate."""

    name: str
    label: str
    rate: int
    samples_per_frame: int
    leads: int = 1

    def decode(self, data: bytes) -> DecodedFrame:
        """Decode one data notification (raises a :class:`streaming.errors.FrameError` subclass)."""
        if self.name == "polar-h10":
            f = polar_pmd.decode_ecg_frame(data)
            return DecodedFrame(samples_mv=f.samples_uv / 1000.0, timestamp=f.timestamp_ns,
                                first_sample_s=f.timestamp_ns / NS_PER_S - (f.samples_uv.size - 1) / self.rate)
        m = movesense.decode_ecg_notification(data)
        return DecodedFrame(samples_mv=m.samples_uv / 1000.0, timestamp=m.timestamp_ms,
                            first_sample_s=m.timestamp_ms / MS_PER_S)

    def encode(self, samples_mv: np.ndarray, first_index: int, clock_start: int,
               true_rate: float | None = None) -> bytes:
        """The notification carrying ``samples_mv`` whose first sample is sample ``first_index`` of a
        stream that started at ``clock_start`` (the device clock's units: Polar ns, Movesense ms);
        ``true_rate``: the rate the sensor really samples at (a drifting clock), default nominal."""
        x = np.asarray(samples_mv, dtype=np.float64)
        rate = self.rate if true_rate is None else true_rate
        if self.name == "polar-h10":
            last = first_index + x.size - 1
            ts = clock_start + round(last * NS_PER_S / rate)
            return polar_pmd.encode_ecg_frame(np.round(x * 1000.0).astype(np.int64), ts)
        ts = clock_start + round(first_index * MS_PER_S / rate)
        return movesense.encode_ecg_notification(np.round(x * 1000.0 / movesense.UV_PER_LSB).astype(np.int64), ts)

    def quantize(self, samples_mv: np.ndarray) -> np.ndarray:
        """What ``samples_mv`` become after a trip through this device's frames."""
        x = np.asarray(samples_mv, dtype=np.float64)
        if self.name == "polar-h10":
            return np.round(x * 1000.0) / 1000.0
        return np.round(x * 1000.0 / movesense.UV_PER_LSB) * movesense.UV_PER_LSB / 1000.0

    def start_commands(self) -> list[bytes]:
        """What an app writes to start the ECG stream."""
        if self.name == "polar-h10":
            return [polar_pmd.get_settings_command(), polar_pmd.start_ecg_command(self.rate)]
        return [movesense.hello_command(), movesense.subscribe_ecg_command(self.rate)]

    def stop_commands(self) -> list[bytes]:
        """What an app writes to stop the ECG stream."""
        if self.name == "polar-h10":
            return [polar_pmd.stop_command()]
        return [movesense.unsubscribe_command()]


DEVICE_NAMES = ("polar-h10", "movesense")


def get_device(name: str, rate: int | None = None) -> Device:
    """The device called ``name``; Movesense takes any of its ECG rates (default 250 Hz)."""
    if name == "polar-h10":
        if rate not in (None, polar_pmd.H10_ECG_RATE):
            raise InputError(f"Polar H10 streams ECG at {polar_pmd.H10_ECG_RATE} Hz only, not {rate} Hz")
        return Device("polar-h10", "Polar H10", polar_pmd.H10_ECG_RATE, polar_pmd.H10_SAMPLES_PER_FRAME)
    if name == "movesense":
        rate = movesense.DEFAULT_ECG_RATE if rate is None else rate
        if rate not in movesense.ECG_RATES:
            raise InputError(f"Movesense ECG rate {rate} Hz is not one of {', '.join(map(str, movesense.ECG_RATES))}")
        return Device("movesense", "Movesense", rate, movesense.ECG_SAMPLES_PER_NOTIFICATION)
    raise InputError(f"unknown device '{name}' (known: {', '.join(DEVICE_NAMES)})")
