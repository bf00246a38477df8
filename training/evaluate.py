"""Evaluate a model on a dataset folder: ``python -m training.evaluate --checkpoint PATH --data DIR``.

``--model X.pte`` evaluates an exported ExecuTorch program instead (the artifact that ships), with the
labels, thresholds and checksums of the ``manifest.json`` beside it.

Prints the per-class table and ends with one summary line:
``macro_f1=… micro_f1=… macro_auroc=… n=…`` (ptbxl17, at the checkpoint's thresholds) or
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

from training import datasets, metrics, report
from training.arguments import OneLineParser, fold_list, positive_float
from training.checkpoint import CheckpointError, load_bundle
from training.decision import decide
from training.labels import Task, get_task
from training.output_files import atomic_text_file, check_writable_file
from training.train import predict, record_probabilities


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m training.evaluate", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, help="checkpoint bundle folder (eager PyTorch)")
    src.add_argument("--model", type=Path, help="exported ExecuTorch .pte (manifest.json beside it)")
    p.add_argument("--data", required=True, type=Path, help="dataset folder (PTB-XL in either layout, or CinC 2017)")
    p.add_argument("--folds", type=fold_list, default=None,
                   help="comma-separated PTB-XL folds to evaluate (default: all present)")
    p.add_argument("--split", choices=("all", "validation"), default="all",
                   help="all records, or only the validation split recorded with the model")
    p.add_argument("--hop-seconds", type=positive_float, default=5.0, help="hop between windows of longer records")
    p.add_argument("--json", type=Path, default=None, help="also write the full report as JSON here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def load_model(args: argparse.Namespace) -> tuple[Task, np.ndarray, Callable[[np.ndarray], np.ndarray], dict]:
    """Task, thresholds, a window → probabilities function and the training provenance, from a
    bundle or a verified .pte."""
    if args.checkpoint is not None:
        bundle = load_bundle(args.checkpoint)
        return (bundle.task, np.array(bundle.thresholds), lambda x: predict(bundle.model, x, bundle.task.multi_label),
                bundle.meta.get("provenance", {}))
    from export.runtime import load_artifact

    doc, predict_pte = load_artifact(args.model)
    task = get_task(doc["task"]["name"])
    return task, np.array([lab["threshold"] for lab in doc["labels"]]), predict_pte, doc.get("provenance", {})


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.json:
            check_writable_file(args.json, "--json")  # before any work, not after it
        task, thresholds, predict_fn, provenance = load_model(args)
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


if __name__ == "__main__":
    sys.exit(main())
