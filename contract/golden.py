"""Golden vectors of the preprocessing contract, for the Kotlin and Swift cores.

``python -m contract.golden [--out golden/preprocessing]`` writes one JSON file per input rate the
manifest lists (``SUPPORTED_RATES``: 100, 125, 128, 130, 200, 250, 256, 300, 360, 500, 512 Hz) from
synthetic ECG the project makes itself. Each file holds the contract's numbers and cases with the
input and every intermediate; ports must match every value to 1e-4 absolute.
The committed files are regenerated and compared in the tests, so they cannot drift.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from contract.preprocessing import SUPPORTED_RATES, contract_numbers, input_length, preprocess_window
from contract.synthetic import synthetic_ecg

SCHEMA = "lamscn-golden-preprocessing/1"
TOLERANCE = 1e-4
GOLDEN_RATES = SUPPORTED_RATES
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "golden" / "preprocessing"


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


def write_golden(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write every rate's file into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for rate in GOLDEN_RATES:
        p = out / f"preprocessing_{rate}hz.json"
        p.write_text(json.dumps(golden_document(rate), separators=(",", ":")) + "\n")
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m contract.golden", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = p.parse_args(argv)
    for path in write_golden(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
