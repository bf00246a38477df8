"""``python -m streaming``: simulate -> stream end to end, and bad input -> one line, status 2."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from streaming.cli import main
from python_tests.test_stream_live import tiny_bundle, twelve_lead_bundle  # noqa: F401  (session fixtures)

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streaming", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_simulate_then_stream(tmp_path, tiny_bundle):  # noqa: F811
    frames = tmp_path / "h10.hex"
    sim = run_cli("simulate", "--device", "polar-h10", "--record", "synthetic:seconds=25,seed=1", "--drop", "0.03",
                  "--seed", "2", "--out", str(frames))
    assert sim.returncode == 0 and sim.stderr == ""
    text = frames.read_text().splitlines()
    assert text[0].startswith("# device=polar-h10 rate=130") and all(len(x) == 458 for x in text[1:-1])
    st = run_cli("stream", "--device", "polar-h10", "--frames", str(frames), "--model", str(tiny_bundle))
    assert st.returncode == 0, st.stderr
    out = lines(st.stdout)
    windows = [o for o in out if "window" in o]
    assert [w["start_s"] for w in windows] == [0.0, 5.0, 10.0, 15.0]
    assert {o["event"] for o in out if "event" in o} == {"gap"}
    assert any(w["reason"] == "gap" for w in windows) and any(w["status"] == "classified" for w in windows)


def test_stream_simulates_a_record_with_faults(tiny_bundle, capsys):  # noqa: F811
    code = main(["stream", "--device", "movesense", "--record", "synthetic:seconds=16,seed=3", "--flatline", "1:4",
                 "--model", str(tiny_bundle)])
    assert code == 0
    windows = [o for o in lines(capsys.readouterr().out) if "window" in o]
    assert [(w["status"], w["quality"]["reasons"]) for w in windows] == [("rejected", ["flat"]), ("classified", [])]


def assert_one_line_error(code: int, err: str, words: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert words in err


BAD = {
    "missing frames file": (["stream", "--device", "polar-h10", "--frames", "{tmp}/missing.hex", "--model", "{model}"],
                            "no such file"),
    "malformed frames": (["stream", "--device", "polar-h10", "--frames", "{tmp}/bad.hex", "--model", "{model}"],
                         "line 2: not a hex frame"),
    "undecodable frames": (["stream", "--device", "polar-h10", "--frames", "{tmp}/undecodable.hex", "--model",
                            "{model}"], "none of the 2 frames decodes"),
    "faults with a frames file": (["stream", "--device", "polar-h10", "--frames", "{tmp}/bad.hex", "--drop", "0.1",
                                   "--model", "{model}"], "apply to --record"),
    "unknown device": (["simulate", "--device", "garmin", "--record", "synthetic"], "unknown device 'garmin'"),
    "bad rate": (["simulate", "--device", "movesense", "--rate", "300", "--record", "synthetic"], "300 Hz"),
    "missing record": (["simulate", "--device", "polar-h10", "--record", "{tmp}/nope"], "nope.hea not found"),
    "bad synthetic option": (["simulate", "--device", "polar-h10", "--record", "synthetic:bpm=3"], "bad option 'bpm=3'"),
    "bad probability": (["simulate", "--device", "polar-h10", "--record", "synthetic", "--drop", "2"], "probability"),
    "bad flatline": (["simulate", "--device", "polar-h10", "--record", "synthetic", "--flatline", "5"], "START:END"),
    "missing model": (["stream", "--device", "polar-h10", "--record", "synthetic", "--model", "{tmp}/none"],
                      "no such file or folder"),
    "12-lead model": (["stream", "--device", "polar-h10", "--record", "synthetic", "--model", "{model12}"],
                      "this model needs 12 leads; Polar H10 provides 1"),
    "missing argument": (["stream", "--device", "polar-h10"], "required"),
}


@pytest.fixture
def bad_inputs(tmp_path, tiny_bundle, twelve_lead_bundle):  # noqa: F811
    (tmp_path / "bad.hex").write_text("# header\n0011zz\n")
    (tmp_path / "undecodable.hex").write_text("0102\n0304\n")
    return {"tmp": str(tmp_path), "model": str(tiny_bundle), "model12": str(twelve_lead_bundle)}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_in_process(case, bad_inputs, capsys):
    argv, words = BAD[case]
    try:
        code = main([a.format(**bad_inputs) for a in argv])
    except SystemExit as e:  # argparse usage errors
        code = e.code
    assert_one_line_error(code, capsys.readouterr().err, words)


@pytest.mark.parametrize("case", ["12-lead model", "malformed frames", "unknown device"])
def test_bad_input_as_a_process(case, bad_inputs):
    argv, words = BAD[case]
    res = run_cli(*[a.format(**bad_inputs) for a in argv])
    assert_one_line_error(res.returncode, res.stderr, words)
    assert res.stdout == ""
