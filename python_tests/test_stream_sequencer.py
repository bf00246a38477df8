"""Sequencer (gaps, reordering, duplicates, late frames, clock jumps) and the window cutter."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contract.preprocessing import input_length, window_starts
from streaming.devices import Device, get_device
from streaming.sequencer import CLOCK_JUMP_SECONDS, Chunk, Event, FrameSequencer
from streaming.simulator import Faults, clock_start, simulate
from streaming.windows import WindowCutter

H10 = get_device("polar-h10")
SMALL = Device("polar-h10", "Polar H10", 130, 4)


def frames(n: int, device: Device = SMALL, shift: int = 0, first: int = 0) -> list[bytes]:
    k = device.samples_per_frame
    return [device.encode(np.arange(i * k, i * k + k) / 1000.0, i * k, clock_start(device) + shift)
            for i in range(first, first + n)]


def run(device: Device, data: list[bytes]) -> tuple[list[Event], list[Chunk]]:
    seq = FrameSequencer(device)
    items = [i for d in data for i in seq.push(d)] + seq.flush()
    return [i for i in items if isinstance(i, Event)], [i for i in items if isinstance(i, Chunk)]


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


def test_in_order_stream_is_contiguous():
    events, chunks = run(SMALL, frames(6))
    assert events == []
    assert [c.start for c in chunks] == [0, 4, 8, 12, 16, 20]
    assert np.concatenate([c.samples_mv for c in chunks]).tolist() == pytest.approx(np.arange(24) / 1000.0)


def test_dropped_frame_is_a_gap_of_its_samples():
    f = frames(6)
    events, chunks = run(SMALL, f[:2] + f[3:])
    assert kinds(events) == ["gap"] and events[0].missing_samples == 4 and events[0].at_sample == 8
    assert [c.start for c in chunks] == [0, 4, 12, 16, 20]


def test_duplicate_is_dropped():
    f = frames(5)
    events, chunks = run(SMALL, f[:3] + [f[1]] + f[3:])
    assert kinds(events) == ["duplicate"]
    assert [c.start for c in chunks] == [0, 4, 8, 12, 16]


def test_swapped_frames_are_put_back():
    f = frames(6)
    events, chunks = run(SMALL, [f[0], f[2], f[1]] + f[3:])
    assert kinds(events) == ["reordered"]
    assert np.concatenate([c.samples_mv for c in chunks]).tolist() == pytest.approx(np.arange(24) / 1000.0)


def test_frame_later_than_the_reorder_depth_is_late_and_leaves_a_gap():
    f = frames(8)
    events, chunks = run(SMALL, f[:2] + f[3:6] + [f[2]] + f[6:])
    assert kinds(events) == ["gap", "late"]
    assert 8 not in [c.start for c in chunks]


def test_undecodable_bytes_are_an_event_then_a_gap():
    f = frames(5)
    events, _ = run(SMALL, f[:2] + [b"\x00\x01"] + f[3:])
    assert kinds(events) == ["bad_frame", "gap"]
    assert "header needs 10" in events[0].message


@pytest.mark.parametrize("direction", [1, -1])
def test_clock_jump_restarts_the_stream(direction):
    shift = direction * int((CLOCK_JUMP_SECONDS + 5) * 1e9)
    events, chunks = run(SMALL, frames(4) + frames(4, shift=shift, first=4))
    assert kinds(events) == ["clock_jump"]
    assert [c.restart for c in chunks] == [True, False, False, False, True, False, False, False]


def test_movesense_millisecond_timestamps_are_contiguous_at_every_rate():
    for rate in (125, 128, 200, 250, 256, 500, 512):
        device = get_device("movesense", rate)
        events, _ = run(device, simulate(device, np.zeros(rate * 3)))
        assert events == [], rate


def test_cutter_cuts_the_contract_window_grid():
    x = np.arange(H10.rate * 30) / 1000.0
    events, chunks = run(H10, simulate(H10, x))
    cutter = WindowCutter(H10.rate, 5.0)
    windows = [w for c in chunks for w in cutter.add(c)]
    assert [w.start for w in windows] == window_starts(len(x), H10.rate, 5.0)
    for w in windows:
        assert w.samples_mv.tolist() == pytest.approx(x[w.start:w.start + input_length(H10.rate)].tolist())


def test_window_spanning_a_dropped_frame_has_a_gap_and_others_do_not():
    x = np.ones(H10.rate * 30)
    sent = simulate(H10, x)
    dropped = 20  # samples 1460..1532
    events, chunks = run(H10, sent[:dropped] + sent[dropped + 1:])
    cutter = WindowCutter(H10.rate, 5.0)
    windows = [w for c in chunks for w in cutter.add(c)]
    lo, hi = dropped * 73, dropped * 73 + 73
    need = input_length(H10.rate)
    for w in windows:
        assert w.has_gap == (w.start < hi and w.start + need > lo), w.start


def test_cutter_reports_windows_cut_short_by_a_clock_jump():
    a = frames(30, H10)
    b = frames(30, H10, shift=int(100e9), first=30)
    _, chunks = run(H10, a + b)
    cutter = WindowCutter(H10.rate, 5.0)
    windows = [w for c in chunks for w in cutter.add(c)]
    short = [w for w in windows if w.samples_mv is None]
    assert short and all(w.segment == 0 for w in short)
    assert [w.start for w in windows if w.segment == 1][0] == 30 * 73


def test_simulator_faults_are_seeded_and_counted():
    x = np.zeros(H10.rate * 60)
    clean = simulate(H10, x)
    assert simulate(H10, x, Faults(drop=0.2, seed=1)) == simulate(H10, x, Faults(drop=0.2, seed=1))
    assert simulate(H10, x, Faults(drop=1.0)) == []
    dup = simulate(H10, x, Faults(duplicate=1.0))
    assert len(dup) == 2 * len(clean)
    shuffled = simulate(H10, x, Faults(reorder=1.0))
    assert sorted(shuffled) == sorted(clean) and shuffled != clean


KINDS = {"gap", "duplicate", "reordered", "late", "bad_frame", "clock_jump"}


@given(st.lists(st.tuples(st.sampled_from(["send", "drop", "twice", "swap", "junk"]), st.binary(max_size=12)),
                min_size=1, max_size=40))
@example(ops=[("send", b""), ("swap", b""), ("swap", b""), ("swap", b"")])  # first frame 3 late: late, not a step
@settings(max_examples=80, deadline=None)
def test_any_arrival_order_keeps_every_sample_on_its_index(ops):
    # samples carry their sensor index as value: whatever arrives, released samples keep one offset
    # to their stream index (the stream starts at the first frame released)
    f = frames(len(ops))
    sent: list[bytes] = []
    for frame, (op, junk) in zip(f, ops):
        if op == "drop":
            continue
        sent.append(frame)
        if op == "twice":
            sent.append(frame)
        elif op == "swap" and len(sent) > 1:
            sent[-1], sent[-2] = sent[-2], sent[-1]
        elif op == "junk":
            sent.append(junk)
    events, chunks = run(SMALL, sent)
    assert {e.kind for e in events} <= KINDS - {"clock_jump"}
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))
    offset = int(round(chunks[0].samples_mv[0] * 1000)) if chunks else 0
    for c in chunks:
        assert np.round(c.samples_mv * 1000).astype(int).tolist() == list(range(c.start + offset, c.start + offset + 4))


@pytest.mark.parametrize("step_s", [-7.3, -2.0, -0.57, -73 / 130, -0.3, 0.57, 2.0])
def test_clock_step_within_the_jump_limit_never_joins_samples_across_it(step_s):
    # a strap resetting its clock mid-stream: samples 0..1459 sent, then the clock steps by step_s
    x = np.arange(H10.rate * 40) / 1000.0
    sent = simulate(H10, x)
    k = H10.samples_per_frame
    shift = int(round(step_s * 1e9))
    stepped = sent[:20] + [H10.encode(x[i * k:(i + 1) * k], i * k, clock_start(H10) + shift)
                           for i in range(20, len(sent))]
    events, chunks = run(H10, stepped)
    assert "late" not in kinds(events) and "duplicate" not in kinds(events)
    assert kinds(events) == (["clock_jump"] if step_s < 0 else ["gap"])
    released = np.concatenate([c.samples_mv for c in chunks])
    assert released.size == x.size  # nothing silently dropped
    for w in windows_of(H10, chunks):
        assert np.all(np.diff(np.round(w * 1000)) == 1), "a window holds non-consecutive samples"


def windows_of(device: Device, chunks: list[Chunk]) -> list[np.ndarray]:
    """The windows a live loop would classify: complete and without a gap."""
    cutter = WindowCutter(device.rate, 1.0)
    return [w.samples_mv for c in chunks for w in cutter.add(c) if w.samples_mv is not None and not w.has_gap]


STEP_SECONDS = st.one_of(st.floats(-40, 40, allow_nan=False),
                         st.integers(-60, 60).map(lambda k: k * 73 / 130),  # whole H10 frames
                         st.integers(-20, 20).map(lambda k: k * 0.5))


@pytest.mark.parametrize("device", [H10, get_device("movesense", 128), get_device("movesense", 250)],
                         ids=lambda d: f"{d.name}-{d.rate}")
@given(ops=st.lists(st.tuples(st.sampled_from(["send"] * 6 + ["drop", "twice", "swap", "step", "drift"]),
                              STEP_SECONDS), min_size=30, max_size=90))
@settings(max_examples=60, deadline=None)
def test_no_classified_window_holds_non_consecutive_samples(device, ops):
    # each sample's value is its sensor index (in µV, exact through both codecs); across drops,
    # duplicates, reorders, clock steps of either sign and clock drift, every window that would
    # reach the model holds consecutive indices
    k = device.samples_per_frame
    shift_s, drift, sent = 0.0, 0.0, []
    for i, (op, value) in enumerate(ops):
        if op == "step":
            shift_s += value
        elif op == "drift":
            drift = value * 1e-4  # up to ±0.4 %: a sensor crystal far off its nominal rate
        t_s = i * k / device.rate * (1 + drift) + shift_s
        clock = clock_start(device) + int(round(t_s * (1e9 if device.name == "polar-h10" else 1e3))) \
            - (round((i * k + k - 1) * 1e9 / device.rate) - round((k - 1) * 1e9 / device.rate)
               if device.name == "polar-h10" else round(i * k * 1e3 / device.rate))
        frame = device.encode(np.arange(i * k, i * k + k) * (device.quantize(np.ones(1))[0]), i * k, clock)
        if op == "drop":
            continue
        sent.append(frame)
        if op == "twice":
            sent.append(frame)
        elif op == "swap" and len(sent) > 1:
            sent[-1], sent[-2] = sent[-2], sent[-1]
    _, chunks = run(device, sent)
    step = device.quantize(np.ones(1))[0]
    for w in windows_of(device, chunks):
        idx = np.round(w / step)
        assert np.all(np.diff(idx) == 1), f"window joins samples {idx[np.argmax(np.diff(idx) != 1)]:.0f} and " \
                                          f"{idx[np.argmax(np.diff(idx) != 1) + 1]:.0f}"


def test_rate_estimate_waits_for_two_seconds_then_clamps_to_five_percent():
    from contract.sequencing import estimated_rate, tolerance_samples

    assert estimated_rate(130, 259, 1.99, previous_hz=128.0) == 128.0  # too short: the last estimate stays
    assert estimated_rate(130, 247, 2.0, previous_hz=130.0) == pytest.approx(123.5)
    assert estimated_rate(130, 200, 2.0, previous_hz=130.0) == pytest.approx(123.5)  # 100 Hz: clamped to -5 %
    assert estimated_rate(130, 400, 2.0, previous_hz=130.0) == pytest.approx(136.5)
    assert tolerance_samples(73) == pytest.approx(2 + 0.05 * 73)


@pytest.mark.parametrize("clock_error", [-0.05, -0.02, 0.02, 0.05])
def test_drifting_clock_is_contiguous_and_its_rate_is_estimated(clock_error):
    """60 s of a 130 Hz H10 whose clock runs off: no event, the rate found to 0.1 %; one dropped frame
    is a gap of its 73 samples."""
    signal = np.sin(np.arange(130 * 60) / 13.0)
    sent = simulate(H10, signal, Faults(clock_error=clock_error))
    seq = FrameSequencer(H10)
    events = [i for d in sent for i in seq.push(d) if isinstance(i, Event)]
    assert events == []
    assert seq.rate == pytest.approx(130 * (1 + clock_error), rel=1e-3)
    events, _ = run(H10, sent[:50] + sent[51:])
    assert [(e.kind, e.missing_samples) for e in events] == [("gap", 73)]
