"""The Swift headless runner (``ios_demo``'s ``ecg-stream``) against ``python -m streaming stream``
on the same bytes: synthetic and real CinC 2017 streams with drops, duplicates, reorders, noise,
bad frames and a clock jump; every line equal (floats to 1e-4).

Skipped when the Swift build output is absent (``ios_demo/test.sh`` builds it)."""
from __future__ import annotations

import csv
import json
import math
import subprocess
from pathlib import Path

import pytest

from contract.decision import decision_section
from contract.manifest import SCHEMA_VERSION, artifact_entry, write
from contract.preprocessing import contract_numbers
from contract.live import live_numbers
from streaming.cli import main
from streaming.devices import get_device
from streaming.frame_file import write_frames
from streaming.records import load_signal
from streaming.simulator import Faults, simulate

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "ios_demo" / ".build" / "debug" / "ecg-stream"
CINC = ROOT.parent / "shared" / "data" / "cinc2017" / "training"
GOLDEN_MODEL = json.loads((ROOT / "golden" / "streaming" / "live_polar_h10.json").read_text())["model"]
TOLERANCE = 1e-4

pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason=f"Swift runner not built ({RUNNER}): run ios_demo/test.sh")


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory) -> Path:
    """A schema-valid one-lead manifest with this tree's preprocessing and live numbers, around a
    stand-in ``.mlpackage`` folder (so the Swift side checks a tree digest Python wrote)."""
    folder = tmp_path_factory.mktemp("manifest")
    package = folder / "standin.mlpackage"
    (package / "Data" / "com.apple.CoreML").mkdir(parents=True)
    (package / "Manifest.json").write_text('{"stand-in": true}\n')
    (package / "Data" / "com.apple.CoreML" / "model.mlmodel").write_bytes(bytes(range(256)) * 3)
    pre = contract_numbers()
    codes = GOLDEN_MODEL["codes"]
    write({
        "schema_version": SCHEMA_VERSION,
        "model": {"name": "standin", "version": "1", "architecture": "none", "kwargs": {}, "parameters": 1},
        "task": {"name": "cinc2017", "multi_label": False},
        "labels": [{"code": c, "name": c, "snomed_ct": [], "threshold": 0.5} for c in codes],
        "leads": ["I"], "sample_rate_hz": pre["model_rate_hz"],
        "window": {"samples": pre["window_samples"], "seconds": pre["window_seconds"]},
        "input": {"name": "ecg", "dtype": "float32", "shape": [1, 1, pre["window_samples"]]},
        "output": {"name": "probabilities", "dtype": "float32", "shape": [1, len(codes)]},
        "preprocessing": pre,
        "decision": decision_section(False, "~"),
        "live": live_numbers(),
        "artifacts": [artifact_entry(package, "coreml-mlprogram", "fp16")],
        "metrics": {}, "provenance": {},
        "tools": {"torch": "-", "executorch": "-", "coremltools": "-", "numpy": "-"},
    }, folder)
    return folder


