"""``export.evaluate --model X.pte``: the artifact that ships, evaluated like its checkpoint."""
from __future__ import annotations

import json
import shutil

import pytest

from python_tests.export_fixtures import built, tiny_bundle  # noqa: F401 (fixtures)
from python_tests.synthetic_data import write_ptbxl
from python_tests.test_train_evaluate import run


@pytest.fixture(scope="module")
def small_ptbxl(tmp_path_factory):
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl_small"), per_fold=6, folds=(9,))


def summary(stdout: str) -> dict[str, float]:
    return {k: float(v) for k, v in (kv.split("=") for kv in stdout.strip().splitlines()[-1].split())}


def test_fp32_pte_evaluates_like_its_checkpoint(built, tiny_bundle, small_ptbxl):
    out, _ = built
    pte = next((out / "android").glob("*.fp32.pte"))
    eager = run(["-m", "training.evaluate", "--checkpoint", str(tiny_bundle), "--data", str(small_ptbxl), "--no-progress"])
    shipped = run(["-m", "export.evaluate", "--model", str(pte), "--data", str(small_ptbxl), "--no-progress"])
    assert eager.returncode == 0 and shipped.returncode == 0, shipped.stderr
    a, b = summary(eager.stdout), summary(shipped.stdout)
    assert a["n"] == b["n"] == 6
    for key in ("macro_f1", "micro_f1", "macro_auroc"):
        assert abs(a[key] - b[key]) < 1e-3, (key, a, b)


def test_tampered_artifact_is_refused(built, small_ptbxl, tmp_path):
    out, _ = built
    folder = tmp_path / "android"
    shutil.copytree(out / "android", folder)
    pte = next(folder.glob("*.int8.pte"))
    pte.write_bytes(pte.read_bytes()[:-1] + b"\x00")
    r = run(["-m", "export.evaluate", "--model", str(pte), "--data", str(small_ptbxl), "--no-progress"])
    assert r.returncode == 2 and "Traceback" not in r.stderr and "sha256" in r.stderr, r.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert any(a["file"] == pte.name for a in manifest["artifacts"])


def test_not_a_pte(small_ptbxl, tmp_path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"x")
    r = run(["-m", "export.evaluate", "--model", str(bogus), "--data", str(small_ptbxl)])
    assert r.returncode == 2 and "not an ExecuTorch .pte file" in r.stderr
