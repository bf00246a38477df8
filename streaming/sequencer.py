"""Frames in arrival order -> contiguous samples on a stream index, plus what went wrong.

Each decoded frame carries the sensor-clock time of its first sample. The sequencer keeps the
last ``REORDER_DEPTH`` frames back, sorted by time, so frames swapped by an app's queues are put
back in order; it then compares each released frame with the time the previous one ended:

- within ``tolerance_samples(n)`` of it (``GAP_TOLERANCE_SAMPLES`` plus 5 % of the previous frame's
  ``n`` samples): contiguous;
- later by more: a **gap** of ``floor(d + 0.5)`` missing samples (``d`` = lateness in samples); the
  stream index skips them, so a window that spans them is never complete;
- later by more than ``CLOCK_JUMP_SECONDS``, or earlier than the previous end: a **clock_jump**;
  the stream restarts (windows are cut afresh from the next sample).

Times are turned into samples at the sensor's own rate, estimated from the timestamps of the current
segment (:func:`contract.sequencing.estimated_rate`): a strap whose clock runs up to 5 % off its
nominal rate stays contiguous, and a dropped frame is still a gap. Windows are still cut and
resampled at the nominal rate, so a drifted strap's ECG is stretched by its drift (a heart rate 2 %
off at 2 % drift).

At arrival a frame whose bytes equal one of the last ``DUPLICATE_MEMORY`` frames is a
**duplicate** (dropped). A frame whose time overlaps samples already seen is one of two things:
when it lies inside one of the last ``DUPLICATE_MEMORY`` gaps, or before the first sample of the
current segment, it is **late** (dropped: its slot is
already a gap); otherwise the sensor clock stepped back (a strap resetting its clock, a phone
re-syncing it): the frames held back are released, and the frame starts a new segment with a
**clock_jump**, so no window ever joins samples from before and after the step. A frame that
arrives out of order into a free slot is **reordered** (put back, no gap). Bytes that do not decode
are a **bad_frame** event (their samples become a gap when the next frame arrives).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from contract.sequencing import (
    CLOCK_JUMP_SECONDS,
    DUPLICATE_MEMORY,
    REORDER_DEPTH,
    estimated_rate,
    missing_samples,
    tolerance_samples,
)
from streaming.devices import DecodedFrame, Device
from streaming.errors import FrameError


@dataclass(frozen=True)
class Event:
    """Something the timestamps (or the bytes) tell about the transport."""

    kind: str  # gap | clock_jump | duplicate | late | reordered | bad_frame
    frame: int  # arrival number of the frame that revealed it (0-based)
    at_sample: int | None = None  # stream index where it takes effect
    missing_samples: int | None = None  # gaps only
    message: str | None = None  # bad frames only

    def to_dict(self) -> dict:
        d = {"event": self.kind, "frame": self.frame}
        for key in ("at_sample", "missing_samples", "message"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass(frozen=True)
class Chunk:
    """Samples released in order: ``samples_mv[k]`` is stream sample ``start + k``."""

    start: int
    samples_mv: np.ndarray
    restart: bool = False  # the first chunk after a clock jump (or of the stream)


@dataclass(order=True)
class _Pending:
    first_sample_s: float
    arrival: int
    frame: DecodedFrame = field(compare=False)
    data: bytes = field(compare=False)


class FrameSequencer:
    """Feed notification bytes with :meth:`push`, finish with :meth:`flush`; both return
    :class:`Event` and :class:`Chunk` items in the order they happen."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.rate = float(device.rate)  # the sensor's estimated rate (contract.sequencing.estimated_rate)
        self.previous_samples = device.samples_per_frame  # samples in the last released frame
        self.segment_start_index = 0
        self.pending: list[_Pending] = []
        self.recent: deque[bytes] = deque(maxlen=DUPLICATE_MEMORY)
        self.gaps: deque[tuple[float, float]] = deque(maxlen=DUPLICATE_MEMORY)  # sensor-clock seconds
        self.arrivals = 0
        self.next_index = 0
        self.next_time_s: float | None = None
        self.segment_start_s = 0.0  # sensor time of the current segment's first released sample

    def push(self, data: bytes) -> list[Event | Chunk]:
        arrival = self.arrivals
        self.arrivals += 1
        try:
            frame = self.device.decode(data)
        except FrameError as e:
            return [Event("bad_frame", arrival, message=str(e))]
        if bytes(data) in self.recent or any(p.data == bytes(data) for p in self.pending):
            return [Event("duplicate", arrival)]
        item = _Pending(frame.first_sample_s, arrival, frame, bytes(data))
        out: list[Event | Chunk] = []
        if self.next_time_s is not None:
            early_s = self.next_time_s - frame.first_sample_s
            if abs(early_s) > CLOCK_JUMP_SECONDS or self._steps_back(frame):
                return self.flush() + self._release(item)
            if early_s * self.rate > tolerance_samples(self.previous_samples):
                return [Event("late", arrival, at_sample=self.next_index)]
        if self.pending and item < self.pending[-1]:
            out.append(Event("reordered", arrival))
        self.pending.append(item)
        self.pending.sort()
        while len(self.pending) > REORDER_DEPTH:
            out += self._release(self.pending.pop(0))
        return out

    def _steps_back(self, frame: DecodedFrame) -> bool:
        """Whether ``frame`` overlaps samples already seen (released or held back) outside a gap:
        the sensor clock stepped back."""
        tol = tolerance_samples(self.previous_samples) / self.rate
        start, end = frame.first_sample_s, frame.first_sample_s + frame.samples_mv.size / self.rate
        if start < self.next_time_s - tol:
            if end <= self.segment_start_s + tol:  # before the segment's first sample: reordered too far
                return False
            return not any(g0 - tol <= start and end <= g1 + tol for g0, g1 in self.gaps)
        return any(start < p.first_sample_s + p.frame.samples_mv.size / self.rate - tol
                   and end > p.first_sample_s + tol for p in self.pending)

    def flush(self) -> list[Event | Chunk]:
        """Release every frame held back (end of stream, or before a clock jump)."""
        out: list[Event | Chunk] = []
        while self.pending:
            out += self._release(self.pending.pop(0))
        return out

    def _release(self, item: _Pending) -> list[Event | Chunk]:
        frame, out = item.frame, []
        restart = self.next_time_s is None
        if not restart:
            late = (frame.first_sample_s - self.next_time_s) * self.rate
            tol = tolerance_samples(self.previous_samples)
            if late < -tol or late > CLOCK_JUMP_SECONDS * self.rate:
                out.append(Event("clock_jump", item.arrival, at_sample=self.next_index))
                restart = True
                self.gaps.clear()
            elif late > tol:
                missing = missing_samples(late)
                out.append(Event("gap", item.arrival, at_sample=self.next_index, missing_samples=missing))
                self.gaps.append((self.next_time_s, frame.first_sample_s))
                self.next_index += missing
        if restart:
            self.segment_start_s = frame.first_sample_s
            self.segment_start_index = self.next_index
        self.rate = estimated_rate(self.device.rate, self.next_index - self.segment_start_index,
                                   frame.first_sample_s - self.segment_start_s, self.rate)
        n = frame.samples_mv.size
        out.append(Chunk(self.next_index, frame.samples_mv, restart=restart))
        self.next_index += n
        self.previous_samples = n
        self.next_time_s = frame.first_sample_s + n / self.rate
        self.recent.append(item.data)
        return out
