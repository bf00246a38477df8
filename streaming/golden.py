"""Golden files for the apps' streaming cores: ``python -m streaming.golden [--check]``.

Everything is built from the project's synthetic ECG and hand-made bytes (and bytes copied from
Polar's SDK tests), deterministically, and written to ``golden/streaming/``:

- ``polar_h10_codec.json``, ``movesense_codec.json``: commands, control-point responses and notices,
  multi-part responses, settings blocks, data frames with their decoded values, and bytes that must
  fail with the named error class;
- ``polar_sdk_vectors.json``: the byte vectors of Polar's SDK unit tests (:mod:`streaming.polar_sdk_vectors`),
  each naming its test, with this codec's decode;
- ``sequencer.json``: short frame streams (4-sample H10 frames) in arrival order with the events
  and the ordered chunks the sequencer must produce;
- ``decision.json``: probability sequences with the above-threshold flags and debounced findings;
- ``live_polar_h10.json``, ``live_movesense.json``: whole streams (clean, drop, duplicate, reorder,
  noise, flat line, saturation, a wrong amplitude scale, strap clocks off by 2 % and 5 %, a late frame,
  a malformed frame, a clock jump; Movesense: a drop with the next frame 2 / 3 ms late) through the live loop, with a scripted stand-in for the model
  (``model_outputs``, one per classified window, in order), and per window: status, reason,
  quality, R peaks, heart rate, probabilities, above-threshold classes and shown findings; for the
  clean stream also the raw window (device units) and the model input.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contract.decision import DEBOUNCE_WINDOWS, Debouncer, above_threshold
from contract.heart_rate import r_peaks
from contract.labels import CINC2017
from contract.preprocessing import MODEL_RATE
from contract.synthetic import synthetic_ecg
from streaming import movesense, polar_pmd, polar_sdk_vectors
from streaming.devices import Device, get_device
from streaming.errors import FrameError
from streaming.live import LiveLoop, WindowResult, streaming_numbers
from streaming.sequencer import Event, FrameSequencer
from streaming.simulator import Faults, clock_start, simulate

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "streaming"
LIVE_SECONDS = {"polar-h10": 21.0, "movesense": 16.0}  # three H10 windows, two Movesense ones
DECIMALS = 6


def _round(values, decimals: int = DECIMALS) -> list[float]:
    return [round(float(v), decimals) for v in np.asarray(values, dtype=np.float64).ravel()]


def _error_case(decode, data: bytes) -> dict:
    try:
        decode(data)
    except FrameError as e:
        return {"hex": data.hex(), "error": type(e).__name__, "message": str(e)}
    raise AssertionError(f"{data.hex()} decoded but a golden error case must fail")


def _response_entry(r: polar_pmd.ControlPointResponse) -> dict:
    return {"op": r.op, "measurement_type": r.measurement_type, "status": r.status, "status_text": r.status_text,
            "more": r.more, "settings": _settings_entry(r.settings())}


def _settings_entry(settings: dict) -> dict:
    return {k.name: v for k, v in settings.items()}


def _notice_entry(n: polar_pmd.MeasurementStopped) -> dict:
    return {"measurement_types": list(n.measurement_types), "ecg": n.ecg, "message": n.message}


def _parts_error_case(parts: list[bytes]) -> dict:
    try:
        polar_pmd.join_control_point_responses(parts)
    except FrameError as e:
        return {"parts": [p.hex() for p in parts], "error": type(e).__name__, "message": str(e)}
    raise AssertionError(f"{[p.hex() for p in parts]} joined but a golden error case must fail")


def _polar_control_point() -> dict:
    """Responses, the sensor's stop notices, multi-part responses and settings blocks."""
    response = polar_pmd.encode_control_point_response
    settings_answer = response(polar_pmd.Op.GET_MEASUREMENT_SETTINGS, 0, parameters=bytes.fromhex("0001820001010e00"))
    responses = []
    for data in (settings_answer, response(2, 0), response(2, 0, status=8), response(3, 0, status=6)):
        responses.append({"hex": data.hex(), **_response_entry(polar_pmd.decode_control_point(data))})
    notices = [{"hex": h, **_notice_entry(polar_pmd.decode_control_point(bytes.fromhex(h)))}
               for h in ("0100", "01010000", "0102", "0104")]
    # a get-settings answer in two parts, split inside the sample-rate value
    parts = [response(1, 0, more=True, parameters=bytes.fromhex("000182")),
             response(1, 0, parameters=bytes.fromhex("0001010e00"))]
    joined = polar_pmd.join_control_point_responses(parts)
    join = {"parts": [p.hex() for p in parts], **_response_entry(joined), "parameters_hex": joined.parameters.hex()}
    join_errors = [_parts_error_case(p) for p in (
        [], parts[:1], [response(1, 0, parameters=b"\x00"), parts[1]], [parts[0], response(2, 0, parameters=b"\x01")],
        [parts[0], response(1, 0, status=8)])]
    # every setting type the SDK lists after FACTOR: SECURITY's 16-byte key, the derived-measurement ones
    block = bytes.fromhex("00018200" "0601" "000102030405060708090a0b0c0d0e0f" "07020001" "080102" "09013400"
                          "0a01e8030000" "0b01e8030000" "0c0105")
    return {
        "control_point_responses": responses,
        "control_point_notices": notices,
        "control_point_errors": [_error_case(polar_pmd.decode_control_point, b)
                                 for b in (b"\xf0\x01\x00", b"", b"\x02\x00", b"\x01" + bytes(512))],
        "control_point_joins": [join],
        "control_point_join_errors": join_errors,
        "settings_blocks": [{"hex": block.hex(), "settings": _settings_entry(polar_pmd.decode_settings(block))}],
        "settings_errors": [_error_case(polar_pmd.decode_settings, b) for b in (
            bytes.fromhex("00018200" "0d0100"), bytes.fromhex("0601") + bytes(15))],
    }


