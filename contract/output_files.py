"""Output paths checked before any work starts, and files that appear whole or not at all."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO


class OutputError(OSError):
    """An output path cannot be written; the message names the flag, the path and why."""


def _probe(folder: Path, what: str) -> None:
    """Create and remove a file in ``folder``: the one test of writability that holds for root too."""
    if not folder.exists():
        raise OutputError(f"{what}: folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputError(f"{what}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{what}: cannot create files in {folder} ({e.strerror or type(e).__name__})") from None


def check_writable_file(path: Path, flag: str) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written (its folder must exist)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{flag} {path}: is a folder, not a file")
    _probe(path.parent, f"{flag} {path}")


def check_writable_folder(path: Path, flag: str) -> None:
    """Raise :class:`OutputError` unless folder ``path`` exists writable or can be created."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == path and not path.is_dir():
        raise OutputError(f"{flag} {path}: is a file, not a folder")
    _probe(existing, f"{flag} {path}")


@contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """Write ``path`` through a temporary file beside it, renamed over ``path`` only when the block
    ends without an exception: a failed run leaves no empty or partial file."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as e:
        raise OutputError(f"{path}: cannot create files in {path.parent} ({e.strerror or type(e).__name__})") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # what open(path, "w") would have made; mkstemp makes 0600
        with os.fdopen(fd, "w") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
