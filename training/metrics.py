"""Classification metrics: AUROC, curves, F1 at thresholds, summaries (tuning: :mod:`training.thresholds`)."""
from __future__ import annotations

import numpy as np


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties averaged); NaN when only one class is present."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):  # average ranks of ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def roc_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates over descending thresholds."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-score, kind="mergesort")
    tp = np.concatenate([[0], np.cumsum(y[order])])
    fp = np.concatenate([[0], np.cumsum(~y[order])])
    return fp / max(fp[-1], 1), tp / max(tp[-1], 1)


def pr_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision over descending thresholds."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-score, kind="mergesort")
    tp = np.cumsum(y[order])
    k = np.arange(1, len(y) + 1)
    return tp / max(int(y.sum()), 1), tp / k


def prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall, F1 of binary predictions (0 where undefined)."""
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    tp = int((y & pred).sum())
    fp = int((~y & pred).sum())
    fn = int((y & ~pred).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def multilabel_report(y: np.ndarray, prob: np.ndarray, thresholds: np.ndarray, codes: list[str]) -> dict:
    """Per-class positives, precision, recall, F1, AUROC and the macro/micro summary.

    A class without positives in ``y`` (an external set) has precision, recall, F1 and AUROC ``None``
    (n/a, not 0): the macro means cover the classes with positives, ``macro_classes`` says how many
    and ``classes_without_positives`` which are left out."""
    pred = prob >= np.asarray(thresholds)[None, :]
    per_class = []
    for c, code in enumerate(codes):
        positives = int(y[:, c].sum())
        p, r, f = prf(y[:, c], pred[:, c]) if positives else (None, None, None)
        a = auroc(y[:, c], prob[:, c])
        per_class.append({"code": code, "positives": positives, "precision": p, "recall": r, "f1": f,
                          "auroc": None if np.isnan(a) else a, "threshold": float(thresholds[c])})
    present = [pc for pc in per_class if pc["positives"] > 0]
    aucs = [pc["auroc"] for pc in present if pc["auroc"] is not None]
    return {
        "n": int(len(y)),
        "macro_f1": float(np.mean([pc["f1"] for pc in present])) if present else float("nan"),
        "micro_f1": prf(y.ravel(), pred.ravel())[2],
        "macro_auroc": float(np.mean(aucs)) if aucs else float("nan"),
        "macro_classes": len(present),
        "classes_without_positives": [pc["code"] for pc in per_class if pc["positives"] == 0],
        "per_class": per_class,
    }


def singlelabel_report(y: np.ndarray, prob: np.ndarray, codes: list[str], pred: np.ndarray | None = None) -> dict:
    """Per-class F1 of the decisions ``pred`` (default: arg-max); ``f1_nao`` (CinC 2017 score) when
    the codes are N/A/O/~."""
    pred = prob.argmax(axis=1) if pred is None else np.asarray(pred)
    per_class = []
    for c, code in enumerate(codes):
        p, r, f = prf(y == c, pred == c)
        per_class.append({"code": code, "positives": int((y == c).sum()), "precision": p, "recall": r, "f1": f,
                          "auroc": auroc(y == c, prob[:, c])})
    out = {"n": int(len(y)), "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
           "per_class": per_class, "confusion": confusion(y, pred, len(codes)).tolist()}
    f1 = {pc["code"]: pc["f1"] for pc in per_class}
    if {"N", "A", "O", "~"} <= set(f1):
        out["f1_nao"] = _f1_nao(f1)
        out["f1_noisy"] = f1["~"]
        out["noisy_gate"] = noisy_gate(y, pred, codes.index("~"))
    return out


def single_label_score(y: np.ndarray, pred: np.ndarray, codes: list[str]) -> float:
    """The single-label model-selection score of decisions ``pred``: ``f1_nao`` for the CinC 2017
    codes (N/A/O/~), else the macro F1 over all classes."""
    f1 = {code: prf(y == c, pred == c)[2] for c, code in enumerate(codes)}
    if {"N", "A", "O", "~"} <= set(f1):
        return _f1_nao(f1)
    return float(np.mean(list(f1.values())))


def _f1_nao(f1: dict[str, float]) -> float:
    """CinC 2017's official score from per-class F1s: the mean of Normal, AF and Other rhythm."""
    return float(np.mean([f1["N"], f1["A"], f1["O"]]))


def noisy_gate(y: np.ndarray, pred: np.ndarray, noisy: int) -> dict:
    """The "too noisy" class as a quality gate: how many noisy recordings it rejects, and how many
    usable ones (any other class) it wrongly rejects."""
    is_noisy, rejected = y == noisy, pred == noisy
    return {"noisy": int(is_noisy.sum()), "noisy_rejected": int((is_noisy & rejected).sum()),
            "usable": int((~is_noisy).sum()), "usable_rejected": int((~is_noisy & rejected).sum())}


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """``k x k`` confusion matrix, rows true, columns predicted."""
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m