def polar_codec() -> dict:
    """Commands, control-point values, frames and failing bytes of the Polar PMD codec."""
    small = np.array([0, 1, -1, 1000, -1000, polar_pmd.SAMPLE_MAX_UV, polar_pmd.SAMPLE_MIN_UV])
    full = np.round(synthetic_ecg(130, 1.0, seed=7)[0, :polar_pmd.H10_SAMPLES_PER_FRAME] * 1000).astype(np.int64)
    frames = []
    for samples, ts in ((small, 1), (full, 820_454_400_000_000_000)):
        data = polar_pmd.encode_ecg_frame(samples, ts)
        f = polar_pmd.decode_ecg_frame(data)
        frames.append({"hex": data.hex(), "timestamp_ns": f.timestamp_ns, "samples_uv": f.samples_uv.tolist()})
    ok = bytes.fromhex(frames[0]["hex"])
    bad = [ok[:9], ok[:10], ok[:-1], bytes([2]) + ok[1:], ok[:9] + b"\x80" + ok[10:], ok[:9] + b"\x03" + ok[10:],
           ok[:9] + b"\x0b" + ok[10:], bytes(10) + bytes(3 * 168), ok[:9] + b"\x0d" + ok[10:], ok[:9] + b"\x0e" + ok[10:]]
    return {
        "source": "Polar BLE SDK (github.com/polarofficial/polar-ble-sdk), Android pmd/*.kt; see streaming/polar_pmd.py",
        "uuids": {"service": polar_pmd.SERVICE_UUID, "control_point": polar_pmd.CONTROL_POINT_UUID,
                  "data": polar_pmd.DATA_UUID},
        "timestamp": "u64 LE ns since 2000-01-01T00:00:00, of the last sample",
        "commands": {"get_settings_ecg": polar_pmd.get_settings_command().hex(),
                     "start_ecg_130hz_14bit": polar_pmd.start_ecg_command().hex(),
                     "stop_ecg": polar_pmd.stop_command().hex()},
        "start_sequence": [c.hex() for c in get_device("polar-h10").start_commands()],
        "stop_sequence": [c.hex() for c in get_device("polar-h10").stop_commands()],
        **_polar_control_point(),
        "ecg_frames": frames,
        "ecg_frame_errors": [_error_case(polar_pmd.decode_ecg_frame, b) for b in bad],
    }


