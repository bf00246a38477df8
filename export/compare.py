"""Comparison table: size, compute, accuracy and single-thread latency of several checkpoint bundles.

    python -m export.compare --checkpoints DIR1,DIR2,... [--out DIR] [--runs N] [--warmup N]

For each bundle, in one run: parameters, MACs per window, the bundle's recorded validation macro-F1 /
macro-AUROC, ExecuTorch ``.pte`` fp32 / int8 and Core ML fp16 ``.mlpackage`` built with export.build's
functions, latency of eager PyTorch, ExecuTorch fp32 / int8 (export.bench's subprocess worker) and ONNX
Runtime CPU, each in its own single-thread process, and peak RSS of a process that loads the int8
``.pte`` and classifies one window. Every latency is also given as a ratio to the reference bundle's
(the first LAMSCN bundle) ExecuTorch int8 latency measured in the same run. A bundle whose build or
timing fails keeps its row with the reason. Writes ``compare.md``, ``compare.json`` and ``compare.png``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("TQDM_DISABLE", "1")
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

import numpy as np  # noqa: E402

from export import bench  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LATENCIES = (("eager", "eager PyTorch fp32"), ("et_fp32", "ExecuTorch fp32"), ("et_int8", "ExecuTorch int8"),
             ("onnx", "ONNX Runtime fp32"))


def _reason(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[-1] if lines else ''}"[:300]


def onnx_worker(path: str, leads: int, runs: int, warmup: int) -> dict:
    """Run in the subprocess: time an ONNX Runtime CPU session with one intra-op thread."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: bench._window(leads)}
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90)), "runs": runs}


