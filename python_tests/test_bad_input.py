"""Bad input to the CLIs and readers: one ``error:`` line naming the input, exit status 2, no traceback,
no half-written output (issue 15)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from contract.labels import CINC2017, PTBXL17, PTBXL_LEADS
from contract.records import RecordError, read_record
from contract.synthetic import synthetic_ecg
from python_tests.synthetic_data import write_cinc, write_ptbxl, write_record
from training import datasets
from training.checkpoint import save_bundle
from training.registry import build_model


def untrained_bundle(path: Path, task) -> Path:
    kwargs = {"leads": len(task.leads), "num_classes": task.num_classes, "multi_label": task.multi_label}
    save_bundle(path, build_model("tiny_lamscn", **kwargs).eval(), "tiny_lamscn", kwargs, task, [0.5] * task.num_classes)
    return path


@pytest.fixture(scope="module")
def bundle1(tmp_path_factory) -> Path:
    return untrained_bundle(tmp_path_factory.mktemp("b1") / "cinc", CINC2017)


@pytest.fixture(scope="module")
def bundle12(tmp_path_factory) -> Path:
    return untrained_bundle(tmp_path_factory.mktemp("b12") / "ptbxl", PTBXL17)


@pytest.fixture(scope="module")
def ptbxl(tmp_path_factory) -> Path:
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl"), per_fold=2)


def one_error_line(code, err: str) -> str:
    """The message of the one ``error:`` line of a failed run (asserting there is nothing else)."""
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error: "), err
    return err[len("error: "):].strip()


def call(main, argv: list[str], capsys) -> tuple[int, str, str]:
    """``main(argv)`` in process: (exit status, stdout, stderr), argparse's exits included."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


# --- labels.csv and the other index files: file, line and column named; the job stops -------------

def edited_labels(src: Path, dst: Path, line: int, edit) -> Path:
    shutil.copytree(src, dst)
    rows = (dst / "labels.csv").read_text().splitlines()
    rows[line - 1] = edit(rows[line - 1])
    (dst / "labels.csv").write_text("\n".join(rows) + "\n")
    return dst


@pytest.mark.parametrize("line,edit,words", [
    (3, lambda r: r.replace("\"['AFIB']\"", "\"['NORM'\""), "line 3, column rhythm: not a Python list literal: \"['NORM'\""),
    (2, lambda r: "1,1.0,1", "line 2: 3 column(s), expected 9"),
    (4, lambda r: "x12" + r[r.index(","):], "line 4, column ecg_id: expected an integer, got 'x12'"),
    (5, lambda r: r.replace(",2,['NORM']", ",two,['NORM']", 1), "line 5, column strat_fold: expected an integer"),
    (2, lambda r: r.replace("['NORM'],['NORM']", "['NORM'],[1]", 1), "line 2, column sub_class: expected a list of code"),
])
def test_bad_labels_row_names_file_line_and_column(ptbxl, tmp_path, line, edit, words):
    root = edited_labels(ptbxl, tmp_path / "bad", line, edit)
    with pytest.raises(ValueError) as e:
        datasets.ptbxl_examples(root)
    assert str(e.value).startswith(f"{root / 'labels.csv'}: {words}")


def test_missing_labels_column(ptbxl, tmp_path):
    root = edited_labels(ptbxl, tmp_path / "bad", 1, lambda r: r.replace(",rhythm,", ",rhythms,"))
    with pytest.raises(ValueError, match=r"labels.csv: line 1: missing column\(s\) rhythm$"):
        datasets.ptbxl_examples(root)


def test_bad_labels_row_stops_evaluate_with_one_line(ptbxl, bundle12, tmp_path, capsys):
    from training.evaluate import main
    root = edited_labels(ptbxl, tmp_path / "bad", 3, lambda r: r.replace("\"['AFIB']\"", "\"['NORM'\""))
    code, out, err = call(main, ["--checkpoint", str(bundle12), "--data", str(root), "--no-progress"], capsys)
    assert one_error_line(code, err).endswith("labels.csv: line 3, column rhythm: not a Python list literal: \"['NORM'\"")
    assert out == ""


def test_bad_official_ptbxl_row(tmp_path):
    (tmp_path / "scp_statements.csv").write_text(",diagnostic,diagnostic_subclass,form,rhythm\nSR,,,,1.0\n")
    (tmp_path / "ptbxl_database.csv").write_text(
        "ecg_id,scp_codes,strat_fold,filename_lr,filename_hr\n"
        "1,\"{'SR': 0.0}\",1,records100/00000/00001_lr,x\n"
        "2,\"{'SR': 0.0\",1,records100/00000/00002_lr,x\n")
    with pytest.raises(ValueError, match=r"ptbxl_database.csv: line 3, column scp_codes: not a Python dict literal"):
        datasets.ptbxl_examples(tmp_path)


