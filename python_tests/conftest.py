"""Shared fixtures: where the real data is, and tiny trained bundles."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
PTBXL = SHARED_DATA / "ptbxl"
CINC = SHARED_DATA / "cinc2017"


@pytest.fixture(scope="session")
def ptbxl_dir() -> Path:
    if not (PTBXL / "labels.csv").is_file():
        pytest.skip(f"real PTB-XL data not found at {PTBXL} (the shared data folder beside the checkout)")
    return PTBXL


@pytest.fixture(scope="session")
def cinc_dir() -> Path:
    if not (CINC / "training" / "REFERENCE.csv").is_file():
        pytest.skip(f"real CinC 2017 data not found at {CINC} (the shared data folder beside the checkout)")
    return CINC
