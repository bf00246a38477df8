"""Latency, memory and size of the exported artifacts, per 10 s window, single thread.

    python -m export.bench [--dist DIR] [--checkpoint PATH | --model NAME] [--runs N] [--json PATH]

Each backend is timed in its own subprocess (thread pools of two runtimes in one process fight):
eager PyTorch fp32, ExecuTorch fp32, ExecuTorch int8; median of ``--runs`` calls after
``--warmup``. Memory: in a fresh process that imports the runtime, the resident memory that loading the
int8 ``.pte`` and classifying one window adds (peak RSS since the imports less RSS after them), and the
``.pte``'s planned arena. Prints a Markdown table and writes JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _rss_kib() -> int:
    return _status_kib("VmRSS")


def start_memory_window() -> dict:
    """Mark the start of a memory measurement: the current RSS, and the process's peak RSS reset to it
    (Linux ``clear_refs``), so that :func:`memory_window` sees the peak of what follows, not of the
    imports before it (importing torch peaks far above where it settles)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    return {"rss_after_imports_kib": _rss_kib(), "peak_reset": reset}


def memory_window(start: dict) -> dict:
    """RSS figures since :func:`start_memory_window`: its RSS, the peak since (the process's whole
    peak where the reset was not possible: then an upper bound), and the peak less the start."""
    peak = _status_kib("VmHWM") if start["peak_reset"] else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**start, "peak_rss_kib": peak, "added_kib": peak - start["rss_after_imports_kib"]}


def _window(leads: int) -> np.ndarray:
    from export.parity import synthetic_windows

    return synthetic_windows(leads, 1, seed=0)


def worker(kind: str, path: str, leads: int, runs: int, warmup: int) -> dict:
    """Run in the subprocess: time one backend (``eager`` bundle path or ``pte`` file) or measure memory."""
    import torch

    torch.set_num_threads(1)
    x = _window(leads)
    if kind == "eager":
        from training.checkpoint import load_bundle
        from training.inference import predictor

        b = load_bundle(path)
        run = predictor(b.model, b.task.multi_label)

        def call():
            run(x)
    else:
        from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool
        from executorch.runtime import Runtime

        _unsafe_reset_threadpool(1)
        memory = start_memory_window()
        method = Runtime.get().load_program(Path(path)).load_method("forward")
        xt = torch.from_numpy(x)

        def call():
            method.execute([xt])

        if kind == "memory":
            call()
            return memory_window(memory)
    return time_calls(call, runs, warmup)


def time_calls(call, runs: int, warmup: int) -> dict:
    """``call()`` ``warmup`` times untimed, then ``runs`` times: median, p10 and p90 in ms."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": float(np.median(times)), "p10_ms": float(np.percentile(times, 10)),
            "p90_ms": float(np.percentile(times, 90)), "runs": runs}


def _spawn(kind: str, path: Path, leads: int, runs: int, warmup: int) -> dict:
    cmd = [sys.executable, "-m", "export.bench", "--worker", kind, str(path), str(leads), str(runs), str(warmup)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {kind} {path} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def planned_arena_bytes(path: Path) -> int:
    """Bytes of the mutable arena in a ``.pte``'s memory plan (buffer 0 is reserved by ExecuTorch). With
    everything delegated it holds the delegate's inputs and outputs; XNNPACK allocates the tensors
    inside its graph itself, which the resident-memory figure includes."""
    from executorch.exir._serialize._program import deserialize_pte_binary

    plan = deserialize_pte_binary(path.read_bytes()).program.execution_plan[0]
    return int(sum(plan.non_const_buffer_sizes[1:]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        kind, path, leads, runs, warmup = argv[1:6]
        print(json.dumps(worker(kind, path, int(leads), int(runs), int(warmup))))
        return 0
    p = argparse.ArgumentParser(prog="python -m export.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--dist", type=Path, default=REPO / "dist", help="build output folder (with android/)")
    p.add_argument("--checkpoint", type=Path, default=None, help="bundle for the eager baseline "
                   "(default: checkpoints/<model name in the manifest>)")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--json", type=Path, default=None, help="where to write results (default DIST/bench.json)")
    args = p.parse_args(argv)

    from contract.manifest import ManifestError, read

    try:
        manifest = read(args.dist / "android")
    except ManifestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    name = manifest["model"]["name"]
    bundle = args.checkpoint or REPO / "checkpoints" / name
    leads = len(manifest["leads"])
    files = {a["precision"]: args.dist / "android" / a["file"] for a in manifest["artifacts"]}
    rows = [("eager PyTorch", "fp32", _spawn("eager", bundle, leads, args.runs, args.warmup), None)]
    for precision in ("fp32", "int8"):
        rows.append(("ExecuTorch XNNPACK", precision, _spawn("pte", files[precision], leads, args.runs, args.warmup),
                     files[precision].stat().st_size))
    memory = _spawn("memory", files["int8"], leads, 0, 0)
    memory["planned_arena_bytes"] = planned_arena_bytes(files["int8"])
    eager = rows[0][2]["median_ms"]
    ios = {}
    if (args.dist / "ios" / "manifest.json").is_file():
        ios = {a["file"]: a["bytes"] for a in read(args.dist / "ios")["artifacts"]}
    result = {
        "model": name, "version": manifest["model"]["version"], "window": manifest["input"]["shape"],
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "threads": 1},
        "runs": args.runs, "warmup": args.warmup,
        "latency": [{"runtime": r, "precision": pr, **t, "speedup_vs_eager": eager / t["median_ms"], "bytes": b}
                    for r, pr, t, b in rows],
        "memory_int8": memory,
        "sizes": {**{f.name: f.stat().st_size for f in files.values()}, **ios},
    }
    out = args.json or args.dist / "bench.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{name} ({manifest['model']['version']}), input {manifest['input']['shape']}, 1 thread, "
          f"median of {args.runs} after {args.warmup} warm-up, {result['machine']['processor']}\n")
    print("| runtime | precision | median ms | p90 ms | speed-up vs eager | bytes |")
    print("|---|---|---:|---:|---:|---:|")
    for r in result["latency"]:
        print(f"| {r['runtime']} | {r['precision']} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} | "
              f"{r['speedup_vs_eager']:.2f}x | {r['bytes'] or '-'} |")
    print(f"\nResident memory that loading the int8 .pte and classifying one window adds: "
          f"{memory['added_kib'] / 1024:.1f} MiB (peak {memory['peak_rss_kib'] / 1024:.1f} MiB, "
          f"{memory['rss_after_imports_kib'] / 1024:.1f} MiB after the imports)")
    print(f"Planned arena of the int8 .pte (ExecuTorch's memory plan: the delegate's input and output; XNNPACK "
          f"holds its own tensors, within the figure above): {memory['planned_arena_bytes']:,} bytes")
    for f, b in result["sizes"].items():
        print(f"- {f}: {b} bytes")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
