"""A patch simulator: the frame stream a device would send for a signal, with transport faults.

Signal faults are applied first, in this order, to the signal in mV at the device rate: a wrong
scale (``gain``, e.g. 1000 for volts read as millivolts), added white noise (``noise_mv``),
flat-line stretches (electrode off: held at 0 mV), saturation (clipped at ``±saturate_mv``). The
signal is then cut into frames of the device's size (the last one may be shorter, so that a
replayed 10 s record fills one window) and encoded with the device's clock; transport faults
follow, decided per frame with one seeded generator: drop (``drop``), send twice (``duplicate``),
swap with the next frame (``reorder``).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import isfinite

import numpy as np

from contract.synthetic import flatline, saturate
from streaming.devices import Device
from streaming.errors import InputError

POLAR_CLOCK_START_NS = 820_454_400 * 1_000_000_000  # 2026-01-01T00:00:00 in ns since 2000-01-01
MOVESENSE_CLOCK_START_MS = 10_000  # ms since the sensor woke up


@dataclass(frozen=True)
class Faults:
    """What goes wrong, as probabilities per frame and signal edits in seconds / mV."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    noise_mv: float = 0.0
    flatlines: tuple[tuple[float, float], ...] = ()
    saturate_mv: float | None = None
    gain: float = 1.0
    clock_error: float = 0.0  # the sensor samples at rate * (1 + clock_error) while its timestamps keep true time
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate", "reorder"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise InputError(f"--{name} {p}: a probability must be in [0, 1]")
        if not (isfinite(self.noise_mv) and self.noise_mv >= 0):
            raise InputError(f"--noise {self.noise_mv}: must be a finite number >= 0 mV")
        if not (isfinite(self.gain) and self.gain > 0):
            raise InputError(f"--gain {self.gain}: must be a finite number > 0")
        if not (isfinite(self.clock_error) and abs(self.clock_error) < 0.5):
            raise InputError(f"--clock-error {self.clock_error}: must be a finite fraction in (-0.5, 0.5)")
        if self.saturate_mv is not None and not (isfinite(self.saturate_mv) and self.saturate_mv > 0):
            raise InputError(f"--saturate {self.saturate_mv}: must be a finite number > 0 mV")
        for start, stop in self.flatlines:
            if not (0 <= start < stop and isfinite(stop)):
                raise InputError(f"--flatline {start}:{stop}: need 0 <= start < stop, finite (seconds)")


def parse_flatline(text: str) -> tuple[float, float]:
    """``S:E`` in seconds."""
    try:
        start, stop = (float(v) for v in text.split(":"))
    except ValueError:
        raise InputError(f"--flatline '{text}': expected START:END in seconds") from None
    return start, stop


def clock_start(device: Device) -> int:
    """The device clock's value at the stream's first sample."""
    return POLAR_CLOCK_START_NS if device.name == "polar-h10" else MOVESENSE_CLOCK_START_MS


def degrade(signal_mv: np.ndarray, rate: int, faults: Faults, rng: np.random.Generator) -> np.ndarray:
    """The signal faults, in the module's order."""
    x = np.asarray(signal_mv, dtype=np.float64)[None, :] * faults.gain
    if faults.noise_mv > 0:
        x = x + rng.normal(0.0, faults.noise_mv, size=x.shape)
    for start, stop in faults.flatlines:
        x = flatline(x, round(start * rate), round(stop * rate))
    if faults.saturate_mv is not None:
        x = saturate(x, faults.saturate_mv)
    return x[0]


def simulate(device: Device, signal_mv: np.ndarray, faults: Faults = Faults()) -> list[bytes]:
    """Frames in the order the app would receive them."""
    rng = np.random.default_rng(faults.seed)
    x = degrade(signal_mv, device.rate, faults, rng)
    n = device.samples_per_frame
    true_rate = device.rate * (1 + faults.clock_error)
    frames = [device.encode(x[i:i + n], i, clock_start(device), true_rate)  # the last may be short
              for i in range(0, x.size, n)]
    if not frames:
        raise InputError(f"signal of {x.size} samples is empty")
    sent: list[bytes] = []
    for frame in frames:
        if rng.random() < faults.drop:
            continue
        sent.append(frame)
        if rng.random() < faults.duplicate:
            sent.append(frame)
    i = 0
    while i < len(sent) - 1:  # a swapped pair is not swapped again: frames move one place at most
        if rng.random() < faults.reorder:
            sent[i], sent[i + 1] = sent[i + 1], sent[i]
            i += 1
        i += 1
    return sent
