"""``python -m streaming``: ``simulate`` a patch's frame stream, ``stream`` frames through the live loop.

``stream --probabilities FILE`` replaces the model with recorded outputs (a JSON object with
``codes``, ``thresholds``, ``multi_label`` and ``outputs``, one row per classified window in turn,
like the golden live files' scripted model), so that a port's loop can be compared with this one
on the same bytes; ``--emit-input`` adds each window's model input (``min``, ``max``, ``mean``,
``sum_abs``; with ``=full`` also its ``values``).

Errors in the input (missing files, malformed frames, unknown devices, a model the device cannot
feed) print one line, ``error: ...``, to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from contract.arguments import OneLineParser, positive_float
from contract.live import HOP_SECONDS
from contract.output_files import atomic_text_file
from contract.preprocessing import PreprocessingError
from streaming.classifier import check_pairing, load_classifier
from streaming.devices import DEVICE_NAMES, Device, get_device
from streaming.errors import InputError, StreamError
from streaming.frame_file import read_frames, write_frames
from streaming.golden import ScriptedClassifier
from streaming.live import LiveLoop, WindowResult
from streaming.records import load_signal
from streaming.sequencer import Event
from streaming.simulator import Faults, parse_flatline, simulate


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m streaming", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    def source_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--device", required=True, help=f"one of: {', '.join(DEVICE_NAMES)}")
        sp.add_argument("--rate", type=int, help="Movesense ECG rate in Hz (default 250; the H10 is always 130)")
        sp.add_argument("--lead", help="lead of a WFDB record to stream (default I, else the first)")
        sp.add_argument("--drop", type=float, default=0.0, help="probability a frame is lost")
        sp.add_argument("--duplicate", type=float, default=0.0, help="probability a frame is delivered twice")
        sp.add_argument("--reorder", type=float, default=0.0, help="probability a frame swaps with the next")
        sp.add_argument("--noise", type=float, default=0.0, help="white noise added, mV (std)")
        sp.add_argument("--flatline", action="append", default=[], metavar="S:E",
                        help="hold the signal at 0 mV from S to E seconds (repeatable)")
        sp.add_argument("--saturate", type=float, help="clip the signal at +/- this many mV")
        sp.add_argument("--gain", type=float, default=1.0, help="scale the signal (a sensor's wrong scale)")
        sp.add_argument("--clock-error", type=float, default=0.0,
                        help="the sensor samples at rate x (1 + this) while its timestamps keep time (0.02: 2 %% fast)")
        sp.add_argument("--seed", type=int, default=0, help="seed of the faults' random generator")
        sp.add_argument("--out", help="write here instead of stdout")

    sim = sub.add_parser("simulate", help="write the frame stream a device would send, as hex lines")
    source_args(sim)
    sim.add_argument("--record", required=True, help="WFDB record path, or synthetic[:key=value,...]")

    st = sub.add_parser("stream", help="run frames through the live loop; one JSON line per event or window")
    source_args(st)
    src = st.add_mutually_exclusive_group(required=True)
    src.add_argument("--record", help="simulate this record (WFDB path or synthetic[:...]) with the faults given")
    src.add_argument("--frames", help="a hex frame file written by 'simulate' (no fault or --lead options then)")
    model = st.add_mutually_exclusive_group(required=True)
    model.add_argument("--model", help="checkpoint bundle folder, or an ExecuTorch .pte")
    model.add_argument("--probabilities", metavar="FILE",
                       help='recorded outputs instead of a model: JSON {"codes": [...], "thresholds": [...], '
                            '"multi_label": bool, "outputs": [[...], ...]} (optional "leads"); one row per '
                            'classified window in turn, reused from the first when they run out')
    st.add_argument("--hop", type=positive_float, default=HOP_SECONDS, help="seconds between window starts")
    st.add_argument("--emit-input", nargs="?", const="summary", choices=("summary", "full"),
                    help='add "input" to each window line: min, max, mean, sum_abs of the float32 model input '
                         '(6 decimals; null when not preprocessed); =full adds its "values"')
    return p


def faults_from(args: argparse.Namespace) -> Faults:
    return Faults(drop=args.drop, duplicate=args.duplicate, reorder=args.reorder, noise_mv=args.noise,
                  flatlines=tuple(parse_flatline(f) for f in args.flatline), saturate_mv=args.saturate, gain=args.gain,
                  clock_error=args.clock_error,
                  seed=args.seed)


def simulated_frames(args: argparse.Namespace, device: Device) -> list[bytes]:
    faults = faults_from(args)
    return simulate(device, load_signal(args.record, device.rate, args.lead), faults)


def run_simulate(args: argparse.Namespace, out: TextIO) -> int:
    device = get_device(args.device, args.rate)
    frames = simulated_frames(args, device)
    write_frames(out, frames, f"device={device.name} rate={device.rate} record={args.record} frames={len(frames)}")
    return 0


def load_probabilities(path: str, device: Device) -> ScriptedClassifier:
    """The ``--probabilities`` file as a scripted classifier; a malformed file is one :class:`InputError`."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise InputError(f"probabilities {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"probabilities {path}: not a JSON file ({type(e).__name__})") from None

    def numbers(row, what: str) -> list[float]:
        if (not isinstance(row, list) or len(row) != len(codes)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)):
            raise InputError(f"probabilities {path}: {what} must be {len(codes)} numbers, one per code")
        return [float(v) for v in row]

    codes = doc.get("codes") if isinstance(doc, dict) else None
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise InputError(f"probabilities {path}: 'codes' must be a non-empty list of strings")
    if not isinstance(doc.get("multi_label"), bool):
        raise InputError(f"probabilities {path}: 'multi_label' must be true or false")
    outputs = doc.get("outputs")
    if not isinstance(outputs, list) or not outputs:
        raise InputError(f"probabilities {path}: 'outputs' must be a non-empty list of rows")
    leads = doc.get("leads", [f"lead {i + 1}" for i in range(device.leads)])
    return ScriptedClassifier(outputs=[numbers(r, f"outputs row {i}") for i, r in enumerate(outputs)], codes=codes,
                              thresholds=numbers(doc.get("thresholds"), "'thresholds'"), leads=list(leads),
                              multi_label=doc["multi_label"], name=f"probabilities {path}")


