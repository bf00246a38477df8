"""Comparison table: size, compute, accuracy and single-thread latency of several checkpoint bundles.

    python -m export.compare --checkpoints DIR1,DIR2,... [--out DIR] [--runs N] [--warmup N] [--rounds N]
                             [--data DIR]

For each bundle, in one run: parameters, MACs per window, the bundle's recorded validation macro-F1 /
macro-AUROC, ExecuTorch ``.pte`` fp32 / int8 and Core ML fp16 ``.mlpackage`` built with export.build's
functions, LiteRT ``.tflite`` fp32 / int8 of the same graph (export.litert_conversion; a row entry
naming the ``litert`` extra where it is not installed), ONNX, and the latency of eager PyTorch,
ExecuTorch fp32 / int8 (export.bench's subprocess worker), LiteRT fp32 / int8 and ONNX Runtime CPU,
each in its own single-thread process, ``--rounds`` rounds that alternate the runtimes (the median of
each round is kept; the row's figure is their median). Memory per on-device artifact: the resident
memory a fresh process adds by loading it and classifying one window (its peak RSS less its RSS after
the imports), and for a ``.pte`` the arena of ExecuTorch's memory plan. Every latency is also given as
a ratio to the reference bundle's (the first LAMSCN bundle) ExecuTorch int8 latency measured in the
same run. With ``--data`` (the bundle's dataset folder) both int8 files are calibrated on the same
training windows (export.calibration's rule) and every artifact's max |dp| and decision agreement
against eager PyTorch are measured on the bundle's validation records; without it the ``.pte`` uses the
bundle's calibration, LiteRT's int8 is calibrated on synthetic windows, and agreement is measured on
synthetic windows (said in the table). A bundle whose build or timing fails keeps its row with the
reason. Writes ``compare.md``, ``compare.json`` and ``compare.png``.
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
             ("litert_fp32", "LiteRT fp32"), ("litert_int8", "LiteRT int8"), ("onnx", "ONNX Runtime fp32"))
ON_DEVICE = ("et_fp32", "et_int8", "litert_fp32", "litert_int8")  # the artifacts a phone would run
SYNTHETIC_WINDOWS = 64  # calibration and agreement windows when no --data is given


def _reason(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[-1] if lines else ''}"[:300]


def peer_worker(kind: str, path: str, leads: int, runs: int, warmup: int) -> dict:
    """Run in the subprocess: time ONNX Runtime (``onnx``) or LiteRT (``litert``) with one thread, or
    (``litert-memory``) measure the RSS that loading a ``.tflite`` and classifying one window adds."""
    x = bench._window(leads)
    if kind == "onnx":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: x}
        return bench.time_calls(lambda: session.run(None, feed), runs, warmup)
    import ai_edge_litert.interpreter  # noqa: F401  (the runtime's imports, before the RSS baseline)

    from export import litert_conversion as lc

    memory = bench.start_memory_window()
    run = lc.runner(lc.interpreter(path))
    if kind == "litert-memory":
        run(x)
        return bench.memory_window(memory)
    return bench.time_calls(lambda: run(x), runs, warmup)


def _spawn_peer(kind: str, path: Path, leads: int, runs: int, warmup: int) -> dict:
    cmd = [sys.executable, "-m", "export.compare", "--worker", kind, str(path), str(leads), str(runs), str(warmup)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def calibration_windows(bundle, data: Path | None) -> tuple[np.ndarray | None, str]:
    """The int8 calibration windows of both runtimes and where they came from: the training windows of
    ``data`` by export.calibration's rule, or (no data) ``None`` for the ``.pte`` (the bundle's own
    calibration) and synthetic windows for LiteRT."""
    from export.calibration import training_windows

    if data is None:
        return None, "bundle calibration (.pte); synthetic windows (LiteRT)"
    return training_windows(bundle.task, data, provenance=bundle.meta.get("provenance")), f"training windows of {data}"


def build_artifacts(bundle, folder: Path, windows: np.ndarray | None) -> tuple[dict[str, Path], dict[str, str], dict]:
    """Write ``fp32.pte``, ``int8.pte``, ``fp16.mlpackage``, ``fp32.tflite``, ``int8.tflite`` and
    ``model.onnx`` into ``folder``, both int8 files calibrated on ``windows`` (``None``: see
    :func:`calibration_windows`); return the paths that were built, the reason for each that was not,
    and build seconds + int8 calibration."""
    import torch

    from export import coreml_conversion as cc
    from export import litert_conversion as lc
    from export.build import int8_program, model_version
    from export.calibration import calibrate
    from export.executorch_lowering import export_fp32, lower_to_xnnpack
    from export.parity import synthetic_windows
    from training.model import WithProbabilities

    folder.mkdir(parents=True, exist_ok=True)
    _, leads, samples = bundle.input_shape
    multi = bundle.task.multi_label
    name = bundle.path.resolve().name

    def fp32_pte(path: Path) -> None:
        path.write_bytes(lower_to_xnnpack(export_fp32(bundle.model, multi, leads, samples)).buffer)

    def int8_pte(path: Path) -> None:
        if windows is None:
            program, info["int8_calibration"] = int8_program(bundle, None, leads, samples)
        else:
            program, info["int8_calibration"] = calibrate(bundle.model, torch.from_numpy(windows)), "data"
        path.write_bytes(lower_to_xnnpack(program).buffer)

    def fp32_tflite(path: Path) -> None:
        path.write_bytes(lc.convert_fp32(bundle.model, multi, leads, samples))

    def int8_tflite(path: Path) -> None:
        cal = windows if windows is not None else synthetic_windows(leads, SYNTHETIC_WINDOWS, seed=1)
        path.write_bytes(lc.convert_int8(bundle.model, multi, cal))

    def mlpackage(path: Path) -> None:
        meta = cc.coreml_metadata(bundle.meta["labels"], list(bundle.meta["leads"]), multi, name, model_version(bundle))
        cc.save_mlpackage(cc.convert_fp16(bundle.model, multi, leads, samples, meta), path)

    def onnx(path: Path) -> None:
        wrapped = WithProbabilities(bundle.model, multi).eval()
        torch.onnx.export(wrapped, (torch.zeros(1, leads, samples),), str(path), dynamo=False,
                          input_names=["ecg"], output_names=["probabilities"])

    built, failed, info = {}, {}, {"build_seconds": {}, "int8_calibration": None}
    steps = (("et_fp32", "fp32.pte", fp32_pte), ("et_int8", "int8.pte", int8_pte),
             ("litert_fp32", "fp32.tflite", fp32_tflite), ("litert_int8", "int8.tflite", int8_tflite),
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


def agreement(bundle, built: dict[str, Path], x: np.ndarray) -> dict[str, dict]:
    """max |dp| and decision agreement of every built on-device artifact against eager PyTorch on ``x``."""
    from export import litert_conversion as lc
    from export.parity import compare
    from export.runtime import load_pte
    from training.inference import predictor

    reference = predictor(bundle.model, bundle.task.multi_label)(x)
    out = {}
    for key in ON_DEVICE:
        if key in built:
            got = load_pte(built[key])(x) if key.startswith("et_") else lc.predict(str(built[key]), x)
            out[key] = compare(reference, got, bundle.thresholds, bundle.task.multi_label)
    return out


def time_rounds(jobs: dict, rounds: int, name: str, errors: dict) -> dict[str, dict]:
    """Run every timing job once per round, the runtimes alternating; per job the median of each
    round and, as its figure, the median of those. A job that fails is dropped with its reason."""
    per_round: dict[str, list[dict]] = {}
    for r in range(rounds):
        for key, job in jobs.items():
            if key in errors:
                continue
            print(f"  [{name}] round {r + 1}/{rounds}: time {key} ...", flush=True)
            try:
                per_round.setdefault(key, []).append(job())
            except Exception as e:
                errors[key] = _reason(e)
                per_round.pop(key, None)
    return {k: {"median_ms": float(np.median([t["median_ms"] for t in ts])), "rounds_ms": [t["median_ms"] for t in ts],
                "p90_ms": float(np.median([t["p90_ms"] for t in ts])), "runs": ts[0]["runs"]}
            for k, ts in per_round.items()}


def measure(bundle_dir: Path, out: Path, runs: int, warmup: int, rounds: int = 1, data: Path | None = None) -> dict:
    """One row: sizes, compute, recorded accuracy, artifacts, agreement with eager, latencies and
    memory of one bundle."""
    from export.parity import real_windows, synthetic_windows
    from training.checkpoint import load_bundle
    from training.model import count_macs, count_parameters

    bundle = load_bundle(bundle_dir)
    name = bundle.path.resolve().name
    _, leads, samples = bundle.input_shape
    metrics = bundle.meta.get("metrics", {})
    row: dict = {"bundle": name, "model": bundle.meta["model"]["name"], "kwargs": bundle.meta["model"].get("kwargs", {}),
                 "task": bundle.task.name, "leads": leads, "parameters": count_parameters(bundle.model),
                 "macs": count_macs(bundle.model, leads, samples),
                 "macro_f1": metrics.get("macro_f1"), "macro_auroc": metrics.get("macro_auroc"),
                 "validation_n": metrics.get("n"), "epochs": _epochs(bundle.meta), "errors": {}}
    windows, row["calibration"] = calibration_windows(bundle, data)
    built, row["errors"], info = build_artifacts(bundle, out / name, windows)
    row.update(info)
    row["bytes"] = {k: (_dir_bytes(p) if p.is_dir() else p.stat().st_size) for k, p in built.items()}
    x = real_windows(bundle, data, None, "validation")[0] if data is not None else synthetic_windows(leads, SYNTHETIC_WINDOWS)
    row["agreement_on"] = f"{len(x)} validation windows of {data}" if data is not None else f"{len(x)} synthetic windows"
    print(f"  [{name}] agreement with eager on {row['agreement_on']} ...", flush=True)
    row["agreement"] = agreement(bundle, built, x)
    jobs = {"eager": lambda: bench._spawn("eager", bundle.path, leads, runs, warmup)}
    for key, kind in (("et_fp32", "pte"), ("et_int8", "pte"), ("litert_fp32", "litert"), ("litert_int8", "litert"),
                      ("onnx", "onnx")):
        if key in built:
            spawn = bench._spawn if kind == "pte" else _spawn_peer
            jobs[key] = lambda p=built[key], s=spawn, k=kind: s(k, p, leads, runs, warmup)
    row["latency"] = time_rounds(jobs, rounds, name, row["errors"])
    row["memory"] = {}
    for key in ON_DEVICE:
        if key not in built:
            continue
        try:
            m = (bench._spawn("memory", built[key], leads, 0, 0) if key.startswith("et_")
                 else _spawn_peer("litert-memory", built[key], leads, 0, 0))
        except Exception as e:
            row["errors"][f"memory {key}"] = _reason(e)
            continue
        if key.startswith("et_"):
            m["planned_arena_bytes"] = bench.planned_arena_bytes(built[key])
        row["memory"][key] = m
    return row


def sigmoid_chain(n: int):
    """``n`` sigmoids on 17 numbers sliced from a window: a graph of ``n + 1`` ops that computes almost
    nothing, so its latency is a runtime's fixed cost per call plus its cost per op."""
    import torch

    class SigmoidChain(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = x[:, :1, :17].reshape(1, 17)
            for _ in range(n):
                y = torch.sigmoid(y)
            return y

    return SigmoidChain().eval()


OVERHEAD_OPS = (1, 129)  # sigmoid-chain lengths; LAMSCN-12's delegate graph has about 130 ops


def call_overhead(folder: Path, leads: int, runs: int, warmup: int, rounds: int, errors: dict) -> dict:
    """Fixed cost per call and cost per op of ExecuTorch (``.pte``, Python binding) and LiteRT
    (``.tflite``, its interpreter), from the latency of two sigmoid chains in each, one process per
    runtime and chain, ``rounds`` alternating rounds: per op = slope, per call = the 1-op chain less one op."""
    import torch

    from contract.preprocessing import WINDOW
    from export import litert_conversion as lc
    from export.executorch_lowering import lower_to_xnnpack

    folder.mkdir(parents=True, exist_ok=True)
    example = (torch.zeros(1, leads, WINDOW),)
    jobs = {}
    for n in OVERHEAD_OPS:
        chain = sigmoid_chain(n)
        pte, tflite = folder / f"chain{n}.pte", folder / f"chain{n}.tflite"
        try:
            pte.write_bytes(lower_to_xnnpack(torch.export.export(chain, example)).buffer)
            jobs[f"executorch {n}"] = lambda p=pte: bench._spawn("pte", p, leads, runs, warmup)
        except Exception as e:
            errors["overhead executorch"] = _reason(e)
        try:
            tflite.write_bytes(lc.convert(chain, example))
            jobs[f"litert {n}"] = lambda p=tflite: _spawn_peer("litert", p, leads, runs, warmup)
        except Exception as e:
            errors["overhead litert"] = _reason(e)
    times = time_rounds(jobs, rounds, "call overhead", errors)
    out = {}
    for runtime in ("executorch", "litert"):
        short, long = (times.get(f"{runtime} {n}") for n in OVERHEAD_OPS)
        if short and long:
            per_op = (long["median_ms"] - short["median_ms"]) * 1e3 / (OVERHEAD_OPS[1] - OVERHEAD_OPS[0])
            out[runtime] = {"per_call_us": short["median_ms"] * 1e3 - per_op, "per_op_us": per_op,
                            "chains_us": {n: times[f"{runtime} {n}"]["median_ms"] * 1e3 for n in OVERHEAD_OPS}}
    return out


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


ARTIFACT_LABELS = {"et_fp32": ("ExecuTorch XNNPACK", "fp32"), "et_int8": ("ExecuTorch XNNPACK", "int8"),
                   "litert_fp32": ("LiteRT XNNPACK", "fp32"), "litert_int8": ("LiteRT XNNPACK", "int8")}


def markdown(rows: list[dict], reference: str | None, runs: int, warmup: int, rounds: int, machine: dict,
             overhead: dict, overhead_errors: dict) -> str:
    head = ["bundle", "model", "epochs (best)", "params", "MMACs / window", "macro-F1", "macro-AUROC", ".pte fp32 kB", ".pte int8 kB",
            ".mlpackage fp16 kB", *[label + " ms (x ref)" for _, label in LATENCIES], "notes"]
    lines = [f"Single thread, {rounds} round(s) alternating the runtimes, each runtime in its own process, "
             f"median of {runs} calls after {warmup} warm-up per round, the median of the rounds shown; "
             f"{machine['processor']}, {machine['cpus']} CPUs, {machine['platform']}. "
             f"Ratios: latency / ExecuTorch int8 latency of {reference or '(none)'} in this run. "
             "Accuracy: the bundle's recorded validation metrics (PTB-XL fold 9 for ptbxl17).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lat = [f"{t['median_ms']:.2f} ({t['ratio_to_reference_int8']:.2f}x)" if (t := r["latency"].get(k)) and
               "ratio_to_reference_int8" in t else (f"{t['median_ms']:.2f}" if t else "failed") for k, _ in LATENCIES]
        kb = [_fmt(r["bytes"][k] / 1024 if k in r["bytes"] else None, ".0f", "failed")
              for k in ("et_fp32", "et_int8", "coreml_fp16")]
        notes = "; ".join(f"{k}: {v}" for k, v in r["errors"].items())
        lines.append("| " + " | ".join([
            r["bundle"], r["model"], r.get("epochs") or "-", f"{r['parameters']:,}", f"{r['macs'] / 1e6:.1f}", _fmt(r["macro_f1"], ".3f"),
            _fmt(r["macro_auroc"], ".3f"), *kb, *lat, notes]) + " |")
    lines += ["", "On-device artifacts. ms per round: the median of each round in run order. Agreement with eager PyTorch "
              "fp32 (max |dp|, identical decisions) and int8 calibration as stated per bundle. Resident memory added: peak "
              "RSS of a fresh process that loads the file and classifies one window, less its RSS after the runtime's "
              "imports. Planned arena: the mutable memory in the .pte's memory plan (LiteRT's Python API does not "
              "expose its arena).", "",
              "| bundle | runtime | precision | bytes | ms per round | max abs dp | identical decisions | "
              "resident memory added MiB | planned arena bytes |", "|---|---|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        for key, (runtime, precision) in ARTIFACT_LABELS.items():
            if key not in r["bytes"]:
                continue
            t, a, m = r["latency"].get(key), r["agreement"].get(key), r["memory"].get(key)
            lines.append("| " + " | ".join([
                r["bundle"], runtime, precision, f"{r['bytes'][key]:,}",
                " / ".join(f"{v:.3f}" for v in t["rounds_ms"]) if t else "failed",
                f"{a['max_abs_diff']:.3g}" if a else "-", f"{100 * a['decision_agreement']:.2f} %" if a else "-",
                f"{m['added_kib'] / 1024:.1f}" if m else "failed",
                f"{m['planned_arena_bytes']:,}" if m and "planned_arena_bytes" in m else "-"]) + " |")
        lines.append(f"| {r['bundle']} | calibration: {r['calibration']}; agreement on {r['agreement_on']} | | | | | | | |")
    lines += ["", f"Runtime cost per call and per op, from chains of {' and '.join(map(str, OVERHEAD_OPS))} sigmoids "
              "on 17 numbers (same rounds, one process each):", "",
              "| runtime | per call us | per op us | " + " | ".join(f"{n}-op chain us" for n in OVERHEAD_OPS) + " |",
              "|---|---:|---:|" + "---:|" * len(OVERHEAD_OPS)]
    for runtime, o in overhead.items():
        lines.append(f"| {runtime} | {o['per_call_us']:.2f} | {o['per_op_us']:.3f} | "
                     + " | ".join(f"{o['chains_us'][n]:.2f}" for n in OVERHEAD_OPS) + " |")
    lines += [f"| {k}: {v} | | | |" for k, v in overhead_errors.items()]
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
    if argv and argv[0] == "--worker":
        kind, path, leads, runs, warmup = argv[1:6]
        print(json.dumps(peer_worker(kind, path, int(leads), int(runs), int(warmup))))
        return 0
    p = argparse.ArgumentParser(prog="python -m export.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoints", required=True, help="comma-separated checkpoint bundle folders")
    p.add_argument("--out", type=Path, default=REPO / "dist" / "compare", help="output folder (default dist/compare)")
    p.add_argument("--runs", type=int, default=100, help="timed calls per runtime (median reported)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3, help="timing rounds, the runtimes alternating in each")
    p.add_argument("--data", type=Path, default=None,
                   help="the bundles' dataset folder: calibrate both int8 files on its training windows and "
                        "measure agreement with eager on its validation records")
    args = p.parse_args(argv)
    if args.runs < 1 or args.rounds < 1:
        p.error("--runs and --rounds must be at least 1")
    if args.data is not None and not args.data.is_dir():
        print(f"error: --data {args.data}: no such folder", file=sys.stderr)
        return 1

    bundles = [Path(s) for s in args.checkpoints.split(",") if s]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for b in bundles:
        print(f"[{b}]", flush=True)
        try:
            rows.append(measure(b, args.out / "artifacts", args.runs, args.warmup, args.rounds, args.data))
        except Exception as e:
            print(f"error: {b}: {_reason(e)}", file=sys.stderr)
            return 1
    reference = add_ratios(rows)
    overhead_errors: dict = {}
    print("[call overhead]", flush=True)
    overhead = call_overhead(args.out / "artifacts" / "call_overhead", rows[0]["leads"], max(args.runs, 1000),
                             args.warmup, args.rounds, overhead_errors)
    machine = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), "python": platform.python_version(), "threads": 1}
    doc = {"machine": machine, "runs": args.runs, "warmup": args.warmup, "rounds": args.rounds,
           "reference": reference, "rows": rows, "call_overhead": overhead, "call_overhead_errors": overhead_errors}
    (args.out / "compare.json").write_text(json.dumps(doc, indent=2) + "\n")
    table = markdown(rows, reference, args.runs, args.warmup, args.rounds, machine, overhead, overhead_errors)
    (args.out / "compare.md").write_text(table)
    plot(rows, reference, args.out / "compare.png")
    print("\n" + table + f"\nwritten {args.out / 'compare.md'}, compare.json, compare.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
