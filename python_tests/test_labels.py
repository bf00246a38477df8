"""Label mapping of ptbxl17 (every class of DESIGN.md's table) and cinc2017, and both PTB-XL layouts."""
from __future__ import annotations

import os

import numpy as np
import pytest

from contract.labels import CINC2017, PTBXL17, cinc2017_target, get_task, ptbxl17_targets
from training.datasets import DatasetError, Example, cinc2017_examples, ptbxl_examples, stratified_split

# One row per class of the DESIGN.md table: (code, sub_class, form, rhythm) that must switch it on.
TABLE = [
    ("AFIB", set(), set(), {"AFIB"}),
    ("STACH", set(), set(), {"STACH"}),
    ("SBRAD", set(), set(), {"SBRAD"}),
    ("SARRH", set(), set(), {"SARRH"}),
    ("PAC", set(), {"PAC"}, set()),
    ("PAC", set(), set(), {"SVARR"}),
    ("PVC", set(), {"PVC"}, set()),
    ("AVB", {"AVB"}, set(), set()),
    ("AVB", {"_AVB"}, set(), set()),  # PTB-XL's own spelling
    ("CLBBB", {"CLBBB"}, set(), set()),
    ("CRBBB", {"CRBBB"}, set(), set()),
    ("IRBBB", {"IRBBB"}, set(), set()),
    ("LAFB/LPFB", {"LAFB/LPFB"}, set(), set()),
    ("IVCD", {"IVCD"}, set(), set()),
    ("LVH", {"LVH"}, set(), set()),
    ("AMI", {"AMI"}, set(), set()),
    ("IMI", {"IMI"}, set(), set()),
    ("ISC", {"ISC"}, set(), set()),
    ("ISC", {"ISC_"}, set(), set()),
    ("ISC", {"ISCA"}, set(), set()),
    ("ISC", {"ISCI"}, set(), set()),
    ("STTC", {"STTC"}, set(), set()),
    ("STTC", {"NST_"}, set(), set()),
]


@pytest.mark.parametrize("code,sub,form,rhythm", TABLE)
def test_each_class_maps_from_its_source(code, sub, form, rhythm):
    t = ptbxl17_targets(sub, form, rhythm)
    assert [c for c, v in zip(PTBXL17.codes, t) if v] == [code]


def test_table_covers_all_17_classes_in_order():
    assert PTBXL17.codes == ["AFIB", "STACH", "SBRAD", "SARRH", "PAC", "PVC", "AVB", "CLBBB", "CRBBB", "IRBBB",
                             "LAFB/LPFB", "IVCD", "LVH", "AMI", "IMI", "ISC", "STTC"]
    assert {row[0] for row in TABLE} == set(PTBXL17.codes)


def test_unrelated_statements_map_to_nothing():
    assert sum(ptbxl17_targets({"NORM", "RVH", "LMI", "WPW"}, {"LVOLT", "ABQRS"}, {"SR", "AFLT", "PACE"})) == 0


def test_cinc_labels():
    assert [cinc2017_target(c) for c in "NAO~"] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown CinC 2017 label 'X'"):
        cinc2017_target("X")
    assert CINC2017.leads == ("I",) and not CINC2017.multi_label


def test_unknown_task():
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        get_task("nope")


def test_shared_layout_counts_on_real_labels(ptbxl_dir):
    ex = ptbxl_examples(ptbxl_dir)
    y = np.array([e.target for e in ex])
    assert len(ex) >= 8000 and y.shape[1] == 17
    assert {e.fold for e in ex} >= {1, 2, 3, 9}
    afib = PTBXL17.codes.index("AFIB")
    # AFIB rhythm statements are 6.9% of PTB-XL (1,514 of 21,799); measured 6.9% in the shared folds
    # 1-3 and 9 (604 of 8,727) and in 1-6 and 9 (1,058 of 15,252): a bound on the share, not the count,
    # holds whatever folds the folder has
    assert 0.055 < y[:, afib].mean() < 0.085
    assert (y.sum(axis=0) > 0).all()


def test_official_layout_gives_the_same_targets(ptbxl_dir, tmp_path):
    """PTB-XL's own metadata (scp_codes + scp_statements) maps to the shared labels.csv targets."""
    (tmp_path / "ptbxl_database.csv").write_bytes((ptbxl_dir / "ptbxl_database_subset.csv").read_bytes())
    (tmp_path / "scp_statements.csv").write_bytes((ptbxl_dir / "scp_statements.csv").read_bytes())
    os.symlink(ptbxl_dir / "records100", tmp_path / "records100")
    official = {e.record_id: e for e in ptbxl_examples(tmp_path)}
    shared = {e.record_id: e for e in ptbxl_examples(ptbxl_dir)}
    assert len(official) >= 200  # the subset holds the ids <= 500
    mismatched = [k for k, e in official.items() if k in shared and shared[k].target != e.target]
    assert not mismatched, f"targets differ for {mismatched[:5]}"
    assert all(official[k].fold == shared[k].fold for k in official if k in shared)


def test_missing_or_foreign_folders(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        ptbxl_examples(tmp_path / "absent")
    with pytest.raises(DatasetError, match="not a PTB-XL folder"):
        ptbxl_examples(tmp_path)
    with pytest.raises(DatasetError, match="not a CinC 2017 folder"):
        cinc2017_examples(tmp_path)


def test_cinc_index_on_real_data(cinc_dir):
    ex = cinc2017_examples(cinc_dir)
    assert len(ex) == 3411
    counts = np.bincount([e.target[0] for e in ex])
    assert counts.tolist() == [2020, 295, 982, 114]


def test_stratified_split_keeps_class_shares_and_is_seeded():
    examples = [Example(f"r{i}", None, None, (c,)) for i, c in enumerate([0] * 50 + [1] * 10 + [2] * 25 + [3] * 5)]
    train, val = stratified_split(examples, 4, 0.2, seed=0)
    assert {e.record_id for e in train}.isdisjoint(e.record_id for e in val) and len(train) + len(val) == 90
    assert np.bincount([e.target[0] for e in val]).tolist() == [10, 2, 5, 1]
    assert [e.record_id for e in stratified_split(examples, 4, 0.2, seed=0)[1]] == [e.record_id for e in val]
    assert {e.record_id for e in stratified_split(examples, 4, 0.2, seed=1)[1]} != {e.record_id for e in val}
