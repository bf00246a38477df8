"""Re-tune a bundle's thresholds: ``python -m training.retune --checkpoint DIR --data DIR``.

On the validation records the bundle recorded (its PTB-XL fold, or its seeded CinC 2017 split),
with the current tuning rule of :mod:`training.thresholds` / :mod:`training.metrics`: rewrites the
thresholds and metrics in ``bundle.json``, the validation report in ``metrics.json`` and the
plots. The weights, and with them the int8 calibration, are left as they are.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contract.arguments import OneLineParser
from training import report
from training.checkpoint import CheckpointError, label_entries, load_bundle, write_metadata
from training.evaluate import validation_probabilities
from training.train import bundle_metrics, tune_and_report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m training.retune", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True, help="bundle folder to re-tune (rewritten in place)")
    p.add_argument("--data", type=Path, required=True, help="the dataset folder the bundle was trained on")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bundle = load_bundle(args.checkpoint)
        task = bundle.task
        ws, prob = validation_probabilities(bundle, args.data, progress=not args.no_progress)
    except (CheckpointError, ValueError) as e:  # DatasetError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    thresholds, rep = tune_and_report(task, ws.y, prob)
    before = [lab["threshold"] for lab in bundle.meta["labels"]]
    write_metadata(bundle.path, {**bundle.meta, "labels": label_entries(task, thresholds.tolist()),
                                 "metrics": bundle_metrics(rep)})
    history = []
    metrics_file = bundle.path / "metrics.json"
    if metrics_file.is_file():
        doc = json.loads(metrics_file.read_text())
        history = doc.get("history", [])
        metrics_file.write_text(json.dumps({**doc, "validation": rep}, indent=2) + "\n")
    report.write_plots(bundle.path / "plots", task, ws.y, prob, thresholds, rep, history)
    print(report.format_table(task, rep))
    print(f"thresholds {' '.join(f'{c}:{a:g}->{b:g}' for c, a, b in zip(task.codes, before, thresholds))}")
    print(report.summary_line(task, rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
