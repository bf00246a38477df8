"""The preprocessing contract: the single definition of what happens to ECG samples before LAMSCN.

Every step is written so that a streaming app can do exactly the same on one window's buffer,
and every number it needs comes from :func:`contract_numbers` (written into ``manifest.json``):

1. **Anti-alias FIR** (only when the input rate is above the model rate): a symmetric,
   odd-length windowed-sinc low-pass designed for the input rate, applied as a zero-phase
   convolution over the buffer padded at both ends by repeating the edge sample.
2. **Linear-interpolation resampling** to the model rate: output sample ``k`` lies at input
   position ``k * rate / model_rate``, computed exactly in integers (``i = k*rate // model_rate``,
   ``frac = (k*rate % model_rate) / model_rate``); the first ``window`` samples are kept.
3. **Band-pass**: Butterworth second-order sections applied forward-backward exactly like
   ``scipy.signal.sosfiltfilt`` with ``padtype='odd'``: odd extension by ``padlen`` samples,
   ``sosfilt`` with initial state ``zi * first_sample``, reverse, again, reverse, strip the pad.
4. **Standardize** each lead: ``(x - mean) / max(std, std_floor)`` (population std). A lead whose
   std is below ``std_floor`` is flat: a signal-quality failure (see :mod:`contract.quality`).

Steps 1–3 run in float64, the output is float32, samples are in millivolts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

MODEL_RATE = 100
WINDOW_SECONDS = 10
WINDOW = MODEL_RATE * WINDOW_SECONDS
BANDPASS_HZ = (0.5, 40.0)
BANDPASS_ORDER = 4
ANTIALIAS_CUTOFF_HZ = 45.0
ANTIALIAS_TAPS_PER_HZ = 0.2  # taps = 2 * round(0.1 * rate) + 1: a ~16 Hz Hamming transition at every rate
STD_FLOOR = 1e-3  # mV
# Device rates whose anti-alias taps the manifest carries: PTB-XL (100, 500), Polar H10 (130),
# CinC/AliveCor (300), MIT-BIH (360), Movesense (125, 128, 200, 250, 256, 500, 512).
SUPPORTED_RATES = (100, 125, 128, 130, 200, 250, 256, 300, 360, 500, 512)


class PreprocessingError(ValueError):
    """The input cannot be preprocessed (wrong shape, rate, length, or non-finite samples)."""


@dataclass(frozen=True)
class Preprocessed:
    """Every intermediate of one window, as the golden vectors record them."""

    antialiased: np.ndarray  # [leads, n_in] float64 (equal to the input at the model rate)
    resampled: np.ndarray  # [leads, window] float64
    filtered: np.ndarray  # [leads, window] float64
    lead_std: np.ndarray  # [leads] float64, std of `filtered` per lead (before the floor)
    window: np.ndarray  # [leads, window] float32, the model input


@lru_cache(maxsize=None)
def antialias_taps(rate: int) -> np.ndarray:
    """Low-pass FIR taps used before resampling from ``rate`` Hz (empty at the model rate)."""
    check_rate(rate)
    if rate == MODEL_RATE:
        return np.zeros(0)
    numtaps = 2 * round(ANTIALIAS_TAPS_PER_HZ / 2 * rate) + 1
    return signal.firwin(numtaps, ANTIALIAS_CUTOFF_HZ, window="hamming", fs=rate)


@lru_cache(maxsize=None)
def bandpass_sos() -> np.ndarray:
    """Second-order sections of the band-pass at the model rate."""
    return signal.butter(BANDPASS_ORDER, BANDPASS_HZ, btype="bandpass", fs=MODEL_RATE, output="sos")


@lru_cache(maxsize=None)
def bandpass_zi() -> np.ndarray:
    """Steady-state initial conditions of each section for a unit step (``sosfilt_zi``)."""
    return signal.sosfilt_zi(bandpass_sos())


def bandpass_padlen() -> int:
    """The odd-extension length ``sosfiltfilt`` uses for these sections."""
    sos = bandpass_sos()
    ntaps = 2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def check_rate(rate: int) -> None:
    """Raise unless ``rate`` is an integer rate the contract can bring to the model rate."""
    if int(rate) != rate or rate < MODEL_RATE:
        raise PreprocessingError(f"unsupported sample rate {rate} Hz (need an integer rate >= {MODEL_RATE} Hz)")


def input_length(rate: int, window: int = WINDOW) -> int:
    """Samples at ``rate`` Hz that one model window needs."""
    check_rate(rate)
    return math.ceil((window - 1) * rate / MODEL_RATE) + 1


def antialias(x: np.ndarray, rate: int) -> np.ndarray:
    """Step 1: zero-phase FIR low-pass along the last axis, edge-repeating padding."""
    taps = antialias_taps(rate)
    if taps.size == 0:
        return x.astype(np.float64, copy=True)
    half = taps.size // 2
    padded = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="edge")
    return np.apply_along_axis(lambda row: np.convolve(row, taps, mode="valid"), -1, padded)


def resample_linear(x: np.ndarray, rate: int, window: int = WINDOW) -> np.ndarray:
    """Step 2: linear interpolation at ``k * rate / MODEL_RATE`` for ``k < window``."""
    k = np.arange(window, dtype=np.int64)
    i = (k * rate) // MODEL_RATE
    frac = ((k * rate) % MODEL_RATE) / MODEL_RATE
    nxt = np.minimum(i + 1, x.shape[-1] - 1)
    return x[..., i] * (1.0 - frac) + x[..., nxt] * frac


def bandpass(x: np.ndarray) -> np.ndarray:
    """Step 3: forward-backward band-pass of each lead, the explicit form of ``sosfiltfilt(padtype='odd')``."""
    padlen = bandpass_padlen()
    if x.shape[-1] <= padlen:
        raise PreprocessingError(f"window of {x.shape[-1]} samples is too short for the band-pass (needs > {padlen})")
    return np.stack([_bandpass_lead(row) for row in np.atleast_2d(x)]).reshape(x.shape)


def _bandpass_lead(x: np.ndarray) -> np.ndarray:
    sos, zi, padlen = bandpass_sos(), bandpass_zi(), bandpass_padlen()
    ext = np.concatenate([2 * x[0] - x[padlen:0:-1], x, 2 * x[-1] - x[-2:-padlen - 2:-1]])
    fwd, _ = signal.sosfilt(sos, ext, zi=zi * ext[0])
    back, _ = signal.sosfilt(sos, fwd[::-1], zi=zi * fwd[-1])
    return back[::-1][padlen:-padlen]


def standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: per-lead z-score with the std floor; returns (window float32, raw std)."""
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    z = (x - mean) / np.maximum(std, STD_FLOOR)
    return z.astype(np.float32), std[..., 0]


