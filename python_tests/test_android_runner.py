"""``stream --probabilities`` / ``--emit-input`` (what ports compare against), and the Kotlin headless
runner (``android_demo/core``'s ``StreamRunner``) against ``python -m streaming stream`` on the same
bytes: synthetic and real CinC 2017 streams with drops, duplicates, reorders, noise, bad frames and
a clock jump; every line equal (floats to 1e-4).

The Kotlin comparisons are skipped when the runner jar is absent (``android_demo/core/test.sh`` builds it)."""
import csv
import json
import math
import shutil
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
GOLDEN = ROOT / "golden" / "streaming"
KOTLIN_JAR = ROOT / "android_demo" / "core" / "build" / "lamscn-core.jar"
CINC = ROOT.parent / "shared" / "data" / "cinc2017" / "training"
TOLERANCE = 1e-4
needs_kotlin = pytest.mark.skipif(not KOTLIN_JAR.is_file() or shutil.which("java") is None,
                                  reason=f"Kotlin runner not built ({KOTLIN_JAR}): run android_demo/core/test.sh")


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def golden_stream(tmp_path: Path, device: str, case: str) -> tuple[dict, Path, Path]:
    """A golden live case's frames and its scripted model as the files ``stream`` reads."""
    doc = json.loads((GOLDEN / f"live_{device.replace('-', '_')}.json").read_text())
    frames = tmp_path / f"{case}.hex"
    frames.write_text("# golden\n" + "\n".join(doc["cases"][case]["frames"]) + "\n")
    probs = tmp_path / "probabilities.json"
    m = doc["model"]
    probs.write_text(json.dumps({"codes": m["codes"], "thresholds": m["thresholds"], "multi_label": m["multi_label"],
                                 "outputs": m["model_outputs"]}))
    return doc, frames, probs


@pytest.mark.parametrize("case", ["clean", "drop", "flatline"])
def test_probabilities_file_replays_the_golden_live_stream(tmp_path, capsys, case):
    doc, frames, probs = golden_stream(tmp_path, "polar-h10", case)
    assert main(["stream", "--device", "polar-h10", "--frames", str(frames), "--probabilities", str(probs),
                 "--emit-input=full"]) == 0
    out = lines(capsys.readouterr().out)
    expected = doc["cases"][case]
    assert [o for o in out if "event" in o] == expected["events"]
    windows = [o for o in out if "window" in o]
    assert len(windows) == len(expected["windows"])
    for got, want in zip(windows, expected["windows"]):
        for key in ("window", "start_sample", "status", "reason", "heart_rate_bpm", "above", "findings"):
            assert got[key] == want[key], key
        if want.get("model_input") is not None:
            assert max(abs(a - b) for a, b in zip(got["input"]["values"], want["model_input"])) <= 1e-6
            assert got["input"]["max"] == pytest.approx(max(want["model_input"]), abs=1e-6)
        if want["status"] == "rejected" and want["reason"] == "gap":
            assert got["input"] is None


def test_emit_input_summary_has_no_values_and_default_lines_have_no_input(tmp_path, capsys):
    _, frames, probs = golden_stream(tmp_path, "movesense", "clean")
    assert main(["stream", "--device", "movesense", "--frames", str(frames), "--probabilities", str(probs),
                 "--emit-input"]) == 0
    windows = [o for o in lines(capsys.readouterr().out) if "window" in o]
    assert windows and all(set(w["input"]) == {"min", "max", "mean", "sum_abs"} for w in windows)
    assert main(["stream", "--device", "movesense", "--frames", str(frames), "--probabilities", str(probs)]) == 0
    assert all("input" not in o for o in lines(capsys.readouterr().out))


@pytest.mark.parametrize("content, words", [
    ("{", "not a JSON file"),
    ('{"codes": [], "thresholds": [], "multi_label": false, "outputs": [[]]}', "'codes' must be"),
    ('{"codes": ["N"], "thresholds": [0.5], "multi_label": 1, "outputs": [[0.1]]}', "'multi_label'"),
    ('{"codes": ["N", "A"], "thresholds": [0.5, 0.5], "multi_label": false, "outputs": [[0.1]]}', "outputs row 0"),
    ('{"codes": ["N"], "thresholds": [0.5], "multi_label": false, "outputs": []}', "'outputs' must be"),
])
def test_bad_probabilities_file_is_one_line(tmp_path, capsys, content, words):
    _, frames, _ = golden_stream(tmp_path, "polar-h10", "clean")
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["stream", "--device", "polar-h10", "--frames", str(frames), "--probabilities", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and words in err


GOLDEN_MODEL = json.loads((GOLDEN / "live_polar_h10.json").read_text())["model"]


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory) -> Path:
    """A schema-valid one-lead manifest with this tree's preprocessing and live numbers around a
    stand-in ``.pte`` (the Kotlin reader checks its sha256 as the app does)."""
    folder = tmp_path_factory.mktemp("manifest")
    (folder / "standin.pte").write_bytes(bytes(range(256)) * 5)
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
        "artifacts": [artifact_entry(folder / "standin.pte", "executorch-xnnpack", "fp32")],
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
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{where}: {got!r} != {want!r}"
        assert math.isclose(got, want, rel_tol=0, abs_tol=TOLERANCE), f"{where}: {got} != {want}"
    else:
        assert got == want and type(got) is type(want), f"{where}: {got!r} != {want!r}"