def polar_sdk_cases() -> dict:
    """The byte vectors of Polar's SDK tests (:mod:`streaming.polar_sdk_vectors`) with this codec's decode."""
    def cited(v: polar_sdk_vectors.SdkVector) -> dict:
        return {"repository": polar_sdk_vectors.REPOSITORY, "path": polar_sdk_vectors.TEST_ROOT + v.path,
                "test": v.test, "hex": v.hex, "sdk_asserts": v.sdk_asserts}

    frames, frame_errors, control_point = [], [], []
    for v in polar_sdk_vectors.ECG_FRAMES:
        try:
            f = polar_pmd.decode_ecg_frame(bytes.fromhex(v.hex))
            frames.append({**cited(v), "timestamp_ns": f.timestamp_ns, "samples_uv": f.samples_uv.tolist()})
        except FrameError as e:
            frame_errors.append({**cited(v), "error": type(e).__name__, "message": str(e)})
    for v in polar_sdk_vectors.CONTROL_POINT:
        value = polar_pmd.decode_control_point(bytes.fromhex(v.hex))
        if isinstance(value, polar_pmd.MeasurementStopped):
            control_point.append({**cited(v), "kind": "measurement_stopped", **_notice_entry(value)})
        else:
            control_point.append({**cited(v), "kind": "response", "op": value.op, "measurement_type": value.measurement_type,
                                  "status": value.status, "status_text": value.status_text, "more": value.more,
                                  "parameters_hex": value.parameters.hex()})
    settings = [{**cited(v), "settings": _settings_entry(polar_pmd.decode_settings(bytes.fromhex(v.hex)))}
                for v in polar_sdk_vectors.SETTINGS]
    return {"source": "bytes copied from the unit tests of Polar's BLE SDK (each case names its test); the other "
                      "fields are this codec's decode, sdk_asserts what the SDK test asserts",
            "ecg_frames": frames, "ecg_frame_errors": frame_errors, "control_point": control_point,
            "settings": settings}


def movesense_codec() -> dict:
    """Commands, results, notifications and failing bytes of the Movesense GSP codec."""
    samples = np.round(synthetic_ecg(250, 1.0, seed=8)[0, :movesense.ECG_SAMPLES_PER_NOTIFICATION] * 1000
                       / movesense.UV_PER_LSB).astype(np.int64)
    notes = []
    for s, ts in ((np.array([0, 1, -1, 2 ** 31 - 1, -2 ** 31]), 0), (samples, 10_000)):
        data = movesense.encode_ecg_notification(s, ts)
        n = movesense.decode_ecg_notification(data)
        notes.append({"hex": data.hex(), "reference": n.reference, "timestamp_ms": n.timestamp_ms,
                      "samples": n.samples.tolist()})
    results = []
    for data in (movesense.encode_command_result(99, 200), movesense.encode_command_result(99, 507),
                 bytes([1, 99]) + b"Hello"):
        r = movesense.decode_command_result(data)
        results.append({"hex": data.hex(), "reference": r.reference, "status": r.status, "payload_hex": r.payload.hex()})
    ok = bytes.fromhex(notes[0]["hex"])
    bad = [ok[:1], ok[:6], ok[:-1], bytes([3]) + ok[1:], bytes([1]) + ok[1:], bytes([2, 99]) + bytes(4 + 4 * 127),
           bytes([4]) + ok[1:]]
    return {
        "source": "Movesense gatt_sensordata_app (movesense-device-lib samples) and /Meas/ECG; see streaming/movesense.py",
        "uuids": {"service": movesense.SERVICE_UUID, "command": movesense.COMMAND_UUID, "data": movesense.DATA_UUID},
        "timestamp": "u32 LE ms on the sensor clock, of the first sample",
        "uv_per_lsb": movesense.UV_PER_LSB,
        "commands": {"hello_ref99": movesense.hello_command().hex(),
                     "subscribe_ecg_250hz_ref99": movesense.subscribe_ecg_command(250).hex(),
                     "unsubscribe_ref99": movesense.unsubscribe_command().hex()},
        "start_sequence": [c.hex() for c in get_device("movesense").start_commands()],
        "stop_sequence": [c.hex() for c in get_device("movesense").stop_commands()],
        "command_results": results,
        "ecg_notifications": notes,
        "ecg_notification_errors": [_error_case(movesense.decode_ecg_notification, b) for b in bad],
    }


