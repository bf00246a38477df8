"""Session fixtures for the export tests: a tiny LAMSCN trained on synthetic ECG, saved as a bundle
with its calibration, and the artifacts built from it once per session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from contract.labels import get_task
from contract.preprocessing import WINDOW, preprocess_window
from contract.synthetic import synthetic_ecg
from training.checkpoint import save_bundle

REPO = Path(__file__).resolve().parent.parent
REAL_DATA = REPO.parent / "shared" / "data"
# One thread: tiny models gain nothing from two, and on a shared 2-core machine two threads per
# process fight the other processes' threads (measured: 1.5 s vs 0.04 s per training step).
THREADS_ENV = {"OMP_NUM_THREADS": "1"}
torch.set_num_threads(1)


def synthetic_dataset(leads: int, classes: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed synthetic windows and multi-hot labels that depend on the signal: class 0 AF,
    1 tachycardia, 2 bradycardia, the rest thresholds on heart rate, noise and wander."""
    rng = np.random.default_rng(seed)
    x, y = [], []
    for i in range(n):
        hr, noise, wander, af = rng.uniform(45, 150), rng.uniform(0.005, 0.1), rng.uniform(0, 0.4), rng.random() < 0.3
        sig = synthetic_ecg(100, WINDOW / 100, leads=leads, heart_rate=hr, seed=seed * 10_007 + i, af=af,
                            noise_mv=noise, wander_mv=wander)
        x.append(preprocess_window(sig, 100).window)
        feats = [af, hr > 100, hr < 60] + [(hr + 30 * k) % 105 > 52 if k % 2 else noise > 0.02 * (1 + k % 4)
                                           for k in range(classes - 3)]
        y.append(np.array(feats[:classes], dtype=np.float32))
    return np.stack(x), np.stack(y)


def train_tiny_bundle(path: Path, task_name: str, steps: int = 150, seed: int = 0) -> Path:
    """Train ``tiny_lamscn`` for the task on synthetic labels, save the bundle and its calibration."""
    from export.calibration import write_calibration
    from training.registry import build_model

    task = get_task(task_name)
    kwargs = {"leads": len(task.leads), "num_classes": task.num_classes, "multi_label": task.multi_label}
    torch.manual_seed(seed)
    model = build_model("tiny_lamscn", **kwargs)
    x, y = synthetic_dataset(len(task.leads), task.num_classes, 96, seed)
    if not task.multi_label:
        y = np.eye(task.num_classes, dtype=np.float32)[y.argmax(1)]  # one class per window
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(xt), (16,), generator=gen)
        logits = model(xt[idx])
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, yt[idx]) if task.multi_label
                else torch.nn.functional.cross_entropy(logits, yt[idx].argmax(1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    save_bundle(path, model, "tiny_lamscn", kwargs, task, [0.5] * task.num_classes,
                provenance={"data": "synthetic ECG (contract.synthetic), synthetic labels", "seed": seed,
                            "train_folds": [1]},  # recalibration from a PTB-XL folder reads fold 1
                metrics={"note": "test bundle, not a clinical model"})
    write_calibration(model, xt[:32], path, source="synthetic training windows (test bundle)")
    return path


def run_build(*args: str) -> subprocess.CompletedProcess:
    """``python export/build.py ARGS`` as a user runs it."""
    return subprocess.run([sys.executable, str(REPO / "export" / "build.py"), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env={**os.environ, **THREADS_ENV})


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    """A trained, calibrated 12-lead, 17-class tiny bundle (task ptbxl17)."""
    return train_tiny_bundle(tmp_path_factory.mktemp("bundles") / "tiny_ptbxl17", "ptbxl17")


@pytest.fixture(scope="session")
def built(tiny_bundle, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """``build.py --target all`` on the tiny bundle: (output folder, the finished process)."""
    out = tmp_path_factory.mktemp("dist")
    proc = run_build("--target", "all", "--checkpoint", str(tiny_bundle), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def require_ptbxl() -> Path:
    """The shared PTB-XL folder and its reader, or skip saying which is missing."""
    ptbxl = REAL_DATA / "ptbxl"
    if not (ptbxl / "labels.csv").is_file():
        pytest.skip(f"real PTB-XL data not found at {ptbxl}")
    try:
        import training.datasets  # noqa: F401
    except ImportError:
        pytest.skip("training/datasets.py (the PTB-XL reader) is not in this checkout")
    return ptbxl


@pytest.fixture(scope="session")
def real_validation() -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed PTB-XL fold-9 windows and their 17-class targets: every record, one window each
    (what ``export.parity --folds 9`` measures; a subset made one flipped record of a rare class
    worth a third of the int8 F1 margin)."""
    from training.datasets import examples_for, load_windows

    ptbxl = require_ptbxl()
    task = get_task("ptbxl17")
    val = [ex for ex in examples_for(task, ptbxl) if ex.fold == 9]
    ws = load_windows(val, task, hop_seconds=10.0, progress=False)
    return ws.x, ws.y[ws.record]


@pytest.fixture(scope="session")
def built_real_calibration(tiny_bundle, tmp_path_factory) -> Path:
    """``build.py --target android --calibration-data ../shared/data/ptbxl`` on the tiny bundle."""
    ptbxl = require_ptbxl()
    out = tmp_path_factory.mktemp("dist_real")
    proc = run_build("--target", "android", "--checkpoint", str(tiny_bundle), "--out", str(out),
                     "--calibration-data", str(ptbxl))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "android"


@pytest.fixture(scope="session")
def shipped_android(tmp_path_factory) -> tuple[Path, Path]:
    """The shipped default bundle built for android with its own calibration: (bundle, android folder)."""
    bundle = REPO / "checkpoints" / "lamscn_12lead_ptbxl17"
    if not (bundle / "bundle.json").is_file():
        pytest.skip(f"shipped bundle {bundle} not trained yet")
    out = tmp_path_factory.mktemp("dist_shipped")
    proc = run_build("--target", "android", "--checkpoint", str(bundle), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return bundle, out / "android"
