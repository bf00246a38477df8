"""Split-half check of the multi-label threshold rules: ``python -m training.threshold_check
--checkpoint DIR --data DIR [--splits 50]``.

On the bundle's validation records (PTB-XL fold 9 for the shipped 12-lead bundle), each split cuts
the records in two random halves; thresholds tuned on one half are scored on the other, both ways.
For each rule it prints the macro-F1 on the tuning half, on the other half, and the loss between
them (mean ± std over all splits and directions), and the other half's F1 minus the peak rule's on
the same split (mean ± its standard error): the rule that generalizes loses less and scores more on
the half it did not see. ``plateau ±k`` is :func:`training.thresholds.tune_multi_label`
with ``smooth_points=k``; ``peak`` (k = 0) is the rule before issue 16.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from contract.arguments import OneLineParser
from training.checkpoint import CheckpointError, load_bundle
from training.evaluate import validation_probabilities
from training.metrics import prf
from training.thresholds import GRID, tune_multi_label

RULES = (0, 2, 3, 5, 8)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m training.threshold_check", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True, help="a multi-label bundle folder")
    p.add_argument("--data", type=Path, required=True, help="the dataset folder the bundle was trained on")
    p.add_argument("--splits", type=int, default=50, help="random half/half splits (each scored both ways)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def macro_f1(y: np.ndarray, prob: np.ndarray, thresholds: np.ndarray) -> float:
    """Macro-F1 over the classes with positives (as :func:`training.metrics.multilabel_report`)."""
    present = [c for c in range(y.shape[1]) if y[:, c].any()]
    return float(np.mean([prf(y[:, c], prob[:, c] >= thresholds[c])[2] for c in present]))


def split_half(y: np.ndarray, prob: np.ndarray, smooth_points: int, splits: int, seed: int) -> np.ndarray:
    """``(2·splits, 2)`` macro-F1 on the tuning half and on the other half, per split and direction."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(splits):
        order = rng.permutation(len(y))
        halves = order[: len(y) // 2], order[len(y) // 2:]
        for a, b in (halves, halves[::-1]):
            th = tune_multi_label(y[a], prob[a], smooth_points)
            out.append([macro_f1(y[a], prob[a], th), macro_f1(y[b], prob[b], th)])
    return np.array(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bundle = load_bundle(args.checkpoint)
        task = bundle.task
        if not task.multi_label:
            raise ValueError(f"{args.checkpoint}: task {task.name} is single-label; this checks the multi-label rule")
        ws, prob = validation_probabilities(bundle, args.data, progress=not args.no_progress)
    except (CheckpointError, ValueError) as e:  # DatasetError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    y = ws.y
    print(f"{len(y)} validation records, {args.splits} splits x 2 directions")
    print(f"{'rule':<12} {'tuning half':>14} {'other half':>16} {'other - peak':>18} {'loss':>16} "
          f"{'full-set F1':>12} {'at grid edge':>13}")
    peak_other = None
    for k in RULES:
        r = split_half(y, prob, k, args.splits, args.seed)  # same seed: the same splits for every rule
        loss = r[:, 0] - r[:, 1]
        peak_other = r[:, 1] if peak_other is None else peak_other
        gain = r[:, 1] - peak_other  # paired: same split, same direction
        sem = gain.std(ddof=1) / np.sqrt(len(gain)) if k else 0.0
        th = tune_multi_label(y, prob, k)
        edge = int(np.sum((th <= GRID[0] + 0.02) | (th >= GRID[-1] - 0.02)))
        full = macro_f1(y, prob, th)
        name = "peak" if k == 0 else f"plateau ±{k}"
        print(f"{name:<12} {r[:, 0].mean():>14.4f} {r[:, 1].mean():>9.4f} ±{r[:, 1].std():.4f} "
              f"{gain.mean():>+10.4f} ±{sem:.4f} {loss.mean():>9.4f} ±{loss.std():.4f} {full:>12.4f} {edge:>13d}")
        print(f"{'':<12} thresholds {' '.join(f'{c}:{t:g}' for c, t in zip(task.codes, th))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