def _spawn_onnx(path: Path, leads: int, runs: int, warmup: int) -> dict:
    cmd = [sys.executable, "-m", "export.compare", "--onnx-worker", str(path), str(leads), str(runs), str(warmup)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"onnx worker failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_artifacts(bundle, folder: Path) -> tuple[dict[str, Path], dict[str, str], dict]:
    """Write ``fp32.pte``, ``int8.pte``, ``fp16.mlpackage`` and ``model.onnx`` into ``folder``; return
    the paths that were built, the reason for each that was not, and build seconds + int8 calibration."""
    import torch

    from export import coreml_conversion as cc
    from export.build import int8_program, model_version
    from export.executorch_lowering import export_fp32, lower_to_xnnpack
    from training.model import WithProbabilities

    folder.mkdir(parents=True, exist_ok=True)
    leads, samples = len(bundle.meta["leads"]), bundle.meta["preprocessing"]["window_samples"]
    multi = bundle.task.multi_label
    name = bundle.path.resolve().name

    def fp32_pte(path: Path) -> None:
        path.write_bytes(lower_to_xnnpack(export_fp32(bundle.model, multi, leads, samples)).buffer)

    def int8_pte(path: Path) -> None:
        program, info["int8_calibration"] = int8_program(bundle, None, leads, samples)
        path.write_bytes(lower_to_xnnpack(program).buffer)

    def mlpackage(path: Path) -> None:
        meta = cc.coreml_metadata(bundle.meta["labels"], list(bundle.meta["leads"]), multi, name, model_version(bundle))
        cc.save_mlpackage(cc.convert_fp16(bundle.model, multi, leads, samples, meta), path)

    def onnx(path: Path) -> None:
        wrapped = WithProbabilities(bundle.model, multi).eval()
        torch.onnx.export(wrapped, (torch.zeros(1, leads, samples),), str(path), dynamo=False,
                          input_names=["ecg"], output_names=["probabilities"])

    built, failed, info = {}, {}, {"build_seconds": {}, "int8_calibration": None}
    steps = (("et_fp32", "fp32.pte", fp32_pte), ("et_int8", "int8.pte", int8_pte),
             ("coreml_fp16", "fp16.mlpackage", mlpackage), ("onnx", "model.onnx", onnx))
    for key, file, make in steps:
        start = time.perf_counter()
        print(f"  [{name}] build {file} ...", flush=True)
        try:
            make(folder / file)
            built[key] = folder / file
        except Exception as e:  # a failed export is a row entry, not a crash
            failed[key] = _reason(e)
            print(f"  [{name}] {file} FAILED: {failed[key]}", flush=True)
        info["build_seconds"][key] = round(time.perf_counter() - start, 1)
    return built, failed, info


def measure(bundle_dir: Path, out: Path, runs: int, warmup: int) -> dict:
    """One row: sizes, compute, recorded accuracy, artifacts and latencies of one bundle."""
    from training.checkpoint import load_bundle
    from training.model import count_macs, count_parameters

    bundle = load_bundle(bundle_dir)
    name = bundle.path.resolve().name
    leads, samples = len(bundle.meta["leads"]), bundle.meta["preprocessing"]["window_samples"]
    metrics = bundle.meta.get("metrics", {})
    row: dict = {"bundle": name, "model": bundle.meta["model"]["name"], "kwargs": bundle.meta["model"].get("kwargs", {}),
                 "task": bundle.task.name, "parameters": count_parameters(bundle.model),
                 "macs": count_macs(bundle.model, leads, samples),
                 "macro_f1": metrics.get("macro_f1"), "macro_auroc": metrics.get("macro_auroc"),
                 "validation_n": metrics.get("n"), "epochs": _epochs(bundle.meta), "errors": {}}
    built, row["errors"], info = build_artifacts(bundle, out / name)
    row.update(info)
    row["bytes"] = {k: (_dir_bytes(p) if p.is_dir() else p.stat().st_size) for k, p in built.items()}
    row["latency"] = {}
    jobs = {"eager": lambda: bench._spawn("eager", bundle.path, leads, runs, warmup)}
    for key in ("et_fp32", "et_int8"):
        if key in built:
            jobs[key] = lambda p=built[key]: bench._spawn("pte", p, leads, runs, warmup)
    if "onnx" in built:
        jobs["onnx"] = lambda: _spawn_onnx(built["onnx"], leads, runs, warmup)
    if "et_int8" in built:
        jobs["memory"] = lambda: bench._spawn("memory", built["et_int8"], leads, 0, 0)
    for key, job in jobs.items():
        print(f"  [{name}] time {key} ...", flush=True)
        try:
            result = job()
        except Exception as e:
            row["errors"][key] = _reason(e)
            continue
        if key == "memory":
            row["memory_int8"] = result
        else:
            row["latency"][key] = result
    return row


def add_ratios(rows: list[dict]) -> str | None:
    """Divide every latency by the reference's ExecuTorch int8 median; return the reference's name."""
    ref = next((r for r in rows if r["model"].startswith("lamscn") and "et_int8" in r["latency"]), None)
    ref = ref or next((r for r in rows if "et_int8" in r["latency"]), None)
    if ref is None:
        return None
    base = ref["latency"]["et_int8"]["median_ms"]
    for r in rows:
        for t in r["latency"].values():
            t["ratio_to_reference_int8"] = t["median_ms"] / base
    return ref["bundle"]


def _epochs(meta: dict) -> str | None:
    """``"run (best)"`` epochs from the bundle's training record: the recipe must match across rows."""
    training = meta.get("training") or {}
    if "epochs_run" not in training:
        return None
    return f"{training['epochs_run']} ({training.get('best_epoch', '?')})"


def _fmt(v: float | None, spec: str, missing: str = "not trained") -> str:
    return missing if v is None else format(v, spec)


def markdown(rows: list[dict], reference: str | None, runs: int, warmup: int, machine: dict) -> str:
    head = ["bundle", "model", "epochs (best)", "params", "MMACs / window", "macro-F1", "macro-AUROC", ".pte fp32 kB", ".pte int8 kB",
            ".mlpackage fp16 kB", *[label + " ms (x ref)" for _, label in LATENCIES], "peak RSS int8 MiB", "notes"]
    lines = [f"Single thread, median of {runs} after {warmup} warm-up, one runtime per process; "
             f"{machine['processor']}, {machine['cpus']} CPUs, {machine['platform']}. "
             f"Ratios: latency / ExecuTorch int8 latency of {reference or '(none)'} in this run. "
             "Accuracy: the bundle's recorded validation metrics (PTB-XL fold 9 for ptbxl17).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lat = [f"{t['median_ms']:.2f} ({t['ratio_to_reference_int8']:.2f}x)" if (t := r["latency"].get(k)) and
               "ratio_to_reference_int8" in t else (f"{t['median_ms']:.2f}" if t else "failed") for k, _ in LATENCIES]
        kb = [_fmt(r["bytes"][k] / 1024 if k in r["bytes"] else None, ".0f", "failed")
              for k in ("et_fp32", "et_int8", "coreml_fp16")]
        mem = r.get("memory_int8")
        notes = "; ".join(f"{k}: {v}" for k, v in r["errors"].items())
        lines.append("| " + " | ".join([
            r["bundle"], r["model"], r.get("epochs") or "-", f"{r['parameters']:,}", f"{r['macs'] / 1e6:.1f}", _fmt(r["macro_f1"], ".3f"),
            _fmt(r["macro_auroc"], ".3f"), *kb, *lat,
            f"{mem['peak_rss_kib'] / 1024:.0f} ({mem['rss_after_imports_kib'] / 1024:.0f} before loading)"
            if mem else "failed", notes]) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], reference: str | None, path: Path) -> None:
    """macro-AUROC vs parameters and vs ExecuTorch int8 latency; the reference bundle highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    scored = [r for r in rows if r["macro_auroc"] is not None]
    xs = (("parameters", lambda r: r["parameters"]),
          ("ExecuTorch int8 latency, ms (1 thread)", lambda r: r["latency"].get("et_int8", {}).get("median_ms")))
    for ax, (label, get) in zip(axes, xs):
        for r in scored:
            x = get(r)
            if x is None:
                continue
            ref = r["bundle"] == reference
            ax.scatter(x, r["macro_auroc"], s=120 if ref else 50, c="tab:red" if ref else "tab:blue",
                       marker="*" if ref else "o", zorder=3)
            ax.annotate(r["model"], (x, r["macro_auroc"]), textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("validation macro-AUROC")
        ax.grid(alpha=0.3)
    missing = [r["model"] for r in rows if r["macro_auroc"] is None]
    title = "Accuracy vs size and latency" + (f" (not trained, not shown: {', '.join(missing)})" if missing else "")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--onnx-worker":
        path, leads, runs, warmup = argv[1:5]
        print(json.dumps(onnx_worker(path, int(leads), int(runs), int(warmup))))
        return 0
    p = argparse.ArgumentParser(prog="python -m export.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoints", required=True, help="comma-separated checkpoint bundle folders")
    p.add_argument("--out", type=Path, default=REPO / "dist" / "compare", help="output folder (default dist/compare)")
    p.add_argument("--runs", type=int, default=100, help="timed calls per runtime (median reported)")
    p.add_argument("--warmup", type=int, default=10)
    args = p.parse_args(argv)

    bundles = [Path(s) for s in args.checkpoints.split(",") if s]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for b in bundles:
        print(f"[{b}]", flush=True)
        try:
            rows.append(measure(b, args.out / "artifacts", args.runs, args.warmup))
        except Exception as e:
            print(f"error: {b}: {_reason(e)}", file=sys.stderr)
            return 1
    reference = add_ratios(rows)
    machine = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), "python": platform.python_version(), "threads": 1}
    doc = {"machine": machine, "runs": args.runs, "warmup": args.warmup, "reference": reference, "rows": rows}
    (args.out / "compare.json").write_text(json.dumps(doc, indent=2) + "\n")
    table = markdown(rows, reference, args.runs, args.warmup, machine)
    (args.out / "compare.md").write_text(table)
    plot(rows, reference, args.out / "compare.png")
    print("\n" + table + f"\nwritten {args.out / 'compare.md'}, compare.json, compare.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
