"""Synthetic datasets in the real layouts, written by the tests themselves (no real data copied)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import wfdb

from contract.labels import PTBXL_LEADS
from contract.synthetic import synthetic_ecg

# (rhythm list, synthetic-signal settings): classes a tiny model can learn from synthetic ECG
_KINDS = (
    ("['SR']", {"heart_rate": 70}),
    ("['AFIB']", {"heart_rate": 95, "af": True}),
    ("['STACH']", {"heart_rate": 125}),
    ("['SBRAD']", {"heart_rate": 45}),
)


def write_record(folder: Path, name: str, x: np.ndarray, rate: int, leads: tuple[str, ...], fmt: str = "16") -> Path:
    """Write ``x`` ``[leads, n]`` (mV) as a WFDB record; returns its path without extension."""
    folder.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(name, fs=rate, units=["mV"] * len(leads), sig_name=list(leads), p_signal=x.T,
                fmt=[fmt] * len(leads), adc_gain=[1000.0] * len(leads), baseline=[0] * len(leads),
                write_dir=str(folder))
    return folder / name


def write_ptbxl(root: Path, per_fold: int = 12, folds: tuple[int, ...] = (1, 2, 9), seed: int = 0) -> Path:
    """A PTB-XL folder in the shared layout (labels.csv + records100) with learnable rhythm classes."""
    rng = np.random.default_rng(seed)
    rows = ["ecg_id,patient_id,strat_fold,super_class,sub_class,form,rhythm,record,record_500hz"]
    ecg_id = 0
    for fold in folds:
        for i in range(per_fold):
            ecg_id += 1
            rhythm, kw = _KINDS[i % len(_KINDS)]
            x = synthetic_ecg(100, 10, leads=12, seed=int(rng.integers(1 << 30)), **kw)
            rel = f"records100/00000/{ecg_id:05d}_lr"
            write_record(root / "records100" / "00000", f"{ecg_id:05d}_lr", x, 100, PTBXL_LEADS)
            rows.append(f"{ecg_id},{ecg_id}.0,{fold},['NORM'],['NORM'],,\"{rhythm}\",{rel},")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def write_cinc(root: Path, per_class: int = 6, seed: int = 0) -> Path:
    """A CinC 2017 folder (training/REFERENCE.csv + 300 Hz records) with N / A / O / ~ examples."""
    rng = np.random.default_rng(seed)
    folder = root / "training"
    lines = []
    for i in range(per_class * 4):
        label = "NAO~"[i % 4]
        s = int(rng.integers(1 << 30))
        if label == "N":
            x = synthetic_ecg(300, 20, seed=s, heart_rate=70)
        elif label == "A":
            x = synthetic_ecg(300, 20, seed=s, heart_rate=100, af=True)
        elif label == "O":
            x = synthetic_ecg(300, 20, seed=s, heart_rate=130)
        else:
            x = rng.normal(0, 0.5, (1, 6000)).cumsum(axis=1) * 0.05
        name = f"S{i:05d}"
        write_record(folder, name, x, 300, ("ECG",))
        lines.append(f"{name},{label}")
    (folder / "REFERENCE.csv").write_text("\n".join(lines) + "\n")
    return root
