"""The golden files the apps test against: regenerated they are byte-identical to the committed
ones (they cannot drift), and their content checks out against independent re-derivations."""
import json

import numpy as np
import pytest

from contract.preprocessing import MODEL_RATE, input_length, preprocess_window
from contract.quality import assess_quality
from contract.sequencing import missing_samples
from streaming import errors, polar_pmd
from streaming.golden import GOLDEN_DIR, build_all

NS = 1_000_000_000


def load(name: str) -> dict:
    return json.loads((GOLDEN_DIR / name).read_text())


def test_committed_files_equal_the_generator():
    built = build_all()
    assert sorted(built) == sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
    stale = [name for name, text in built.items() if (GOLDEN_DIR / name).read_text() != text]
    assert not stale, f"regenerate with: python -m streaming.golden ({', '.join(stale)})"


def test_files_stay_small():
    # 552 kB with the H10 drift / late / malformed / clock-jump streams, the Movesense jitter streams and the
    # Polar SDK vectors (#12): every port's tests read them all on every run
    assert sum(p.stat().st_size for p in GOLDEN_DIR.glob("*.json")) < 600_000


def polar_parse(data: bytes) -> tuple[int, list[int]]:
    """An independent reading of the PMD ECG layout: u64 LE at 1..8, 3-byte signed LE from 10."""
    assert data[0] == 0 and data[9] == 0
    return int.from_bytes(data[1:9], "little"), [int.from_bytes(data[i:i + 3], "little", signed=True)
                                                 for i in range(10, len(data), 3)]


def movesense_parse(data: bytes) -> tuple[int, list[int]]:
    """An independent reading of a GSP ECG DATA notification: u32 LE ms at 2..5, int32 LE from 6."""
    assert data[0] == 2
    return int.from_bytes(data[2:6], "little"), [int.from_bytes(data[i:i + 4], "little", signed=True)
                                                 for i in range(6, len(data), 4)]


def test_polar_codec_file():
    doc = load("polar_h10_codec.json")
    assert doc["commands"] == {"get_settings_ecg": "0100", "start_ecg_130hz_14bit": "02000001820001010e00",
                               "stop_ecg": "0300"}
    assert (doc["start_sequence"], doc["stop_sequence"]) == (["0100", "02000001820001010e00"], ["0300"])
    for f in doc["ecg_frames"]:
        assert polar_parse(bytes.fromhex(f["hex"])) == (f["timestamp_ns"], f["samples_uv"])
    assert doc["control_point_responses"][0]["settings"] == {"SAMPLE_RATE": [130], "RESOLUTION": [14]}
    assert [r["status_text"] for r in doc["control_point_responses"][2:]] == ["invalid sample rate", "already in state"]
    names = {e["error"] for e in doc["ecg_frame_errors"]}
    assert names == {"TruncatedFrame", "UnknownMeasurementType", "UnsupportedFrame", "UnknownFrameType", "OversizedFrame"}
    assert all(issubclass(getattr(errors, n), errors.FrameError) for n in names)
    # the sensor's stop notice (byte 0 = 0x01): the stopped types follow, masked like the SDK's fromId
    for n in doc["control_point_notices"]:
        data = bytes.fromhex(n["hex"])
        assert data[0] == 1 and n["measurement_types"] == [b & 0x3F for b in data[1:]]
        assert n["ecg"] == (0 in n["measurement_types"]) and n["message"].startswith("the sensor stopped the measurement (")
    assert "01010000" not in {e["hex"] for e in doc["control_point_errors"]}  # it was pinned as an error before #12
    for j in doc["control_point_joins"]:
        parts = [bytes.fromhex(p) for p in j["parts"]]
        assert [p[4] for p in parts] == [1] * (len(parts) - 1) + [0]
        assert bytes.fromhex(j["parameters_hex"]) == b"".join(p[5:] for p in parts)
    assert doc["settings_blocks"][0]["settings"]["SECURITY"] == list(range(16))
    for key in ("control_point_errors", "control_point_join_errors", "settings_errors"):
        assert all(issubclass(getattr(errors, e["error"]), errors.FrameError) for e in doc[key]), key


def test_movesense_codec_file():
    doc = load("movesense_codec.json")
    assert bytes.fromhex(doc["commands"]["subscribe_ecg_250hz_ref99"]) == b"\x01\x63/Meas/ECG/250"
    assert doc["start_sequence"] == ["0063", "01632f4d6561732f4543472f323530"] and doc["stop_sequence"] == ["0263"]
    for n in doc["ecg_notifications"]:
        assert movesense_parse(bytes.fromhex(n["hex"])) == (n["timestamp_ms"], n["samples"])
    assert [r["status"] for r in doc["command_results"]] == [200, 507, None]
    assert doc["uv_per_lsb"] == pytest.approx(1e6 / 20 / 2 ** 17)


