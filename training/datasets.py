"""Dataset indexes (PTB-XL in two layouts, CinC 2017) and loading them as preprocessed windows.

PTB-XL layouts:
- *shared*: ``labels.csv`` with statement-group columns (as in ``../shared/data/ptbxl``);
- *official* (PhysioNet download): ``ptbxl_database.csv`` + ``scp_statements.csv`` + ``records100/``;
  statement groups are derived from ``scp_codes`` exactly as the PTB-XL benchmark does (every
  listed code, whatever its likelihood).
CinC 2017: ``training/REFERENCE.csv`` (or ``REFERENCE.csv``) + WFDB ``.hea/.mat``.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from contract.labels import CINC2017, PTBXL17, Task, cinc2017_target, get_task, ptbxl17_targets
from contract.preprocessing import WINDOW, PreprocessingError, contract_numbers, preprocess_window, window_starts
from contract.records import RecordError, read_record
from training.tables import DatasetError, read_rows


@dataclass(frozen=True)
class Example:
    """One record of a dataset: its id, WFDB path (no extension), fold and target."""

    record_id: str
    path: Path
    fold: int | None
    target: tuple[int, ...]  # multi-hot for multi-label tasks, (class,) for single-label ones


@dataclass
class WindowSet:
    """Preprocessed windows with targets; ``record`` maps each window to its example index."""

    x: np.ndarray  # [windows, leads, WINDOW] float32
    y: np.ndarray  # [examples, classes] float32 multi-hot, or [examples] int64 class
    record: np.ndarray  # [windows] int64 index into examples
    examples: list[Example]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record id, reason)


def ptbxl_examples(root: str | Path, hires: bool = False) -> list[Example]:
    """Index a PTB-XL folder in either layout (``hires`` picks the 500 Hz records)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"PTB-XL folder {root} not found")
    if (root / "labels.csv").is_file():
        return _ptbxl_shared(root, hires)
    if (root / "ptbxl_database.csv").is_file() and (root / "scp_statements.csv").is_file():
        return _ptbxl_official(root, hires)
    raise DatasetError(f"{root}: not a PTB-XL folder (needs labels.csv, or ptbxl_database.csv + scp_statements.csv)")


def _ptbxl_shared(root: Path, hires: bool) -> list[Example]:
    out = []
    record = "record_500hz" if hires else "record"
    columns = ("ecg_id", "strat_fold", "sub_class", "form", "rhythm", record)
    for row in read_rows(root / "labels.csv", required=columns):
        if not row.text(record):
            continue  # no recording at this rate
        target = ptbxl17_targets(row.codes("sub_class"), row.codes("form"), row.codes("rhythm"))
        out.append(Example(f"{row.integer('ecg_id'):05d}", root / row.text(record), row.integer("strat_fold"),
                           tuple(target)))
    return out


def _ptbxl_official(root: Path, hires: bool) -> list[Example]:
    kinds: dict[str, dict[str, str]] = {"sub_class": {}, "form": {}, "rhythm": {}}
    for row in read_rows(root / "scp_statements.csv"):
        cells = row.cells
        code = cells[""] if "" in cells else next(iter(cells.values()))
        if cells.get("diagnostic") == "1.0" and cells.get("diagnostic_subclass"):
            kinds["sub_class"][code] = cells["diagnostic_subclass"]
        if cells.get("form") == "1.0":
            kinds["form"][code] = code
        if cells.get("rhythm") == "1.0":
            kinds["rhythm"][code] = code
    out = []
    record = "filename_hr" if hires else "filename_lr"
    for row in read_rows(root / "ptbxl_database.csv", required=("ecg_id", "scp_codes", "strat_fold", record)):
        codes = row.literal("scp_codes", dict)
        groups = {k: {m[c] for c in codes if c in m} for k, m in kinds.items()}
        target = ptbxl17_targets(groups["sub_class"], groups["form"], groups["rhythm"])
        out.append(Example(f"{row.integer('ecg_id'):05d}", root / row.text(record), row.integer("strat_fold"),
                           tuple(target)))
    return out