def preprocess_window(samples: np.ndarray, rate: int, window: int = WINDOW) -> Preprocessed:
    """Run the whole contract on one buffer ``[leads, n]`` in mV at ``rate`` Hz.

    ``n`` must be at least :func:`input_length`; extra samples at the end are ignored.
    """
    x = np.asarray(samples)
    if x.ndim != 2:
        raise PreprocessingError(f"expected samples shaped [leads, n], got shape {x.shape}")
    check_rate(rate)
    need = input_length(rate, window)
    if x.shape[1] < need:
        raise PreprocessingError(
            f"too short: {x.shape[1]} samples at {rate} Hz, one {window / MODEL_RATE:g} s window needs {need}")
    x = x[:, :need].astype(np.float64)
    if not np.isfinite(x).all():
        raise PreprocessingError(f"non-finite samples (NaN or inf) in lead(s) "
                                 f"{sorted(set(np.nonzero(~np.isfinite(x))[0].tolist()))}")
    aa = antialias(x, rate)
    res = resample_linear(aa, rate, window)
    filt = bandpass(res)
    win, std = standardize(filt)
    return Preprocessed(antialiased=aa, resampled=res, filtered=filt, lead_std=std, window=win)


def window_starts(n: int, rate: int, hop_seconds: float, window: int = WINDOW) -> list[int]:
    """Start indices (at ``rate`` Hz) of the windows cut from ``n`` samples with the given hop."""
    need = input_length(rate, window)
    hop = max(1, round(hop_seconds * rate))
    return list(range(0, n - need + 1, hop))


def contract_numbers(rates: tuple[int, ...] = SUPPORTED_RATES) -> dict:
    """Every number the apps need, for ``manifest.json`` (no app designs a filter itself)."""
    return {
        "model_rate_hz": MODEL_RATE,
        "window_samples": WINDOW,
        "window_seconds": WINDOW_SECONDS,
        "units": "mV",
        "antialias": {
            "kind": "fir_zero_phase_edge_padded",
            "cutoff_hz": ANTIALIAS_CUTOFF_HZ,
            "taps_by_rate": {str(r): antialias_taps(r).tolist() for r in rates if r != MODEL_RATE},
            "rule": "only at input rates above model_rate_hz (no taps at the model rate: the window is used as "
                    "is). Per window and lead, no state carried between windows: h = (len(taps) - 1) / 2; pad "
                    "the lead's input_samples_by_rate[rate] samples with h copies of its first sample before and "
                    "h of its last after; y[n] = sum over j of taps[j] * padded[n + j] for n < the unpadded length",
        },
        "resample": {
            "kind": "linear", "input_samples_by_rate": {str(r): input_length(r) for r in rates},
            "rule": "a window takes the first input_samples_by_rate[rate] samples; for k in 0..window_samples-1, in "
                    "integers: i = floor(k * rate / model_rate_hz), r = (k * rate) mod model_rate_hz; "
                    "frac = r / model_rate_hz; y[k] = x[i] * (1 - frac) + x[min(i + 1, n - 1)] * frac",
        },
        "bandpass": {
            "kind": "butterworth_sos_forward_backward_odd_pad",
            "order": BANDPASS_ORDER,
            "band_hz": list(BANDPASS_HZ),
            "sos": bandpass_sos().tolist(),
            "zi": bandpass_zi().tolist(),
            "padlen": bandpass_padlen(),
            "rule": "per lead of n samples (scipy sosfiltfilt, padtype odd): ext = [2*x[0] - x[padlen], ..., "
                    "2*x[0] - x[1], x[0..n-1], 2*x[n-1] - x[n-2], ..., 2*x[n-1] - x[n-1-padlen]]; forward pass of "
                    "every section in order (transposed direct form II) starting from state zi[s] * ext[0]; "
                    "reverse; the same pass starting from zi[s] * (first sample of the reversed signal); reverse; "
                    "drop padlen samples at each end",
            "sos_layout": "one row per section: [b0, b1, b2, a0, a1, a2], a0 = 1",
            "zi_layout": "one row per section: [z0, z1], the state for a unit step input",
        },
        "standardize": {
            "kind": "per_lead_zscore_population_std", "std_floor": STD_FLOOR,
            "rule": "per lead: (x - mean) / max(std, std_floor), std the population one (divide by n)",
        },
        "float64": "antialias, resample, bandpass and standardize run in float64; the result is cast to float32 "
                   "once, as the model input",
        "dtype": "float32",
        "layout": "[1, leads, window_samples]",
    }
