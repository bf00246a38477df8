"""Synthetic ECG made by the project's own code, for golden vectors, tests and the simulator.

Each beat is a sum of Gaussian waves (P, Q, R, S, T) on an RR series; leads are scaled and
mixed projections of the same heart. Options add baseline wander, mains hum, white noise,
irregular (AF-like) RR intervals, flat-line and saturation. Deterministic for a given seed.
"""
from __future__ import annotations

import numpy as np

# (centre in fraction of RR after the R peak reference, width s, amplitude mV) of P, Q, R, S, T
_WAVES = ((-0.20, 0.025, 0.12), (-0.03, 0.010, -0.10), (0.0, 0.012, 1.0), (0.03, 0.010, -0.25), (0.28, 0.045, 0.30))


def synthetic_ecg(rate: float, seconds: float, leads: int = 1, heart_rate: float = 70.0, seed: int = 0,
                  af: bool = False, noise_mv: float = 0.01, wander_mv: float = 0.1, mains_mv: float = 0.0,
                  mains_hz: float = 50.0) -> np.ndarray:
    """``[leads, round(rate*seconds)]`` float64 samples in mV."""
    rng = np.random.default_rng(seed)
    n = int(round(rate * seconds))
    t = np.arange(n) / rate
    rr_mean = 60.0 / heart_rate
    beats, when = [], -rng.uniform(0, rr_mean)
    while when < seconds + 1.0:
        rr = rr_mean * (rng.uniform(0.6, 1.4) if af else rng.normal(1.0, 0.03))
        beats.append((when, rr))
        when += rr
    gains = rng.uniform(0.3, 1.2, size=leads) * rng.choice([-1.0, 1.0], size=leads, p=[0.2, 0.8])
    gains[0] = abs(gains[0])
    base = np.zeros(n)
    for r_time, rr in beats:
        for i, (centre, width, amp) in enumerate(_WAVES):
            if af and i == 0:
                continue  # no P waves in AF
            c = r_time + centre * min(rr, 1.2) if i in (0, 4) else r_time + centre
            base += amp * np.exp(-0.5 * ((t - c) / width) ** 2)
    if af:
        base += 0.05 * np.sin(2 * np.pi * 6.0 * t + rng.uniform(0, 2 * np.pi))  # fibrillatory waves
    out = np.empty((leads, n))
    for lead in range(leads):
        x = gains[lead] * base
        x = x + wander_mv * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 2 * np.pi))
        x = x + mains_mv * np.sin(2 * np.pi * mains_hz * t)
        x = x + rng.normal(0.0, noise_mv, size=n)
        out[lead] = x
    return out


def flatline(x: np.ndarray, start: int, stop: int, value: float = 0.0) -> np.ndarray:
    """Copy of ``x`` with samples ``start:stop`` of every lead held at ``value`` (electrode off)."""
    y = x.copy()
    y[..., start:stop] = value
    return y


def saturate(x: np.ndarray, limit_mv: float) -> np.ndarray:
    """Copy of ``x`` clipped at ``±limit_mv`` (amplifier saturation)."""
    return np.clip(x, -limit_mv, limit_mv)
