"""Cut model windows from sequenced chunks: ``input_length(rate)`` samples every ``hop`` samples.

Windows start at stream indices ``origin, origin + hop, …`` (``origin`` is the first sample of
the stream or of the segment after a clock jump), exactly like
:func:`contract.preprocessing.window_starts` over a recording. Samples a gap skipped are NaN in
the buffer, so a window that spans a gap is recognisable and is never classified.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contract.preprocessing import input_length
from streaming.sequencer import Chunk


@dataclass(frozen=True)
class Window:
    """One window at the device rate: ``samples_mv`` (NaN where a gap was) or none when cut short."""

    index: int  # running number over the stream
    start: int  # stream sample index of its first sample
    samples_mv: np.ndarray | None  # [input_length(rate)] float64; None when a clock jump cut it
    segment: int  # 0 for the first segment, +1 after each clock jump

    @property
    def has_gap(self) -> bool:
        return self.samples_mv is not None and bool(np.isnan(self.samples_mv).any())


class WindowCutter:
    """Feed :class:`Chunk` items; get every window as soon as its last sample arrives."""

    def __init__(self, rate: int, hop_seconds: float) -> None:
        self.need = input_length(rate)
        self.hop = max(1, round(hop_seconds * rate))
        self.buffer = np.zeros(0)
        self.buffer_start = 0
        self.next_start: int | None = None
        self.count = 0
        self.segment = -1

    @property
    def buffer_end(self) -> int:
        return self.buffer_start + self.buffer.size

    def add(self, chunk: Chunk) -> list[Window]:
        out: list[Window] = []
        if chunk.restart or self.next_start is None:
            out += self._cut_short()
            self.segment += 1
            self.buffer, self.buffer_start, self.next_start = np.zeros(0), chunk.start, chunk.start
        missing = chunk.start - self.buffer_end
        parts = [self.buffer, np.full(missing, np.nan), np.asarray(chunk.samples_mv, dtype=np.float64)]
        self.buffer = np.concatenate(parts)
        while self.next_start + self.need <= self.buffer_end:
            lo = self.next_start - self.buffer_start
            out.append(self._window(self.next_start, self.buffer[lo:lo + self.need].copy()))
            self.next_start += self.hop
        drop = min(self.next_start - self.buffer_start, self.buffer.size)
        self.buffer, self.buffer_start = self.buffer[drop:], self.buffer_start + drop
        return out

    def _cut_short(self) -> list[Window]:
        """Windows already begun when the segment ends (a clock jump): reported without samples."""
        out = []
        while self.next_start is not None and self.next_start < self.buffer_end:
            out.append(self._window(self.next_start, None))
            self.next_start += self.hop
        return out

    def _window(self, start: int, samples: np.ndarray | None) -> Window:
        w = Window(index=self.count, start=start, samples_mv=samples, segment=self.segment)
        self.count += 1
        return w
