"""``stream --probabilities`` / ``--emit-input`` (what ports compare against), and the Kotlin headless
runner (``android_demo/core``) against ``python -m streaming stream`` on the same bytes."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streaming.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "golden" / "streaming"


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