def run_both(frames_path: Path, device: str, manifest: Path, probs: Path, capsys) -> tuple[list[str], int]:
    """Python and the Kotlin runner on one frame file: equal status and lines (or the same one-line error)."""
    name, _, rate = device.partition("@")
    status = main(["stream", "--device", name, "--frames", str(frames_path), "--probabilities", str(probs),
                   "--emit-input"] + (["--rate", rate] if rate else []))
    captured = capsys.readouterr()
    kotlin = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-jar", str(KOTLIN_JAR), "stream", "--device", device,
                             "--frames", str(frames_path), "--manifest", str(manifest), "--probabilities", str(probs),
                             "--emit-input"], capture_output=True, text=True, timeout=180)
    assert kotlin.returncode == status, kotlin.stderr
    if status != 0:
        assert kotlin.stderr == captured.err and kotlin.stderr.count("\n") == 1
        return [], status
    py_lines, kt_lines = captured.out.splitlines(), kotlin.stdout.splitlines()
    assert len(kt_lines) == len(py_lines), f"{len(kt_lines)} Kotlin lines, {len(py_lines)} Python lines"
    for i, (k, p) in enumerate(zip(kt_lines, py_lines)):
        assert_same(json.loads(k), json.loads(p), f"{frames_path.name} line {i}")
    return py_lines, status


def frame_file(tmp_path: Path, name: str, frames: list[bytes]) -> Path:
    path = tmp_path / f"{name}.hex"
    with path.open("w") as out:
        write_frames(out, frames, name)
    return path


def kinds(lines: list[str]) -> set[str]:
    return {json.loads(line).get("event") or json.loads(line)["status"] for line in lines}


@needs_kotlin
@pytest.mark.parametrize("device, faults", [
    ("polar-h10", Faults(drop=0.03, duplicate=0.03, reorder=0.05, noise_mv=0.05, seed=1)),
    ("polar-h10", Faults(noise_mv=0.3, flatlines=((12.0, 15.0),), saturate_mv=1.0, seed=2)),
    ("movesense@250", Faults(drop=0.02, duplicate=0.02, reorder=0.05, noise_mv=0.05, seed=3)),
    ("movesense@128", Faults(drop=0.01, reorder=0.03, seed=4)),
    # a strap clock 5 % slow / 4 % fast with drops (#12): the estimated rate must be the same in both languages
    ("polar-h10", Faults(clock_error=-0.05, drop=0.03, reorder=0.05, seed=5)),
    ("movesense@250", Faults(clock_error=0.04, drop=0.02, seed=6)),
])
def test_kotlin_runner_matches_python_on_synthetic_streams(tmp_path, capsys, manifest_dir, probabilities, device,
                                                           faults):
    name, _, rate = device.partition("@")
    dev = get_device(name, int(rate) if rate else None)
    frames = simulate(dev, load_signal("synthetic:seconds=60", dev.rate), faults)
    # a bad notification, an unknown measurement type, and a replay of the start (a clock jump back)
    frames = frames[:5] + [b"\x00\x01", bytes([2]) + frames[5][1:]] + frames[5:] + frames[:30]
    lines, _ = run_both(frame_file(tmp_path, f"{name}-{faults.seed}", frames), device, manifest_dir, probabilities,
                        capsys)
    assert {"bad_frame", "clock_jump"} <= kinds(lines) and kinds(lines) & {"classified", "rejected"}


def cinc_records(count: int) -> list[Path]:
    """One real CinC 2017 record of each class present (skip when the data is absent)."""
    reference = CINC / "REFERENCE.csv"
    if not reference.is_file():
        pytest.skip(f"real CinC 2017 data not found at {CINC}")
    picked: dict[str, Path] = {}
    with reference.open() as f:
        for record, label in csv.reader(f):
            if label not in picked and (CINC / f"{record}.hea").is_file():
                picked[label] = CINC / record
    return list(picked.values())[:count]


@needs_kotlin
@pytest.mark.parametrize("device", ["polar-h10", "movesense@500"])
def test_kotlin_runner_matches_python_on_real_cinc_records(tmp_path, capsys, manifest_dir, probabilities, device):
    name, _, rate = device.partition("@")
    dev = get_device(name, int(rate) if rate else None)
    compared = 0
    for k, record in enumerate(cinc_records(4)):
        frames = simulate(dev, load_signal(str(record), dev.rate),
                          Faults(drop=0.02, duplicate=0.02, reorder=0.04, noise_mv=0.02, seed=k))
        lines, _ = run_both(frame_file(tmp_path, record.name, frames), device, manifest_dir, probabilities, capsys)
        compared += len(lines)
    assert compared > 0


@needs_kotlin
def test_kotlin_runner_gives_the_same_one_line_error(tmp_path, capsys, manifest_dir, probabilities):
    path = frame_file(tmp_path, "garbage", [b"\x01\x02\x03", bytes(600)])
    _, status = run_both(path, "polar-h10", manifest_dir, probabilities, capsys)
    assert status == 2