@pytest.fixture(scope="module")
def probabilities(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("probabilities") / "probabilities.json"
    path.write_text(json.dumps({"codes": GOLDEN_MODEL["codes"], "thresholds": GOLDEN_MODEL["thresholds"],
                                "multi_label": GOLDEN_MODEL["multi_label"],
                                "outputs": GOLDEN_MODEL["model_outputs"] + [[0.05, 0.05, 0.1, 0.8]]}))
    return path


def assert_same(got, want, where: str) -> None:
    """Equal JSON values; floats (and ints against floats) within TOLERANCE."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got} != {want}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{where}: {got!r} != {want!r}"
        assert math.isclose(got, want, rel_tol=0, abs_tol=TOLERANCE), f"{where}: {got} != {want}"
    else:
        assert got == want and type(got) is type(want), f"{where}: {got!r} != {want!r}"


def run_both(frames_path: Path, device: str, manifest: Path, probs: Path, capsys) -> tuple[list[str], int]:
    """Both runners on one frame file; assert equal output and status; the lines and the status."""
    name, _, rate = device.partition("@")
    py_args = ["stream", "--device", name, "--frames", str(frames_path), "--probabilities", str(probs), "--emit-input"]
    status = main(py_args + (["--rate", rate] if rate else []))
    captured = capsys.readouterr()
    swift = subprocess.run([str(RUNNER), "stream", "--device", device, "--frames", str(frames_path),
                            "--manifest", str(manifest), "--probabilities", str(probs), "--emit-input"],
                           capture_output=True, text=True, timeout=120)
    assert swift.returncode == status, swift.stderr
    if status != 0:
        assert swift.stderr == captured.err and swift.stderr.count("\n") == 1
        return [], status
    py_lines, swift_lines = captured.out.splitlines(), swift.stdout.splitlines()
    assert len(swift_lines) == len(py_lines), f"{len(swift_lines)} Swift lines, {len(py_lines)} Python lines"
    for i, (s, p) in enumerate(zip(swift_lines, py_lines)):
        assert_same(json.loads(s), json.loads(p), f"{frames_path.name} line {i}")
    return py_lines, status


def frame_file(tmp_path: Path, name: str, frames: list[bytes]) -> Path:
    path = tmp_path / f"{name}.hex"
    with path.open("w") as out:
        write_frames(out, frames, name)
    return path


def kinds(lines: list[str]) -> set[str]:
    return {json.loads(line).get("event") or json.loads(line)["status"] for line in lines}


@pytest.mark.parametrize("device, faults", [
    ("polar-h10", Faults(drop=0.03, duplicate=0.03, reorder=0.05, noise_mv=0.05, seed=1)),
    ("polar-h10", Faults(noise_mv=0.3, flatlines=((12.0, 15.0),), saturate_mv=1.0, seed=2)),
    ("movesense@250", Faults(drop=0.02, duplicate=0.02, reorder=0.05, noise_mv=0.05, seed=3)),
    ("movesense@512", Faults(drop=0.01, reorder=0.03, seed=4)),
    # a strap clock 5 % slow / 4 % fast with drops (#12): the estimated rate must be the same in both languages
    ("polar-h10", Faults(clock_error=-0.05, drop=0.03, reorder=0.05, seed=5)),
    ("movesense@250", Faults(clock_error=0.04, drop=0.02, seed=6)),
])
def test_synthetic_streams_with_faults(tmp_path, capsys, manifest_dir, probabilities, device, faults):
    name, _, rate = device.partition("@")
    dev = get_device(name, int(rate) if rate else None)
    frames = simulate(dev, load_signal("synthetic:seconds=60", dev.rate), faults)
    # a bad notification, an unknown measurement type, and a replay of the start (a clock jump back)
    frames = frames[:5] + [b"\x00\x01", bytes([2]) + frames[5][1:]] + frames[5:] + frames[:30]
    lines, _ = run_both(frame_file(tmp_path, f"{name}-{faults.seed}", frames), device, manifest_dir, probabilities, capsys)
    assert {"bad_frame", "clock_jump"} <= kinds(lines) and kinds(lines) & {"classified", "rejected"}


def cinc_records(count: int) -> list[Path]:
    reference = CINC / "REFERENCE.csv"
    if not reference.is_file():
        pytest.skip(f"real CinC 2017 data not found at {CINC}")
    with reference.open() as f:
        rows = list(csv.reader(f))
    picked = {}
    for record, label in rows:  # one record of each class that is present
        if label not in picked and (CINC / f"{record}.hea").is_file():
            picked[label] = CINC / record
    return list(picked.values())[:count]


@pytest.mark.parametrize("device", ["polar-h10", "movesense@256"])
def test_real_cinc_records_with_faults(tmp_path, capsys, manifest_dir, probabilities, device):
    name, _, rate = device.partition("@")
    dev = get_device(name, int(rate) if rate else None)
    compared = 0
    for k, record in enumerate(cinc_records(4)):
        frames = simulate(dev, load_signal(str(record), dev.rate),
                          Faults(drop=0.02, duplicate=0.02, reorder=0.04, noise_mv=0.02, seed=k))
        lines, _ = run_both(frame_file(tmp_path, record.name, frames), device, manifest_dir, probabilities, capsys)
        compared += len(lines)
    assert compared > 0


def test_no_decodable_frame_is_the_same_one_line_error(tmp_path, capsys, manifest_dir, probabilities):
    path = frame_file(tmp_path, "garbage", [b"\x01\x02\x03", bytes(600)])
    _, status = run_both(path, "polar-h10", manifest_dir, probabilities, capsys)
    assert status == 2