def cinc2017_examples(root: str | Path) -> list[Example]:
    """Index a CinC 2017 folder (``REFERENCE.csv`` in ``root`` or ``root/training``)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"CinC 2017 folder {root} not found")
    for folder in (root, root / "training"):
        if (folder / "REFERENCE.csv").is_file():
            break
    else:
        raise DatasetError(f"{root}: not a CinC 2017 folder (needs REFERENCE.csv or training/REFERENCE.csv)")
    out = []
    for row in read_rows(folder / "REFERENCE.csv", columns=("record", "label")):
        try:
            target = cinc2017_target(row.text("label"))
        except ValueError as e:
            raise row.error("label", str(e)) from None
        out.append(Example(row.text("record"), folder / row.text("record"), None, (target,)))
    return out


def stratified_split(examples: list[Example], num_classes: int, fraction: float,
                     seed: int) -> tuple[list[Example], list[Example]]:
    """Seeded stratified split of single-label examples: per class, the first ``round(fraction * n)``
    of a seeded shuffle are validation, the rest training."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in range(num_classes):
        members = [e for e in examples if e.target[0] == c]
        rng.shuffle(members)
        k = int(round(len(members) * fraction))
        val += members[:k]
        train += members[k:]
    return train, val


def examples_for(task: Task | str, root: str | Path) -> list[Example]:
    """Index ``root`` for ``task``."""
    task = get_task(task) if isinstance(task, str) else task
    if task is PTBXL17:
        return ptbxl_examples(root)
    if task is CINC2017:
        return cinc2017_examples(root)
    raise DatasetError(f"no dataset reader for task {task.name}")


def record_windows(example: Example, task: Task, hop_seconds: float) -> np.ndarray:
    """All preprocessed windows ``[w, leads, WINDOW]`` of one record; raises RecordError/PreprocessingError."""
    rec = read_record(example.path, task.leads)
    starts = window_starts(rec.signal.shape[1], rec.rate, hop_seconds)
    if not starts:
        raise PreprocessingError(f"too short: {rec.signal.shape[1] / rec.rate:.1f} s at {rec.rate} Hz, "
                                 f"one window needs {WINDOW // 100} s")
    return np.stack([preprocess_window(rec.signal[:, s:], rec.rate).window for s in starts])


def _cache_key(examples: list[Example], task: Task, hop_seconds: float) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([task.name, hop_seconds, contract_numbers(rates=())], sort_keys=True).encode())
    for ex in examples:
        hea = ex.path.with_suffix(".hea")
        st = hea.stat() if hea.exists() else None
        h.update(f"{ex.path}|{st.st_size if st else -1}|{st.st_mtime_ns if st else -1}|{ex.target}".encode())
    return h.hexdigest()[:16]


def load_windows(examples: list[Example], task: Task, hop_seconds: float = 5.0,
                 cache_dir: Path | None = None, progress: bool = True) -> WindowSet:
    """Read and preprocess every example; bad records are reported on stderr and skipped."""
    if cache_dir is not None:
        cache = Path(cache_dir) / f"{task.name}-{_cache_key(examples, task, hop_seconds)}.npz"
        if cache.is_file():
            z = np.load(cache, allow_pickle=False)
            kept = [examples[i] for i in z["kept"]]
            skipped = [tuple(s.split("\t", 1)) for s in z["skipped"].tolist()]
            return WindowSet(z["x"], z["y"], z["record"], kept, skipped)
    xs, recs, kept, kept_idx, skipped = [], [], [], [], []
    iterator = examples
    if progress:
        from tqdm import tqdm
        iterator = tqdm(examples, desc="reading records", unit="rec", file=sys.stderr, leave=False)
    for i, ex in enumerate(iterator):
        try:
            w = record_windows(ex, task, hop_seconds)
        except (RecordError, PreprocessingError) as e:
            msg = str(e) if str(e).startswith("record ") else f"record {ex.record_id}: {e}"
            print(f"skipping {msg}", file=sys.stderr)
            skipped.append((ex.record_id, msg))
            continue
        xs.append(w)
        recs.append(np.full(len(w), len(kept), dtype=np.int64))
        kept.append(ex)
        kept_idx.append(i)
    leads = len(task.leads)
    x = np.concatenate(xs) if xs else np.zeros((0, leads, WINDOW), np.float32)
    record = np.concatenate(recs) if recs else np.zeros(0, np.int64)
    if task.multi_label:
        y = np.array([ex.target for ex in kept], dtype=np.float32).reshape(len(kept), task.num_classes)
    else:
        y = np.array([ex.target[0] for ex in kept], dtype=np.int64)
    ws = WindowSet(x, y, record, kept, skipped)
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")  # concurrent runs may build the same cache
        np.savez(tmp, x=x, y=y, record=record, kept=np.array(kept_idx, dtype=np.int64),
                 skipped=np.array(["\t".join(s) for s in skipped], dtype=str))
        tmp.replace(cache)
    return ws


def evenly_spaced(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices spread evenly over ``range(n)`` (the calibration windows' selection)."""
    return np.unique(np.linspace(0, n - 1, min(limit, n)).round().astype(int))