def test_sequencer_file_keeps_sample_values_on_their_index():
    # every frame of these cases carries samples whose value in µV is their stream index
    doc = load("sequencer.json")["cases"]
    for name, case in doc.items():
        for chunk in case["chunks"]:
            if not name.startswith("clock_"):
                assert chunk["samples_uv"] == list(range(chunk["start"], chunk["start"] + 4)), name
    kinds = {name: [e["event"] for e in case["events"]] for name, case in doc.items()}
    assert kinds == {"in_order": [], "drop": ["gap"], "duplicate": ["duplicate"], "reorder": ["reordered"],
                     "late": ["gap", "late"], "bad_frame": ["bad_frame", "gap"], "clock_jump_forward": ["clock_jump"],
                     "clock_jump_back": ["clock_jump"], "clock_step_back_held": ["clock_jump"],
                     "clock_step_back_released": ["clock_jump"], "clock_step_back_one_frame": ["clock_jump"]}


def test_decision_file_follows_the_rule():
    doc = load("decision.json")
    k = doc["debounce_windows"]
    for case in doc["cases"].values():
        counts = [0] * len(case["thresholds"])
        for step in case["steps"]:
            p = step["probabilities"]
            if p is None:
                counts = [0] * len(counts)
            else:
                if case["multi_label"]:
                    above = [pi >= ti for pi, ti in zip(p, case["thresholds"])]
                else:
                    scaled = [pi / ti for pi, ti in zip(p, case["thresholds"])]
                    top = scaled.index(max(scaled))
                    above = [i == top for i in range(len(p))]
                assert step["above"] == above
                counts = [c + 1 if a else 0 for c, a in zip(counts, above)]
            assert step["counts"] == counts and step["shown"] == [c >= k for c in counts]


def assemble(doc: dict, frames: list[str]) -> dict[int, float]:
    """Stream index -> sample (mV), placed by each frame's own timestamp, independently of the sequencer."""
    rate, out = doc["rate_hz"], {}
    parsed = []
    for h in frames:
        data = bytes.fromhex(h)
        if doc["device"] == "polar-h10":
            ts, s = polar_parse(data)
            parsed.append((ts / NS - (len(s) - 1) / rate, [v / 1000 for v in s]))
        else:
            ts, s = movesense_parse(data)
            parsed.append((ts / 1000, [v * 1e3 / 20 / 2 ** 17 for v in s]))
    t0 = min(t for t, _ in parsed)
    for t, s in parsed:
        first = round((t - t0) * rate)
        out.update({first + k: v for k, v in enumerate(s)})
    return out


@pytest.mark.parametrize("name", ["live_polar_h10.json", "live_movesense.json"])
def test_live_file_matches_an_independent_replay(name):
    doc = load(name)
    rate, need, hop = doc["rate_hz"], input_length(doc["rate_hz"]), doc["numbers"]["hop_samples"]
    outputs, k = doc["model"]["model_outputs"], doc["numbers"]["debounce"]["debounce_windows"]
    for case_name, case in doc["cases"].items():
        if "edit" in case or case["faults"]["clock_error"]:
            continue  # edited or drifting streams are placed by the sequencer's rules, not by their own timestamps
        samples = assemble(doc, case["frames"])
        n = max(samples) + 1
        assert [w["start_sample"] for w in case["windows"]] == list(range(0, n - need + 1, hop)), case_name
        calls, counts = 0, [0] * 4
        for w in case["windows"]:
            idx = range(w["start_sample"], w["start_sample"] + need)
            if any(i not in samples for i in idx):
                assert (w["status"], w["reason"]) == ("rejected", "gap"), case_name
                counts = [0] * 4
                continue
            raw = np.array([[samples[i] for i in idx]])
            pre = preprocess_window(raw, rate)
            q = assess_quality(raw, rate, pre)
            assert w["quality"]["reasons"] == list(q.reasons), case_name
            assert w["lead_std"] == pytest.approx(pre.lead_std.tolist(), abs=1e-6)
            if "model_input" in w:
                assert w["model_input"] == pytest.approx(pre.window.ravel().tolist(), abs=1e-5)
            if not q.ok:
                assert (w["status"], w["reason"], w["findings"]) == ("rejected", "quality", [])
                counts = [0] * 4
                continue
            p = outputs[calls % len(outputs)]
            calls += 1
            top = p.index(max(p))
            counts = [c + 1 if i == top else 0 for i, c in enumerate(counts)]
            assert w["probabilities"] == p and w["status"] == "classified"
            assert w["above"] == [doc["model"]["codes"][top]]
            assert w["findings"] == [c for c, n_ in zip(doc["model"]["codes"], counts) if n_ >= k]
            assert w["heart_rate_bpm"] == pytest.approx(72, abs=3)
            rr = np.diff(w["r_peaks"]) / MODEL_RATE
            assert rr.min() > 0.7 and rr.max() < 1.0  # 72 bpm synthetic: RR about 0.83 s