def run_stream(args: argparse.Namespace, out: TextIO) -> int:
    device = get_device(args.device, args.rate)
    if args.frames and (faults_from(args) != Faults(seed=args.seed) or args.lead):
        raise InputError("fault and --lead options apply to --record; a --frames file is streamed as it is")
    classifier = load_classifier(args.model) if args.model else load_probabilities(args.probabilities, device)
    check_pairing(classifier, device)
    frames = read_frames(args.frames) if args.frames else simulated_frames(args, device)
    loop = LiveLoop(device, classifier, args.hop)
    decoded = 0
    for data in frames:
        items = loop.feed(data)
        decoded += not any(isinstance(i, Event) and i.kind == "bad_frame" for i in items)
        for item in items:
            out.write(json.dumps(line(item, args.emit_input)) + "\n")
    for item in loop.finish():
        out.write(json.dumps(line(item, args.emit_input)) + "\n")
    if decoded == 0:
        raise InputError(f"none of the {len(frames)} frames decodes as {device.label} ECG")
    if loop.cutter.count == 0:
        n, need = loop.sequencer.next_index, loop.cutter.need
        what = "shorter than one window" if n < need else "cut by clock jumps into pieces shorter than one window"
        raise InputError(f"stream of {n / device.rate:.1f} s ({n} samples at {device.rate} Hz) is {what} "
                         f"({need} samples): nothing to classify")
    return 0


def line(item: Event | WindowResult, emit_input: str | None) -> dict:
    """One output line: an event, or a window (with its model input when asked)."""
    return item.to_dict() if isinstance(item, Event) else item.to_dict(emit_input)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = run_simulate if args.command == "simulate" else run_stream
    try:
        if args.out:
            with atomic_text_file(args.out) as out:  # a failed run leaves no empty or partial file
                return run(args, out)
        return run(args, sys.stdout)
    except (StreamError, PreprocessingError, OSError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
