"""Evaluate an exported program on a dataset folder, like its checkpoint:
``python -m export.evaluate --model X.pte --data DIR``.

The labels, thresholds and checksums come from the ``manifest.json`` beside the ``.pte`` (checked by
:func:`export.runtime.load_artifact`); options and output are those of ``training.evaluate``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from contract.labels import get_task
from export.runtime import load_artifact
from training.evaluate import Model, evaluate, parser


def load_program(path: Path) -> Model:
    """Task, thresholds, a windows -> probabilities function and the provenance of a verified ``.pte``."""
    doc, predict_pte = load_artifact(path)
    task = get_task(doc["task"]["name"])
    return task, np.array([lab["threshold"] for lab in doc["labels"]]), predict_pte, doc.get("provenance", {})


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m export.evaluate", __doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="exported ExecuTorch .pte (manifest.json beside it)")
    args = p.parse_args(argv)
    return evaluate(args, lambda: load_program(args.model))


if __name__ == "__main__":
    sys.exit(main())
