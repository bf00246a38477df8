"""Evaluate a model on a dataset folder: ``python -m training.evaluate --checkpoint PATH --data DIR``.

(``python -m export.evaluate --model X.pte`` evaluates an exported program the same way.)

Prints the per-class table and ends with one summary line:
``macro_f1=… micro_f1=… macro_auroc=… [macro_classes=K] n=…`` (ptbxl17, at the checkpoint's thresholds) or
``f1_nao=… f1_noisy=… n=…`` (cinc2017). Any folder in a supported layout is evaluated as a whole
unless ``--folds`` picks some of its PTB-XL folds, or ``--split validation`` the validation records
the model was tuned on (its PTB-XL fold, or its seeded CinC 2017 split of the same folder).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from contract.arguments import OneLineParser, fold_list, positive_float
from contract.decision import decide
from contract.labels import Task
from contract.output_files import atomic_text_file, check_writable_file
from training import datasets, metrics, report
from training.checkpoint import CheckpointError, load_bundle
from training.inference import predict, record_probabilities

Model = tuple[Task, np.ndarray, Callable[[np.ndarray], np.ndarray], dict]


def parser(prog: str, description: str) -> OneLineParser:
    """The options every evaluation shares (the caller adds where the model comes from)."""
    p = OneLineParser(prog=prog, description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="dataset folder (PTB-XL in either layout, or CinC 2017)")
    p.add_argument("--folds", type=fold_list, default=None,
                   help="comma-separated PTB-XL folds to evaluate (default: all present)")
    p.add_argument("--split", choices=("all", "validation"), default="all",
                   help="all records, or only the validation split recorded with the model")
    p.add_argument("--hop-seconds", type=positive_float, default=5.0, help="hop between windows of longer records")
    p.add_argument("--json", type=Path, default=None, help="also write the full report as JSON here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("python -m training.evaluate", __doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint bundle folder (eager PyTorch)")
    return p.parse_args(argv)


def load_checkpoint(path: Path) -> Model:
    """Task, thresholds, a windows -> probabilities function and the training provenance of a bundle."""
    bundle = load_bundle(path)
    return (bundle.task, np.array(bundle.thresholds), lambda x: predict(bundle.model, x, bundle.task.multi_label),
            bundle.meta.get("provenance", {}))


def validation_examples(task: Task, examples: list[datasets.Example], provenance: dict) -> list[datasets.Example]:
    """The validation records recorded in ``provenance``: PTB-XL's fold, or CinC 2017's seeded
    stratified split (the same records only when ``examples`` is the folder it was trained on)."""
    if task.multi_label:
        if provenance.get("val_fold") is None:
            raise ValueError("the model records no validation fold")
        return [e for e in examples if e.fold == provenance["val_fold"]]
    recorded = provenance.get("val_split")
    if not recorded:
        raise ValueError("the model records no validation split")
    return datasets.stratified_split(examples, task.num_classes, recorded["fraction"], recorded["seed"])[1]


def validation_probabilities(bundle, data: Path, progress: bool = True) -> tuple[datasets.WindowSet, np.ndarray]:
    """The bundle's validation records in ``data`` (:func:`validation_examples`), cut at the hop it was
    trained with, and their record probabilities; ``ValueError`` when none of them is usable."""
    val = validation_examples(bundle.task, datasets.examples_for(bundle.task, data), bundle.meta.get("provenance", {}))
    hop = bundle.meta.get("training", {}).get("args", {}).get("hop_seconds", 5.0)
    ws = datasets.load_windows(val, bundle.task, hop, cache_dir=None, progress=progress)
    if len(ws.x) == 0:
        raise ValueError(f"{data}: none of the {len(val)} validation records is usable")
    prob = record_probabilities(predict(bundle.model, ws.x, bundle.task.multi_label), ws.record, len(ws.examples))
    return ws, prob


def evaluate(args: argparse.Namespace, load: Callable[[], Model]) -> int:
    """Run one evaluation (``load`` gives the model); the exit status."""
    try:
        if args.json:
            check_writable_file(args.json, "--json")  # before any work, not after it
        task, thresholds, predict_fn, provenance = load()
        examples = datasets.examples_for(task, args.data)
        if args.split == "validation":
            examples = validation_examples(task, examples, provenance)
        if args.folds:
            examples = [e for e in examples if e.fold in args.folds]
    except (CheckpointError, ValueError, OSError) as e:  # DatasetError is a ValueError, OutputError an OSError
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not examples:
        print(f"error: {args.data}: no records to evaluate"
              + (f" in folds {','.join(map(str, sorted(args.folds)))}" if args.folds else ""),
              file=sys.stderr)
        return 2
    ws = datasets.load_windows(examples, task, args.hop_seconds, cache_dir=None, progress=not args.no_progress)
    if not ws.examples:
        print(f"error: {args.data}: all {len(examples)} records were unusable", file=sys.stderr)
        return 2
    prob = record_probabilities(predict_fn(ws.x), ws.record, len(ws.examples))
    if task.multi_label:
        rep = metrics.multilabel_report(ws.y, prob, thresholds, task.codes)
    else:
        pred = decide(prob, thresholds, multi_label=False).argmax(axis=1)
        rep = metrics.singlelabel_report(ws.y, prob, task.codes, pred)
    rep["skipped"] = [{"record": r, "reason": m} for r, m in ws.skipped]
    print(report.format_table(task, rep))
    if ws.skipped:
        print(f"skipped {len(ws.skipped)} unusable record(s)")
    if args.json:
        try:
            with atomic_text_file(args.json) as f:
                f.write(json.dumps(rep, indent=2) + "\n")
        except OSError as e:  # the folder went away or filled up during the run
            print(f"error: --json {args.json}: {e.strerror or e}", file=sys.stderr)
            return 2
    print(report.summary_line(task, rep))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return evaluate(args, lambda: load_checkpoint(args.checkpoint))


if __name__ == "__main__":
    sys.exit(main())