def _run_sequencer(device: Device, frames: list[bytes]) -> dict:
    seq, events, chunks = FrameSequencer(device), [], []
    for item in [i for f in frames for i in seq.push(f)] + seq.flush():
        if isinstance(item, Event):
            events.append(item.to_dict())
        else:
            chunks.append({"start": item.start, "restart": item.restart,
                           "samples_uv": np.round(item.samples_mv * 1000).astype(int).tolist()})
    return {"frames": [f.hex() for f in frames], "events": events, "chunks": chunks}


def sequencer_cases() -> dict:
    """Arrival orders of 4-sample H10 frames and what the sequencer makes of them."""
    device = Device("polar-h10", "Polar H10", polar_pmd.H10_ECG_RATE, 4)
    start = 820_454_400_000_000_000

    def frame(k: int, clock_shift_ns: int = 0) -> bytes:
        return device.encode(np.arange(4 * k, 4 * k + 4) / 1000.0, 4 * k, start + clock_shift_ns)

    frame_ns = 4 * 10 ** 9 / device.rate
    f = [frame(k) for k in range(8)]
    cases = {
        "in_order": f,
        "drop": f[:3] + f[4:],
        "duplicate": f[:3] + [f[2]] + f[3:],
        "reorder": f[:2] + [f[3], f[2]] + f[4:],
        "late": f[:2] + f[3:6] + [f[2]] + f[6:],
        "bad_frame": f[:3] + [f[3][:-1]] + f[4:],
        "clock_jump_forward": f[:4] + [frame(k, 60 * 10 ** 9) for k in range(4, 8)],
        "clock_jump_back": f[:4] + [frame(k, -60 * 10 ** 9) for k in range(4, 8)],
        # backward steps within the jump limit: onto held-back frames, onto released ones, and by
        # exactly one frame (same timestamp as the previous frame, other bytes: not a duplicate)
        "clock_step_back_held": f[:6] + [frame(k, -round(1.25 * frame_ns)) for k in range(6, 10)],
        "clock_step_back_released": f[:6] + [frame(k, -round(4 * frame_ns)) for k in range(6, 10)],
        "clock_step_back_one_frame": f[:6] + [frame(k, -round(frame_ns)) for k in range(6, 10)],
    }
    return {"device": {"name": device.name, "rate_hz": device.rate, "samples_per_frame": 4},
            "numbers": streaming_numbers(device)["sequencer"],
            "cases": {name: _run_sequencer(device, frames) for name, frames in cases.items()}}


def decision_cases() -> dict:
    """Probability sequences (``null`` = a rejected window) through thresholds and the debounce."""
    sequences = {
        "single_label": (False, [0.5, 0.5, 0.5, 0.5], [
            [0.1, 0.8, 0.05, 0.05], [0.2, 0.6, 0.1, 0.1], [0.3, 0.4, 0.2, 0.1], [0.1, 0.7, 0.1, 0.1],
            [0.1, 0.7, 0.1, 0.1], None, [0.1, 0.7, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.45, 0.45, 0.05, 0.05]]),
        # the shipped cinc2017 thresholds: AF (index 1) favoured by a lower threshold
        "single_label_scaled": (False, [0.25, 0.07, 0.25, 0.25], [
            [0.6, 0.1, 0.25, 0.05], [0.7, 0.2, 0.05, 0.05], [0.5, 0.2, 0.2, 0.1], [0.9, 0.02, 0.04, 0.04],
            [0.3, 0.05, 0.6, 0.05]]),
        "multi_label": (True, [0.3, 0.5, 0.7], [
            [0.4, 0.6, 0.1], [0.35, 0.2, 0.8], [0.31, 0.6, 0.7], None, [0.9, 0.9, 0.9], [0.9, 0.49, 0.9],
            [0.29, 0.5, 0.7]]),
    }
    cases = {}
    for name, (multi, thresholds, seq) in sequences.items():
        deb, steps = Debouncer(len(thresholds)), []
        for probs in seq:
            if probs is None:
                steps.append({"probabilities": None, "above": None, "shown": deb.reset(), "counts": deb.counts})
            else:
                above = above_threshold(probs, thresholds, multi)
                steps.append({"probabilities": probs, "above": above, "shown": deb.update(above), "counts": deb.counts})
        cases[name] = {"multi_label": multi, "thresholds": thresholds, "steps": steps}
    return {"debounce_windows": DEBOUNCE_WINDOWS, "cases": cases}