def test_a_drifting_strap_stays_contiguous_and_a_drop_is_still_a_gap():
    """H10 clocks off by 2 % and 5 % (#12: with the nominal rate, 5 % gave a gap or a clock jump on
    nearly every 73-sample frame, so nothing was ever classified)."""
    cases = load("live_polar_h10.json")["cases"]
    for name in ("drift_minus_2pct", "drift_plus_2pct", "drift_minus_5pct"):
        assert cases[name]["events"] == [], name
        assert [w["status"] for w in cases[name]["windows"]] == ["classified"] * 3, name
    drop = cases["drift_plus_5pct_drop"]
    assert [(e["event"], e["missing_samples"]) for e in drop["events"]] == [("gap", 73)]
    assert [w["status"] for w in drop["windows"]] == ["rejected", "classified", "classified"]


def test_jittered_gap_is_counted_with_the_contracts_rounding():
    """Frame 10 dropped, frame 11 late by 2 / 3 ms (0.5 / 0.75 of a 250 Hz sample): the sequencer's float
    lateness is 16.4999... / 16.75 samples, ``floor(x + 0.5)`` gives 16 / 17 (#12: one rule for every port)."""
    cases = load("live_movesense.json")["cases"]
    for name, missing in (("drop_jitter_2ms", 16), ("drop_jitter_3ms", 17)):
        gaps = [e for e in cases[name]["events"] if e["event"] == "gap"]
        assert [(g["at_sample"], g["missing_samples"]) for g in gaps] == [(160, missing)], name
    assert missing_samples(16.499999999999737) == 16 and missing_samples(16.5) == 17 and missing_samples(16.75) == 17


def test_live_files_cover_every_fault():
    h10 = load("live_polar_h10.json")["cases"]
    assert set(h10) == {"clean", "drop", "duplicate", "reorder", "noise", "flatline", "saturation", "amplitude",
                        "drift_minus_2pct", "drift_plus_2pct", "drift_minus_5pct", "drift_plus_5pct_drop",
                        "late_frame", "malformed_frame", "clock_jump"}
    reasons = {name: {r for w in case["windows"] for r in (w["quality"] or {"reasons": []})["reasons"]}
               for name, case in h10.items()}
    assert reasons["noise"] == {"noisy"} and reasons["flatline"] == {"flat"} and reasons["saturation"] == {"saturated"}
    assert reasons["amplitude"] == {"implausible"} and not any(w["probabilities"] for w in h10["amplitude"]["windows"])
    assert any(w["reason"] == "gap" for w in h10["drop"]["windows"])
    assert any(w["findings"] for w in h10["clean"]["windows"])


def test_polar_sdk_vectors_agree_with_the_sdks_own_tests():
    """Bytes copied from Polar's SDK unit tests: where this codec decodes what the SDK decodes, the values
    the SDK test asserts are the values here; what it refuses, it refuses by name."""
    doc = load("polar_sdk_vectors.json")
    cases = [c for key in ("ecg_frames", "ecg_frame_errors", "control_point", "settings") for c in doc[key]]
    assert len(cases) == 12 and all(c["repository"] == "polarofficial/polar-ble-sdk" and c["test"] for c in cases)
    for f in doc["ecg_frames"]:
        a = f["sdk_asserts"]
        assert (a["frame_type"], f["timestamp_ns"], f["samples_uv"]) == (0, a["timestamp_ns"], a["micro_volts"])
    for e in doc["ecg_frame_errors"]:  # raw types 1-3: other layouts the H10 does not send
        assert bytes.fromhex(e["hex"])[9] == e["sdk_asserts"]["frame_type"] != 0 and e["error"] == "UnsupportedFrame"
    for c in doc["control_point"]:
        a = c["sdk_asserts"]
        if c["kind"] == "measurement_stopped":
            assert [polar_pmd.MeasurementType(t).name for t in c["measurement_types"]] == a["closes_streams"]
            assert not c["ecg"]
        else:
            assert all(c[k] == v for k, v in a.items() if k != "queued_as_response"), c["test"]
    for c in doc["settings"]:  # the SDK reads values as signed Int: compare the bits
        for name, values in c["sdk_asserts"].items():
            mask = (1 << 8 * polar_pmd.SETTING_BYTES[polar_pmd.SettingType[name]]) - 1
            assert sorted(c["settings"][name]) == sorted(v & mask for v in values), (c["test"], name)
