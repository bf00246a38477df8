"""Frame streams on disk: one notification per line as hex; ``#`` lines are comments."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from streaming.errors import InputError


def write_frames(out: TextIO, frames: list[bytes], header: str) -> None:
    """``# header`` then one lowercase hex line per frame."""
    out.write(f"# {header}\n")
    for f in frames:
        out.write(f.hex() + "\n")


def read_frames(path: str | Path) -> list[bytes]:
    """Every frame of a hex frame file; a line that is not hex is an :class:`InputError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError(f"frames {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"frames {path}: cannot read as text ({type(e).__name__})") from None
    frames = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            frames.append(bytes.fromhex(line))
        except ValueError:
            raise InputError(f"frames {path} line {number}: not a hex frame") from None
    if not frames:
        raise InputError(f"frames {path}: no frames")
    return frames