@dataclass
class ScriptedClassifier:
    """A stand-in model for golden streams: returns ``outputs`` in turn, one per classified window."""

    outputs: list[list[float]]
    codes: list[str]
    thresholds: list[float]
    leads: list[str]
    multi_label: bool
    name: str = "scripted"
    calls: int = 0

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        p = self.outputs[self.calls % len(self.outputs)]
        self.calls += 1
        return np.asarray(p, dtype=np.float64)


MODEL_OUTPUTS = [[0.2, 0.7, 0.05, 0.05], [0.1, 0.8, 0.05, 0.05], [0.45, 0.35, 0.1, 0.1]]  # the last: argmax below 0.5


def _stand_in() -> ScriptedClassifier:
    return ScriptedClassifier(outputs=MODEL_OUTPUTS, codes=CINC2017.codes, thresholds=[0.5] * 4,
                              leads=list(CINC2017.leads), multi_label=False)


def _window_entry(r: WindowResult, device: Device, with_signals: bool) -> dict:
    d = r.to_dict()
    d["probabilities"] = None if r.probabilities is None else _round(r.probabilities)
    if r.preprocessed is not None:
        d["lead_std"] = _round(r.preprocessed.lead_std)
        d["r_peaks"] = r_peaks(r.preprocessed.filtered[0], MODEL_RATE) if r.status == "classified" else None
        if with_signals:
            units = 1000.0 if device.name == "polar-h10" else 1000.0 / movesense.UV_PER_LSB
            d["raw"] = np.round(r.window.samples_mv * units).astype(int).tolist()
            d["model_input"] = _round(r.preprocessed.window)
    return d


def _reencoded(device: Device, signal_mv: np.ndarray, drop: tuple[int, ...] = (), shift: dict[int, int] | None = None,
               shift_from: tuple[int, int] | None = None) -> list[bytes]:
    """Clean frames re-encoded with edits: frames ``drop`` left out, frame ``k``'s clock moved by
    ``shift[k]``, every frame from ``shift_from[0]`` on moved by ``shift_from[1]`` (device clock units)."""
    n, shift = device.samples_per_frame, shift or {}
    out = []
    for k, i in enumerate(range(0, signal_mv.size, n)):
        if k in drop:
            continue
        moved = shift.get(k, 0) + (shift_from[1] if shift_from and k >= shift_from[0] else 0)
        out.append(device.encode(signal_mv[i:i + n], i, clock_start(device) + moved))
    return out


def _edited_streams(device: Device, signal_mv: np.ndarray) -> dict[str, tuple[str, list[bytes]]]:
    """Streams made from the clean one by hand: name -> (what was done, frames)."""
    if device.name == "movesense":
        # the gap is 16 + ms / 4 samples: 16.5 at 2 ms, counted with live.sequencer.gap_rounding on the
        # float lateness the sequencer computes (16.4999... here, so 16; 3 ms gives 16.75, so 17)
        return {f"drop_jitter_{ms}ms": (f"frame 10 dropped, frame 11 {ms} ms late",
                                        _reencoded(device, signal_mv, drop=(10,), shift={11: ms})) for ms in (2, 3)}
    clean = simulate(device, signal_mv)
    return {
        "late_frame": ("frame 6 delivered after frame 9 (beyond the reorder depth)",
                       clean[:6] + clean[7:10] + [clean[6]] + clean[10:]),
        "malformed_frame": ("frame 6 cut by 5 bytes", clean[:6] + [clean[6][:-5]] + clean[7:]),
        "clock_jump": ("the clock 60 s ahead from frame 20 on", _reencoded(device, signal_mv, shift_from=(20, 60 * 10 ** 9))),
    }