def test_bad_cinc_reference_row(tmp_path):
    root = write_cinc(tmp_path / "cinc", per_class=1)
    ref = root / "training" / "REFERENCE.csv"
    ref.write_text(ref.read_text() + "S00009\n")
    with pytest.raises(ValueError, match=r"REFERENCE.csv: line 5: 1 column\(s\), expected 2"):
        datasets.cinc2017_examples(root)
    ref.write_text("S00000,N\nS00001,Q\n")
    with pytest.raises(ValueError, match=r"REFERENCE.csv: line 2, column label: unknown CinC 2017 label 'Q'"):
        datasets.cinc2017_examples(root)


def test_real_index_files_still_read(ptbxl_dir, cinc_dir):
    assert len(datasets.ptbxl_examples(ptbxl_dir)) == 15252
    assert len(datasets.cinc2017_examples(cinc_dir)) > 3000


# --- outputs: checked before any work -------------------------------------------------------------

def unwritable(tmp_path: Path) -> list[Path]:
    """Paths no run can write, even as root: under /proc, and below a plain file."""
    (tmp_path / "plain").write_text("")
    return [Path("/proc/lamscn-no-such-dir/out"), tmp_path / "plain" / "out"]


def test_evaluate_checks_json_path_first(ptbxl, bundle12, tmp_path, capsys):
    from training.evaluate import main
    for target in unwritable(tmp_path):
        code, out, err = call(main, ["--checkpoint", str(bundle12), "--data", str(ptbxl), "--no-progress",
                                     "--json", str(target / "eval.json")], capsys)
        assert one_error_line(code, err).startswith(f"--json {target / 'eval.json'}: ")
        assert out == ""  # nothing evaluated


def test_train_checks_out_folder_first(ptbxl, tmp_path, capsys):
    from training.train import main
    for target in unwritable(tmp_path):
        code, out, err = call(main, ["--task", "ptbxl17", "--data", str(ptbxl), "--out", str(target), "--model",
                                     "tiny_lamscn", "--model-kwargs", '{"leads": 12}', "--epochs", "1", "--cache", "",
                                     "--no-progress"], capsys)
        assert one_error_line(code, err).startswith(f"--out {target}: ")
        assert out == ""  # no records read, no model built
    (tmp_path / "file").write_text("")
    code, out, err = call(main, ["--task", "ptbxl17", "--data", str(ptbxl), "--out", str(tmp_path / "file")], capsys)
    assert one_error_line(code, err) == f"--out {tmp_path / 'file'}: is a file, not a folder"


# --- flags whose errors name the flag ---------------------------------------------------------------

def test_bad_folds_names_the_flag(ptbxl, bundle12, capsys):
    from training.evaluate import main
    code, _, err = call(main, ["--checkpoint", str(bundle12), "--data", str(ptbxl), "--folds", "x"], capsys)
    assert one_error_line(code, err).startswith("argument --folds: 'x' is not a comma-separated list of fold numbers")


@pytest.mark.parametrize("kwargs,words", [
    ("{bad", "argument --model-kwargs: '{bad' is not JSON"),
    ("[12]", "argument --model-kwargs: '[12]' is not a JSON object"),
    ('{"leeds": 12}', "model 'tiny_lamscn': "),
])
def test_bad_model_kwargs_names_the_flag(ptbxl, tmp_path, capsys, kwargs, words):
    from training.train import main
    code, _, err = call(main, ["--task", "ptbxl17", "--data", str(ptbxl), "--out", str(tmp_path / "o"), "--model",
                               "tiny_lamscn", "--model-kwargs", kwargs], capsys)
    assert one_error_line(code, err).startswith(words)


# --- WFDB header against its signal file -----------------------------------------------------------

def record_with_header_length(tmp_path: Path, name: str, header_samples: int) -> Path:
    path = write_record(tmp_path, name, synthetic_ecg(100, 10, leads=12), 100, PTBXL_LEADS)
    hea = path.with_suffix(".hea")
    lines = hea.read_text().splitlines()
    lines[0] = lines[0].replace(" 1000", f" {header_samples}")
    hea.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("header_samples", [800, 1200])
def test_header_file_length_mismatch(tmp_path, header_samples):
    path = record_with_header_length(tmp_path, "m", header_samples)
    with pytest.raises(RecordError, match=rf"^record m: .*header/file mismatch\)?: the header says {header_samples} "
                                          rf"samples, m.dat holds 1000$"):
        read_record(path, PTBXL_LEADS)


def test_batch_reports_the_mismatch_not_too_short(tmp_path, capsys):
    path = record_with_header_length(tmp_path, "m", 800)
    ws = datasets.load_windows([datasets.Example("m", path, 1, (0,) * 17)], PTBXL17, progress=False)
    assert "header/file mismatch" in dict(ws.skipped)["m"] and "too short" not in capsys.readouterr().err


def test_real_format16_records_pass_the_length_check(ptbxl_dir, cinc_dir):
    for rel in ("records500/00000/00001_hr", "records500/00000/00002_hr"):
        assert read_record(ptbxl_dir / rel, PTBXL_LEADS).signal.shape == (12, 5000)
    names = [line.split(",")[0] for line in (cinc_dir / "training/REFERENCE.csv").read_text().split()[:20]]
    for name in names:
        assert read_record(cinc_dir / "training" / name, CINC2017.leads).signal.shape[0] == 1


