"""``python -m streaming``: ``simulate`` a patch's frame stream, ``stream`` frames through the live loop.

Errors in the input (missing files, malformed frames, unknown devices, a model the device cannot
feed) print one line, ``error: ...``, to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn, TextIO

from streaming.classifier import check_pairing, load_classifier
from streaming.devices import DEVICE_NAMES, Device, get_device
from streaming.errors import InputError, StreamError
from streaming.frame_file import read_frames, write_frames
from streaming.live import HOP_SECONDS, LiveLoop
from streaming.records import load_signal
from streaming.sequencer import Event
from streaming.simulator import Faults, parse_flatline, simulate
from training.preprocessing import PreprocessingError


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


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
    st.add_argument("--model", required=True, help="checkpoint bundle folder, or an ExecuTorch .pte")
    st.add_argument("--hop", type=float, default=HOP_SECONDS, help="seconds between window starts")
    return p


def faults_from(args: argparse.Namespace) -> Faults:
    return Faults(drop=args.drop, duplicate=args.duplicate, reorder=args.reorder, noise_mv=args.noise,
                  flatlines=tuple(parse_flatline(f) for f in args.flatline), saturate_mv=args.saturate, seed=args.seed)


def simulated_frames(args: argparse.Namespace, device: Device) -> list[bytes]:
    faults = faults_from(args)
    return simulate(device, load_signal(args.record, device.rate, args.lead), faults)


def run_simulate(args: argparse.Namespace, out: TextIO) -> int:
    device = get_device(args.device, args.rate)
    frames = simulated_frames(args, device)
    write_frames(out, frames, f"device={device.name} rate={device.rate} record={args.record} frames={len(frames)}")
    return 0


def run_stream(args: argparse.Namespace, out: TextIO) -> int:
    device = get_device(args.device, args.rate)
    if args.hop <= 0:
        raise InputError(f"--hop {args.hop}: must be > 0 seconds")
    if args.frames and (faults_from(args) != Faults(seed=args.seed) or args.lead):
        raise InputError("fault and --lead options apply to --record; a --frames file is streamed as it is")
    classifier = load_classifier(args.model)
    check_pairing(classifier, device)
    frames = read_frames(args.frames) if args.frames else simulated_frames(args, device)
    loop = LiveLoop(device, classifier, args.hop)
    decoded = 0
    for data in frames:
        items = loop.feed(data)
        decoded += not any(isinstance(i, Event) and i.kind == "bad_frame" for i in items)
        for item in items:
            out.write(json.dumps(item.to_dict()) + "\n")
    for item in loop.finish():
        out.write(json.dumps(item.to_dict()) + "\n")
    if decoded == 0:
        raise InputError(f"none of the {len(frames)} frames decodes as {device.label} ECG")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = run_simulate if args.command == "simulate" else run_stream
    try:
        if args.out:
            with open(args.out, "w") as out:
                return run(args, out)
        return run(args, sys.stdout)
    except (StreamError, PreprocessingError, OSError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
