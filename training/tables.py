"""The datasets' CSV index files, read row by row: every malformed row or cell is one
:class:`DatasetError` naming the file, the line and the column.

A bad row stops the reading: an index row carries a record's labels and fold, so skipping it would
silently change what is trained and evaluated on (a bad *record*, by contrast, is reported and
skipped by :func:`training.datasets.load_windows`).
"""
from __future__ import annotations

import ast
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


class DatasetError(ValueError):
    """A dataset folder is missing, not in a layout this project reads, or has a malformed index
    file (the message then names the file, the line and the column)."""


def _shown(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


@dataclass(frozen=True)
class Row:
    """One data row: its file, its line number (1-based, as an editor shows it) and its cells."""

    path: Path
    line: int
    cells: dict[str, str]

    def error(self, column: str, problem: str) -> DatasetError:
        return DatasetError(f"{self.path}: line {self.line}, column {column}: {problem}")

    def text(self, column: str) -> str:
        return self.cells[column].strip()

    def integer(self, column: str) -> int:
        """The cell as an integer (``3``; ``3.0`` is refused)."""
        try:
            return int(self.cells[column])
        except ValueError:
            raise self.error(column, f"expected an integer, got {_shown(self.cells[column])}") from None

    def literal(self, column: str, kind: type) -> object:
        """The cell as a Python literal of ``kind`` (``list``, ``dict``), e.g. ``['NORM', 'SR']``."""
        cell = self.cells[column]
        try:
            value = ast.literal_eval(cell)
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            raise self.error(column, f"not a Python {kind.__name__} literal: {_shown(cell)}") from None
        if not isinstance(value, kind):
            raise self.error(column, f"expected a {kind.__name__}, got {_shown(cell)}")
        return value

    def codes(self, column: str) -> set[str]:
        """A list of statement codes like ``['NORM', 'SR']``; an empty cell is no codes."""
        if not self.cells[column].strip():
            return set()
        value = self.literal(column, list)
        if not all(isinstance(c, str) for c in value):
            raise self.error(column, f"expected a list of code strings, got {_shown(self.cells[column])}")
        return set(value)


def read_rows(path: Path, required: tuple[str, ...] = (), columns: tuple[str, ...] | None = None) -> Iterator[Row]:
    """The data rows of CSV file ``path``, each with exactly as many cells as the header.

    ``columns`` names the columns of a file without a header line; otherwise the first line is
    the header and must hold every ``required`` column. Blank lines are skipped.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = list(columns) if columns is not None else next(reader, None)
            if header is None:
                raise DatasetError(f"{path}: empty file (no header line)")
            missing = [c for c in required if c not in header]
            if missing:
                raise DatasetError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
            for cells in reader:
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise DatasetError(f"{path}: line {reader.line_num}: {len(cells)} column(s), "
                                     f"expected {len(header)} ({','.join(header)})")
                yield Row(path, reader.line_num, dict(zip(header, cells)))
    except csv.Error as e:
        raise DatasetError(f"{path}: line {reader.line_num}: malformed CSV ({e})") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise DatasetError(f"{path}: cannot read ({e.strerror or type(e).__name__})") from None
