"""Parity between an exported artifact and eager PyTorch: the numbers and the targets.

Targets (DESIGN.md): max |Δp| per precision, and for int8 the share of (window, class) decisions
that agree with fp32 and the macro-F1 difference on labelled data.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from contract.decision import decide
from contract.preprocessing import WINDOW, preprocess_window
from contract.synthetic import synthetic_ecg
from training.inference import predict, record_probabilities

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


PARITY_JSON = "parity_real.json"


def artifact_predictor(folder: Path, entry: dict):
    """A ``windows → probabilities`` function for one artifact of a verified build folder (a
    ``.pte`` is loaded in a child process first, so a corrupt one cannot abort this one)."""
    from export.mil_numpy import mlpackage_predictor
    from export.runtime import load_pte, probe_pte

    path = folder / entry["file"]
    if not entry["runtime"].startswith("executorch"):
        return mlpackage_predictor(path)
    probe_pte(path)
    return load_pte(path)


def build_folders(dist: Path) -> list[Path]:
    """``dist`` itself when it holds a ``manifest.json``, else its target subfolders that do."""
    from contract.manifest import MANIFEST

    if (dist / MANIFEST).is_file():
        return [dist]
    folders = sorted(p for p in dist.iterdir() if (p / MANIFEST).is_file()) if dist.is_dir() else []
    if not folders:
        raise FileNotFoundError(f"{dist}: no manifest.json there or in its subfolders (run export/build.py first)")
    return folders


def real_windows(bundle, data: Path, folds: set[int] | None, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Preprocessed windows of the selected real records: ``(x, record index per window, targets per
    record, records)``; ``split`` is ``all`` or ``validation`` (the records recorded with the model)."""
    from training import datasets
    from training.evaluate import validation_examples

    task = bundle.task
    examples = datasets.examples_for(task, data)
    if split == "validation":
        examples = validation_examples(task, examples, bundle.meta.get("provenance", {}))
    if folds:
        examples = [e for e in examples if e.fold in folds]
    if not examples:
        raise ValueError(f"{data}: no records selected" + (f" in folds {sorted(folds)}" if folds else ""))
    ws = datasets.load_windows(examples, task, hop_seconds=5.0, progress=False)
    if not ws.examples:
        raise ValueError(f"{data}: all {len(examples)} selected records were unusable")
    return ws.x, ws.record, ws.y, len(ws.examples)


def evaluate_build(dist: Path, bundle, x: np.ndarray, record: np.ndarray, y: np.ndarray, n: int) -> list[dict]:
    """Every artifact of every build folder under ``dist`` against eager PyTorch on windows ``x``:
    max |Δp| over windows, and decisions and macro-F1 over records (the mean of their windows)."""
    from contract.manifest import read as read_manifest
    from export.build import model_version

    multi = bundle.task.multi_label
    ref_w = predict(bundle.model, x, multi)
    ref_r = record_probabilities(ref_w, record, n)
    target = y if multi else np.eye(bundle.task.num_classes, dtype=bool)[y]  # single-label y: class per record
    results = []
    for folder in build_folders(dist):
        manifest = read_manifest(folder)  # schema and checksums
        if manifest["model"]["version"] != model_version(bundle):
            raise ValueError(f"{folder}: built from model version {manifest['model']['version']}, "
                             f"the checkpoint is {model_version(bundle)}")
        for entry in manifest["artifacts"]:
            got_w = artifact_predictor(folder, entry)(x)
            rec = compare(ref_r, record_probabilities(got_w, record, n), bundle.thresholds, multi, target=target)
            result = {"artifact": f"{folder.name}/{entry['file']}", "precision": entry["precision"],
                      "windows": int(len(x)), "records": n, "max_abs_diff": float(np.abs(ref_w - got_w).max()),
                      "decision_agreement": rec["decision_agreement"], "macro_f1_reference": rec["macro_f1_reference"],
                      "macro_f1_artifact": rec["macro_f1_artifact"], "max_abs_diff_target": MAX_ABS_DIFF[entry["precision"]]}
            result["failures"] = failures(result, entry["precision"])
            results.append(result)
    return results


def result_line(r: dict) -> str:
    """One artifact's line: name, precision, verdict, then ``max_abs_diff=… agreement=… macro_f1=…/…``."""
    verdict = "FAIL (" + "; ".join(r["failures"]) + ")" if r["failures"] else "ok"
    return (f"{r['artifact']} {r['precision']} {verdict}: windows={r['windows']} records={r['records']} "
            f"max_abs_diff={r['max_abs_diff']:.4g} agreement={r['decision_agreement']:.4f} "
            f"macro_f1={r['macro_f1_reference']:.4f}/{r['macro_f1_artifact']:.4f}")


def main(argv: list[str] | None = None) -> int:
    """``python -m export.parity --dist DIR --checkpoint BUNDLE --data DATA [--folds 9 | --split validation]``:
    every artifact of a build against eager PyTorch on real records; exit 1 when a target is missed."""
    import json
    import sys

    from contract.arguments import OneLineParser, fold_list
    from contract.manifest import ManifestError
    from contract.output_files import atomic_text_file, check_writable_file
    from training.checkpoint import CheckpointError, load_bundle
    from training.datasets import DatasetError

    p = OneLineParser(prog="python -m export.parity", description=main.__doc__.split(":")[0])
    p.add_argument("--dist", type=Path, required=True, help="a build folder (dist/, or dist/android, dist/ios)")
    p.add_argument("--checkpoint", type=Path, required=True, help="the bundle the build was made from")
    p.add_argument("--data", type=Path, required=True, help="dataset folder with real records")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--folds", type=fold_list, help="PTB-XL folds to use, e.g. 9 (default: every record in the folder)")
    sel.add_argument("--split", choices=("all", "validation"), default="all",
                     help="validation: only the records the model was validated on")
    p.add_argument("--json", type=Path, help=f"write the results here (default DIST/{PARITY_JSON})")
    args = p.parse_args(argv)
    try:
        bundle = load_bundle(args.checkpoint)
        out = args.json or (args.dist / PARITY_JSON)
        check_writable_file(out, "--json")
        x, record, y, n = real_windows(bundle, args.data, args.folds, args.split)
        results = evaluate_build(args.dist, bundle, x, record, y, n)
    except (CheckpointError, DatasetError, ManifestError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # a runtime that refuses an artifact
        print(f"error: {(str(e).strip().splitlines() or [type(e).__name__])[0]}", file=sys.stderr)
        return 2
    for r in results:
        print(result_line(r))
    doc = {"checkpoint": bundle.path.resolve().name, "data": args.data.name,
           "folds": sorted(args.folds) if args.folds else None, "split": args.split,
           "reference": "eager PyTorch fp32, WithProbabilities(model)", "results": results}
    with atomic_text_file(out) as f:
        f.write(json.dumps(doc, indent=2) + "\n")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
