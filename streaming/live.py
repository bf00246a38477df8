"""The live loop the apps port: frames -> events and one verdict per window.

For every notification: decode and sequence it (:mod:`streaming.sequencer`), buffer the samples
and cut windows of ``input_length(rate)`` samples every ``HOP_SECONDS``
(:mod:`streaming.windows`). For every window, in this order:

1. a gap inside it (or a clock jump that cut it short) -> **rejected**, reason ``gap`` /
   ``clock_jump``; never preprocessed, never classified;
2. the preprocessing contract, :func:`contract.preprocessing.preprocess_window` at the device rate;
3. the signal-quality gate, :func:`contract.quality.assess_quality` -> **rejected**, reason
   ``quality`` when it fails;
4. heart rate from the band-passed lead (:mod:`contract.heart_rate`), the model, per-class
   thresholds and the debounce (:mod:`contract.decision`) -> **classified**.

A rejected window resets the debounce, so findings are shown only on unbroken good signal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contract.decision import Debouncer, above_threshold
from contract.heart_rate import heart_rate_bpm
from contract.live import HOP_SECONDS, live_numbers
from contract.preprocessing import MODEL_RATE, Preprocessed, input_length, preprocess_window
from contract.quality import Quality, assess_quality
from streaming.classifier import Classifier, check_pairing
from streaming.devices import Device
from streaming.sequencer import Chunk, Event, FrameSequencer
from streaming.windows import Window, WindowCutter

INPUT_DECIMALS = 6


@dataclass(frozen=True)
class WindowResult:
    """The verdict on one window, with the intermediates the golden files record."""

    window: Window
    rate: int
    status: str  # classified | rejected
    reason: str | None  # gap | clock_jump | quality
    quality: Quality | None
    preprocessed: Preprocessed | None
    heart_rate_bpm: float | None
    probabilities: list[float] | None
    above: list[str]
    findings: list[str]
    codes: list[str]

    def to_dict(self, emit_input: str | None = None) -> dict:
        """The line the ``stream`` command prints for this window; ``emit_input`` ``"summary"`` or
        ``"full"`` adds the model input (:func:`input_summary`) under ``"input"``."""
        d = {
            "window": self.window.index, "start_sample": self.window.start,
            "start_s": round(self.window.start / self.rate, 6), "segment": self.window.segment,
            "status": self.status, "reason": self.reason,
            "quality": None if self.quality is None else self.quality.to_dict(),
            "heart_rate_bpm": None if self.heart_rate_bpm is None else round(self.heart_rate_bpm, 3),
            "probabilities": None if self.probabilities is None else
            {c: round(float(p), 6) for c, p in zip(self.codes, self.probabilities)},
            "above": self.above, "findings": self.findings,
        }
        if emit_input is not None:
            d["input"] = None if self.preprocessed is None else input_summary(self.preprocessed.window,
                                                                               emit_input == "full")
        return d


def input_summary(window: np.ndarray, full: bool = False) -> dict:
    """``min``, ``max``, ``mean`` and ``sum_abs`` of a float32 model input (in float64, rounded to
    ``INPUT_DECIMALS``), and with ``full`` its ``values`` (leads concatenated): what a port compares."""
    x = np.asarray(window, dtype=np.float32).astype(np.float64).ravel()
    d = {"min": round(float(x.min()), INPUT_DECIMALS), "max": round(float(x.max()), INPUT_DECIMALS),
         "mean": round(float(x.mean()), INPUT_DECIMALS), "sum_abs": round(float(np.abs(x).sum()), INPUT_DECIMALS)}
    if full:
        d["values"] = [round(float(v), INPUT_DECIMALS) for v in x]
    return d


class LiveLoop:
    """Feed notification bytes; get :class:`Event` and :class:`WindowResult` items back."""

    def __init__(self, device: Device, classifier: Classifier, hop_seconds: float = HOP_SECONDS) -> None:
        check_pairing(classifier, device)
        self.device = device
        self.classifier = classifier
        self.sequencer = FrameSequencer(device)
        self.cutter = WindowCutter(device.rate, hop_seconds)
        self.debouncer = Debouncer(len(classifier.codes))

    def feed(self, data: bytes) -> list[Event | WindowResult]:
        """One notification from the data characteristic."""
        return self._consume(self.sequencer.push(data))

    def finish(self) -> list[Event | WindowResult]:
        """End of stream: release held-back frames (a window still incomplete is not reported)."""
        return self._consume(self.sequencer.flush())

    def _consume(self, items: list[Event | Chunk]) -> list[Event | WindowResult]:
        out: list[Event | WindowResult] = []
        for item in items:
            if isinstance(item, Event):
                out.append(item)
            else:
                out += [self.judge(w) for w in self.cutter.add(item)]
        return out

    def judge(self, window: Window) -> WindowResult:
        """Steps 1–4 of the module docstring for one window."""
        codes = self.classifier.codes
        if window.samples_mv is None or window.has_gap:
            self.debouncer.reset()
            reason = "clock_jump" if window.samples_mv is None else "gap"
            return WindowResult(window, self.device.rate, "rejected", reason, None, None, None, None, [], [], codes)
        raw = window.samples_mv[None, :]  # decoded integers: finite once gaps are excluded
        pre = preprocess_window(raw, self.device.rate)
        quality = assess_quality(raw, self.device.rate, pre)
        if not quality.ok:
            self.debouncer.reset()
            return WindowResult(window, self.device.rate, "rejected", "quality", quality, pre, None, None, [], [], codes)
        hr = heart_rate_bpm(pre.filtered[0], MODEL_RATE)
        probs = [float(p) for p in self.classifier.probabilities(pre.window[None])]
        above = above_threshold(probs, self.classifier.thresholds, self.classifier.multi_label)
        shown = self.debouncer.update(above)
        return WindowResult(window, self.device.rate, "classified", None, quality, pre, hr, probs,
                            [c for c, a in zip(codes, above) if a], [c for c, s in zip(codes, shown) if s], codes)


def streaming_numbers(device: Device, hop_seconds: float = HOP_SECONDS) -> dict:
    """Every number of the live loop for one device, for the manifest and the golden files."""
    return {
        "device": device.name, "rate_hz": device.rate, "window_input_samples": input_length(device.rate),
        "hop_samples": max(1, round(hop_seconds * device.rate)), **live_numbers(hop_seconds),
    }