def live_cases(device: Device) -> dict:
    """Whole synthetic streams with faults through the live loop and a scripted stand-in model."""
    signal = synthetic_ecg(device.rate, LIVE_SECONDS[device.name], heart_rate=72, seed=11)[0]
    if device.name == "polar-h10":
        faults = {
            "clean": Faults(),
            "drop": Faults(drop=0.03, seed=6),  # drops frame 6 only: window 0 is rejected, 1 and 2 are not
            "duplicate": Faults(duplicate=0.1, seed=4),
            "reorder": Faults(reorder=0.15, seed=5),
            "noise": Faults(noise_mv=0.6, seed=6),
            "flatline": Faults(flatlines=((6.0, 9.0),)),
            "saturation": Faults(saturate_mv=0.6),
            "amplitude": Faults(gain=30.0),  # a 1 mV ECG read 30 times too large: beyond the H10's ±20 mV
            # a strap whose clock is off (H10: ±2 %, ±5 % over temperature): contiguous, a drop still a gap
            "drift_minus_2pct": Faults(clock_error=-0.02),
            "drift_plus_2pct": Faults(clock_error=0.02),
            "drift_minus_5pct": Faults(clock_error=-0.05),
            "drift_plus_5pct_drop": Faults(clock_error=0.05, drop=0.03, seed=6),
        }
    else:
        faults = {"clean": Faults(), "drop": Faults(drop=0.01, seed=3)}  # drops frame 10 only
    edited = _edited_streams(device, signal)
    cases = {}
    for name in [*faults, *edited]:
        f = faults.get(name, Faults())
        frames = simulate(device, signal, f) if name in faults else edited[name][1]
        loop = LiveLoop(device, _stand_in())
        items = [i for data in frames for i in loop.feed(data)] + loop.finish()
        cases[name] = {
            **({"edit": edited[name][0]} if name in edited else {}),
            "faults": {"drop": f.drop, "duplicate": f.duplicate, "reorder": f.reorder, "noise_mv": f.noise_mv,
                       "flatlines": [list(x) for x in f.flatlines], "saturate_mv": f.saturate_mv, "gain": f.gain,
                       "clock_error": f.clock_error,
                       "seed": f.seed},
            "frames": [x.hex() for x in frames],
            "events": [i.to_dict() for i in items if isinstance(i, Event)],
            "windows": [_window_entry(i, device, name == "clean") for i in items if isinstance(i, WindowResult)],
        }
    return {
        "device": device.name, "rate_hz": device.rate, "numbers": streaming_numbers(device),
        "model": {"codes": CINC2017.codes, "thresholds": [0.5] * 4, "multi_label": False,
                  "model_outputs": MODEL_OUTPUTS, "note": "outputs are used in turn, one per classified window"},
        "raw_units": "uV" if device.name == "polar-h10" else f"LSB of {movesense.UV_PER_LSB} uV",
        "cases": cases,
    }


def build_all() -> dict[str, str]:
    """File name -> JSON text of every golden file."""
    docs = {
        "polar_h10_codec.json": polar_codec(),
        "movesense_codec.json": movesense_codec(),
        "polar_sdk_vectors.json": polar_sdk_cases(),
        "sequencer.json": sequencer_cases(),
        "decision.json": decision_cases(),
        "live_polar_h10.json": live_cases(get_device("polar-h10")),
        "live_movesense.json": live_cases(get_device("movesense")),
    }
    return {name: json.dumps(doc, separators=(",", ":"), sort_keys=False) + "\n" for name, doc in docs.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streaming.golden", description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    p.add_argument("--dir", type=Path, default=GOLDEN_DIR, help="where the files live")
    args = p.parse_args(argv)
    stale = []
    for name, text in build_all().items():
        path = args.dir / name
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.stderr.write(f"error: golden files differ from the generator: {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
