"""Command-line pieces the project's CLIs share: a parser whose usage errors are one line, and
argparse ``type`` functions whose errors say what the flag needs (argparse names the flag)."""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, ``error: ...``, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def positive_float(text: str) -> float:
    """A finite number > 0 (``nan``, ``inf`` and negatives refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number > 0")
    return value


def fold_list(text: str) -> set[int]:
    """Comma-separated fold numbers, e.g. ``9`` or ``1,2,3``."""
    try:
        folds = {int(f) for f in text.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of fold numbers "
                                         "(e.g. 9 or 1,2,3)") from None
    return folds


def json_object(text: str) -> dict:
    """A JSON object, e.g. ``{"leads": 12}``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"'{text}' is not JSON ({e.msg} at character {e.pos})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"'{text}' is not a JSON object (expected {{\"key\": value, ...}})")
    return value
