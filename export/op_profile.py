"""Per-operator profile of a ``.pte``: ExecuTorch's ETDump read back with the devtools Inspector.

    python -m export.op_profile FILE.pte [--runs N] [--warmup N] [--top N] [--json PATH]

One thread, the program's input filled with synthetic ECG windows, ``--runs`` timed calls after
``--warmup``; XNNPACK reports every op of its graph. Prints, per op kind (the event name without its
``#n``), the count and the sum of each op's median time, then the ``--top`` slowest single ops, then
the delegate call and the whole ``Method::execute``. Profiling adds its own cost per op, so the
shares are what to read, not the sum (the benchmark, ``export.bench``, times calls without it).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


FRAMEWORK_EVENTS = {"DELEGATE_CALL", "Method::execute", "OPERATOR_CALL", "Method::init", "Program::load_method"}


def profile(path: Path, runs: int = 200, warmup: int = 20) -> list[dict]:
    """``[{"event", "kind", "median_us"}]`` in execution order, from an ETDump of ``runs`` calls."""
    import torch
    from executorch.devtools import Inspector
    from executorch.extension.pybindings.portable_lib import _load_for_executorch, _unsafe_reset_threadpool

    from export.parity import synthetic_windows
    from export.runtime import check_pte_header

    check_pte_header(path)
    _unsafe_reset_threadpool(1)
    module = _load_for_executorch(str(path), enable_etdump=True, debug_buffer_size=0)
    info = module.method_meta("forward").input_tensor_meta(0)
    sizes = list(info.sizes())
    x = torch.from_numpy(synthetic_windows(sizes[1], 1, seed=0)) if len(sizes) == 3 else torch.zeros(sizes)
    for _ in range(warmup):
        module.forward([x])
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            module.forward([x])
        dump = Path(tmp) / "etdump.etdp"
        module.write_etdump_result_to_file(str(dump))
        frame = Inspector(etdump_path=str(dump)).to_dataframe()
    events = []
    for _, row in frame.iterrows():
        raw = list(row["raw"] or [])[-runs:]  # the dump holds the warm-up calls too
        if not raw:
            continue
        events.append({"event": row["event_name"], "kind": re.sub(r" #\d+$", "", row["event_name"]),
                       "median_us": float(np.median(raw)) * 1e3})
    return events


def summary(events: list[dict]) -> list[dict]:
    """Per op kind: count and summed median time, slowest kind first (framework events excluded)."""
    kinds: dict[str, dict] = {}
    for e in events:
        if e["kind"] in FRAMEWORK_EVENTS:
            continue
        k = kinds.setdefault(e["kind"], {"kind": e["kind"], "count": 0, "us": 0.0})
        k["count"] += 1
        k["us"] += e["median_us"]
    return sorted(kinds.values(), key=lambda k: -k["us"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.op_profile", description=__doc__.split("\n\n")[0])
    p.add_argument("pte", type=Path)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--json", type=Path, default=None, help="also write the events and the summary here")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    from export.runtime import ArtifactError

    try:
        events = profile(args.pte, args.runs, args.warmup)
    except (ArtifactError, FileNotFoundError, OSError, RuntimeError, ValueError) as e:
        print(f"error: {args.pte}: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    kinds = summary(events)
    ops_us = sum(k["us"] for k in kinds)
    print(f"{args.pte}: {sum(k['count'] for k in kinds)} ops, 1 thread, median of {args.runs} calls per op\n")
    print("| op kind | count | us (sum of medians) | share |")
    print("|---|---:|---:|---:|")
    for k in kinds:
        print(f"| {k['kind']} | {k['count']} | {k['us']:.1f} | {100 * k['us'] / max(ops_us, 1e-9):.1f} % |")
    ops = [e for e in events if e["kind"] not in FRAMEWORK_EVENTS]
    print(f"\nslowest {args.top} ops: " + ", ".join(f"{e['event']} {e['median_us']:.1f} us"
                                                  for e in sorted(ops, key=lambda e: -e["median_us"])[:args.top]))
    for name in ("DELEGATE_CALL", "Method::execute"):
        for e in (e for e in events if e["event"] == name):
            print(f"{name}: {e['median_us']:.1f} us (ops: {ops_us:.1f} us)")
    if args.json:
        args.json.write_text(json.dumps({"file": str(args.pte), "runs": args.runs, "events": events, "kinds": kinds}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