# --- python -m streaming -------------------------------------------------------------------------

def stream_argv(bundle: Path, *extra: str) -> list[str]:
    return ["stream", "--device", "polar-h10", "--model", str(bundle), *extra]


@pytest.mark.parametrize("extra,words", [
    (["--hop", "nan", "--record", "synthetic:seconds=12"], "argument --hop: nan: must be a finite number > 0"),
    (["--hop", "inf", "--record", "synthetic:seconds=12"], "argument --hop: inf: must be a finite number > 0"),
    (["--hop", "-1", "--record", "synthetic:seconds=12"], "argument --hop: -1: must be a finite number > 0"),
    (["--record", "synthetic:seconds=nan"], "record 'synthetic:seconds=nan': option seconds must be a finite number"),
    (["--record", "synthetic:seconds=1e12"], "record 'synthetic:seconds=1e12': seconds must be in (0, 600]"),
    (["--record", "synthetic:hr=0"], "record 'synthetic:hr=0': hr must be in [20, 300] beats per minute"),
    (["--record", "synthetic:noise=-1"], "record 'synthetic:noise=-1': noise must be >= 0 mV"),
    (["--record", "synthetic:seed=-1"], "record 'synthetic:seed=-1': seed must be a whole number >= 0"),
    (["--record", "synthetic:seconds=12", "--noise", "nan"], "--noise nan: must be a finite number >= 0 mV"),
    (["--record", "synthetic:seconds=12", "--noise", "inf"], "--noise inf: must be a finite number >= 0 mV"),
    (["--record", "synthetic:seconds=12", "--saturate", "nan"], "--saturate nan: must be a finite number > 0 mV"),
    (["--record", "synthetic:seconds=12", "--flatline", "1:inf"], "--flatline 1.0:inf: need 0 <= start < stop"),
    (["--record", "synthetic:seconds=3"], "stream of 3.0 s (390 samples at 130 Hz) is shorter than one window"),
])
def test_stream_bad_numbers(bundle1, capsys, extra, words):
    from streaming.cli import main
    code, _, err = call(main, stream_argv(bundle1, *extra), capsys)
    assert one_error_line(code, err).startswith(words)


def test_simulate_refuses_absurd_synthetic_length(capsys):
    from streaming.cli import main
    code, out, err = call(main, ["simulate", "--device", "movesense", "--record", "synthetic:seconds=1e12"], capsys)
    assert "seconds must be in (0, 600]" in one_error_line(code, err) and out == ""


def test_short_record_file_is_an_error_not_silence(bundle1, tmp_path, capsys):
    from streaming.cli import main
    path = write_record(tmp_path, "short", synthetic_ecg(130, 3), 130, ("ECG",))
    code, out, err = call(main, stream_argv(bundle1, "--record", str(path)), capsys)
    assert one_error_line(code, err).startswith("stream of 3.0 s (390 samples at 130 Hz) is shorter than one window "
                                                "(1300 samples)")
    assert out == ""  # a short stream has no events either: nothing was printed before the error


def test_failed_run_leaves_no_out_file(bundle1, tmp_path, capsys):
    from streaming.cli import main
    out = tmp_path / "o.jsonl"
    code, _, err = call(main, stream_argv(bundle1, "--record", "synthetic:seconds=3", "--out", str(out)), capsys)
    assert "shorter than one window" in one_error_line(code, err)
    assert list(tmp_path.iterdir()) == []
    code, _, err = call(main, stream_argv(bundle1, "--record", "synthetic:seconds=12", "--out", str(out)), capsys)
    assert code == 0 and err == "" and [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]
    assert '"status": ' in out.read_text() and out.stat().st_mode & 0o044  # readable like any file open() makes


def test_out_into_missing_folder_is_one_line(capsys, tmp_path):
    from streaming.cli import main
    code, _, err = call(main, ["simulate", "--device", "polar-h10", "--record", "synthetic:seconds=12", "--out",
                               str(tmp_path / "none" / "o.hex")], capsys)
    assert one_error_line(code, err).startswith(f"{tmp_path / 'none' / 'o.hex'}: cannot create files in ")


def test_faults_core_refuses_non_finite_values():
    from streaming.errors import InputError
    from streaming.simulator import Faults
    for kwargs in ({"noise_mv": float("nan")}, {"saturate_mv": float("inf")}, {"flatlines": ((1.0, float("nan")),)}):
        with pytest.raises(InputError):
            Faults(**kwargs)
    assert np.isfinite(Faults(noise_mv=0.1).noise_mv)


@pytest.mark.parametrize("module", ["training.train", "training.evaluate", "training.retune"])
def test_training_usage_errors_are_one_line(module, capsys):
    import importlib
    code, out, err = call(importlib.import_module(module).main, ["--data"], capsys)
    assert one_error_line(code, err).startswith("argument --data: expected one argument") and out == ""
