"""Golden vectors of the preprocessing contract, for the Kotlin and Swift cores.

``python -m contract.golden [--out golden]`` writes ``preprocessing/``: one JSON file per input rate the
manifest lists (``SUPPORTED_RATES``: 100, 125, 128, 130, 200, 250, 256, 300, 360, 500, 512 Hz) from
synthetic ECG the project makes itself. Each file holds the contract's numbers and cases with the
input and every intermediate; ports must match every value to 1e-4 absolute. It also writes
``golden/quality/quality_heart_rate.json``: raw leads on both sides of every quality bound, with the
gate's numbers and reasons and the heart-rate detector's peaks.
The committed files are regenerated and compared in the tests, so they cannot drift.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from contract.heart_rate import heart_rate_bpm, heart_rate_numbers, r_peaks
from contract.preprocessing import MODEL_RATE, STD_FLOOR, SUPPORTED_RATES, contract_numbers, input_length, preprocess_window
from contract.quality import assess_quality, min_segment_ptp, quality_numbers
from contract.synthetic import synthetic_ecg

SCHEMA = "lamscn-golden-preprocessing/1"
TOLERANCE = 1e-4
GOLDEN_RATES = SUPPORTED_RATES
GOLDEN_ROOT = Path(__file__).resolve().parent.parent / "golden"
DEFAULT_OUT = GOLDEN_ROOT / "preprocessing"
QUALITY_FILE = Path("quality") / "quality_heart_rate.json"
QUALITY_SCHEMA = "lamscn-golden-quality/1"
QUALITY_RATE = 250


def _round(a: np.ndarray, digits: int = 9) -> list:
    return np.vectorize(lambda v: float(f"{v:.{digits}g}"), otypes=[float])(a).tolist()


def cases_for_rate(rate: int) -> list[dict]:
    """Cases at ``rate``: two leads (clean; mains hum + wander + AF-like rhythm) and one flat lead."""
    n = input_length(rate)
    clean = synthetic_ecg(rate, n / rate, leads=1, heart_rate=72, seed=rate)
    noisy = synthetic_ecg(rate, n / rate, leads=1, heart_rate=110, seed=rate + 1, af=True,
                          noise_mv=0.03, wander_mv=0.4, mains_mv=0.1 if rate > 100 else 0.0)
    flat = np.full((1, n), 0.25)
    out = []
    for name, x in (("two_leads_clean_and_noisy", np.concatenate([clean, noisy])), ("flat_lead", flat)):
        x = np.round(x, 5)  # the inputs are exactly what the JSON says
        pre = preprocess_window(x, rate)
        out.append({
            "name": name,
            "leads": int(x.shape[0]),
            "input": _round(x),
            "antialiased": _round(pre.antialiased),
            "resampled": _round(pre.resampled),
            "filtered": _round(pre.filtered),
            "lead_std": _round(pre.lead_std),
            "window": _round(pre.window.astype(np.float64)),
        })
    return out


def golden_document(rate: int) -> dict:
    """The whole golden file for one input rate."""
    numbers = contract_numbers(rates=(rate,))
    return {
        "schema": SCHEMA,
        "rate_hz": rate,
        "tolerance": TOLERANCE,
        "tolerance_kind": "absolute, every value of every intermediate",
        "contract": numbers,
        "cases": cases_for_rate(rate),
    }


def quality_leads() -> dict[str, np.ndarray]:
    """One-lead raw windows (mV, :data:`QUALITY_RATE` Hz) on both sides of every quality bound."""
    n = input_length(QUALITY_RATE)
    ecg = synthetic_ecg(QUALITY_RATE, n / QUALITY_RATE, leads=1, heart_rate=72, seed=1)[0]
    noise = np.random.default_rng(0).normal(0.0, 1.0, n)
    ptp = min_segment_ptp(np.round(ecg, 5), QUALITY_RATE)
    peak = float(np.abs(ecg).max())
    clipped = {}
    for k in (20, 30):  # 0.8 % and 1.2 % of the samples at the maximum (bound: 1 %)
        x = ecg.copy()
        x[np.argsort(x)[-k:]] = x.max()
        clipped[k] = x
    t = np.arange(n) / QUALITY_RATE
    spike = np.exp(-0.5 * ((t - 5.0) / 0.02) ** 2)  # one QRS-like spike: a single R peak, no heart rate
    nan = ecg.copy()
    nan[500] = np.nan
    return {
        "clean": ecg,
        "ptp_above_flat_bound": ecg * 0.031 / ptp, "ptp_below_flat_bound": ecg * 0.029 / ptp,
        "ramp_std_below_floor": np.linspace(0.0, 0.8, n),  # 0.08 mV per second, filtered std 0.00055 mV
        "constant": np.full(n, 0.3), "white_noise_below_std_floor": 1e-4 * noise,
        "clipped_0_8pct": clipped[20], "clipped_1_2pct": clipped[30],
        "peak_19_99mv": ecg * 19.99 / peak, "peak_20_01mv": ecg * 20.01 / peak,
        "noise_ratio_0_99": ecg + 0.25 * noise, "noise_ratio_1_03": ecg + 0.30 * noise,
        "one_spike": spike, "non_finite": nan,
    }


def quality_document() -> dict:
    """Quality-gate numbers and reasons, R peaks and heart rate of every :func:`quality_leads` case."""
    cases = []
    for name, lead in quality_leads().items():
        x = np.round(lead, 5)[None, :]
        finite = bool(np.isfinite(x).all())
        pre = preprocess_window(x, QUALITY_RATE) if finite else None
        q = assess_quality(x, QUALITY_RATE, pre)
        lq = q.leads[0]
        judged = finite and lq.std_mv >= STD_FLOOR  # a flat lead's noise ratio and peaks are rounding residue
        peaks = r_peaks(pre.filtered[0], MODEL_RATE) if judged else None
        bpm = heart_rate_bpm(pre.filtered[0], MODEL_RATE) if judged else None
        cases.append({
            "name": name,
            "input": [None if not np.isfinite(v) else v for v in _round(x[0])],
            "reasons": list(q.reasons),
            "min_segment_ptp_mv": lq.min_segment_ptp_mv, "max_abs_mv": lq.max_abs_mv, "std_mv": lq.std_mv,
            "saturated_fraction": lq.saturated_fraction, "noise_ratio": lq.noise_ratio if judged else None,
            "r_peaks": peaks, "heart_rate_bpm": bpm,
        })
    return {
        "schema": QUALITY_SCHEMA, "rate_hz": QUALITY_RATE, "tolerance": TOLERANCE,
        "tolerance_kind": "absolute on every number; reasons, r_peaks and null exactly",
        "notes": "input null = NaN (non_finite: no other number is computed); noise_ratio and r_peaks null = not "
                 "compared (std below the floor: rounding residue); r_peaks / heart_rate_bpm are those of the "
                 "filtered lead at the model rate; heart_rate_bpm null with fewer than two peaks",
        "quality": quality_numbers(), "heart_rate": heart_rate_numbers(), "cases": cases,
    }


def write_golden(root: Path = GOLDEN_ROOT) -> list[Path]:
    """Write every rate's file into ``root/preprocessing`` and the quality file into ``root/quality``."""
    out = root / DEFAULT_OUT.name
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for rate in GOLDEN_RATES:
        p = out / f"preprocessing_{rate}hz.json"
        p.write_text(json.dumps(golden_document(rate), separators=(",", ":")) + "\n")
        paths.append(p)
    quality = root / QUALITY_FILE
    quality.parent.mkdir(parents=True, exist_ok=True)
    quality.write_text(json.dumps(quality_document(), separators=(",", ":")) + "\n")
    return [*paths, quality]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m contract.golden", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=GOLDEN_ROOT, help="golden folder (preprocessing/ and quality/ inside)")
    args = p.parse_args(argv)
    for path in write_golden(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
