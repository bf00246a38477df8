"""Parity between an exported artifact and eager PyTorch: the numbers and the targets.

Targets (DESIGN.md): max |Δp| per precision, and for int8 the share of (window, class) decisions
that agree with fp32 and the macro-F1 difference on labelled data.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from training.decision import decide
from training.model import WithProbabilities
from training.preprocessing import WINDOW, preprocess_window
from training.synthetic import synthetic_ecg

MAX_ABS_DIFF = {"fp32": 1e-5, "int8": 0.05, "fp16": 5e-3, "int8-weights": 0.05}
MIN_DECISION_AGREEMENT = 0.98
MAX_MACRO_F1_DROP = 0.01


def synthetic_windows(leads: int, n: int, seed: int = 0) -> np.ndarray:
    """``[n, leads, WINDOW]`` preprocessed synthetic ECG: varied heart rates, noise, some AF."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = synthetic_ecg(100, WINDOW / 100, leads=leads, heart_rate=float(rng.uniform(45, 150)),
                          seed=seed * 100_003 + i, af=bool(i % 3 == 2), noise_mv=float(rng.uniform(0.005, 0.08)),
                          wander_mv=float(rng.uniform(0.0, 0.3)))
        out.append(preprocess_window(x, 100).window)
    return np.stack(out)


def eager_probabilities(model: nn.Module, multi_label: bool, x: np.ndarray) -> np.ndarray:
    """Reference probabilities of the eager fp32 model, one window at a time."""
    wrapped = WithProbabilities(model, multi_label).eval()
    with torch.no_grad():
        return np.concatenate([wrapped(torch.from_numpy(np.ascontiguousarray(w[None]))).numpy() for w in x])


def macro_f1(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean over classes of F1 (0 for a class with no positives and no predictions)."""
    target = target.astype(bool)
    tp = (pred & target).sum(0)
    denom = pred.sum(0) + target.sum(0)
    return float(np.mean(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)))


def compare(reference: np.ndarray, got: np.ndarray, thresholds: list[float], multi_label: bool,
            target: np.ndarray | None = None) -> dict:
    """max |Δp|, decision agreement and (with one-hot/multi-hot ``target``) macro-F1 of both."""
    ref_d, got_d = decide(reference, thresholds, multi_label), decide(got, thresholds, multi_label)
    out = {"windows": int(len(reference)), "max_abs_diff": float(np.abs(reference - got).max()),
           "decision_agreement": float((ref_d == got_d).mean())}
    if target is not None:
        out["macro_f1_reference"] = macro_f1(ref_d, target)
        out["macro_f1_artifact"] = macro_f1(got_d, target)
    return out


def failures(result: dict, precision: str) -> list[str]:
    """What in ``result`` misses the targets for ``precision`` (empty when it passes)."""
    bad = []
    if result["max_abs_diff"] > MAX_ABS_DIFF[precision]:
        bad.append(f"max |dp| {result['max_abs_diff']:.3g} > {MAX_ABS_DIFF[precision]:g}")
    if precision.startswith("int8") and result["decision_agreement"] < MIN_DECISION_AGREEMENT:
        bad.append(f"decision agreement {result['decision_agreement']:.4f} < {MIN_DECISION_AGREEMENT}")
    if "macro_f1_reference" in result and precision.startswith("int8"):
        drop = result["macro_f1_reference"] - result["macro_f1_artifact"]
        if drop > MAX_MACRO_F1_DROP:
            bad.append(f"macro-F1 drop {drop:.4f} > {MAX_MACRO_F1_DROP}")
    return bad
