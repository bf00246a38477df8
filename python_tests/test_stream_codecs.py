"""Polar PMD and Movesense GSP codecs: hand-written frames from the published layouts, round
trips, typed errors, and fuzzing of every decoder."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streaming import movesense, polar_pmd
from streaming.devices import get_device
from streaming.errors import (ControlPointError, FrameError, MismatchedParts, OversizedFrame, TruncatedFrame,
                              UnknownFrameType, UnknownMeasurementType, UnknownSettingType, UnsupportedFrame)

HEX = bytes.fromhex

# ---- Polar PMD -------------------------------------------------------------------------------


def test_polar_commands_are_the_published_bytes():
    assert polar_pmd.start_ecg_command(130, 14) == HEX("02 00 00 01 82 00 01 01 0E 00")
    assert polar_pmd.stop_command() == HEX("03 00")
    assert polar_pmd.get_settings_command() == HEX("01 00")


def test_polar_settings_response_parses():
    r = polar_pmd.decode_control_point_response(HEX("F0 01 00 00 00 00 01 82 00 01 01 0E 00"))
    assert (r.op, r.measurement_type, r.status, r.ok, r.more) == (1, 0, 0, True, False)
    assert r.settings() == {polar_pmd.SettingType.SAMPLE_RATE: [130], polar_pmd.SettingType.RESOLUTION: [14]}
    r.raise_for_status()


def test_polar_error_response_names_the_error():
    r = polar_pmd.decode_control_point_response(HEX("F0 02 00 08"))
    assert not r.ok and r.status_text == "invalid sample rate"
    with pytest.raises(ControlPointError, match=r"PMD op 2 \(ECG\) failed: error 8 \(invalid sample rate\)"):
        r.raise_for_status()


def test_polar_ecg_frame_hand_written():
    frame = HEX("00 08 07 06 05 04 03 02 01 00  01 00 00  FF FF FF  00 00 80  FF FF 7F  E8 03 00")
    f = polar_pmd.decode_ecg_frame(frame)
    assert f.timestamp_ns == 0x0102030405060708
    assert f.samples_uv.tolist() == [1, -1, -8388608, 8388607, 1000]
    assert polar_pmd.encode_ecg_frame(f.samples_uv, f.timestamp_ns) == frame


@pytest.mark.parametrize("data, error, words", [
    ("00 00 00 00 00 00 00 00 00", TruncatedFrame, "header needs 10"),
    ("00 00 00 00 00 00 00 00 00 00", TruncatedFrame, "no samples"),
    ("00 00 00 00 00 00 00 00 00 00 01 00", TruncatedFrame, "not whole 3-byte samples"),
    ("02 00 00 00 00 00 00 00 00 00 01 00 00", UnknownMeasurementType, r"type 2 \(ACC\)"),
    ("00 00 00 00 00 00 00 00 00 80 01 00 00", UnsupportedFrame, "delta-compressed"),
    ("00 00 00 00 00 00 00 00 00 03 01 00 00", UnsupportedFrame, "type 3 is not supported"),
    ("00 00 00 00 00 00 00 00 00 40 01 00 00", UnknownFrameType, "type 64"),
    ("00 00 00 00 00 00 00 00 00 0B 01 00 00", UnknownFrameType, "type 11 is not a published"),
    ("00 00 00 00 00 00 00 00 00 0D 01 00 00", UnsupportedFrame, "type 13 is one of the SDK's PPG frame types"),
    ("00 00 00 00 00 00 00 00 00 0E 01 00 00", UnsupportedFrame, "type 14 is one of the SDK's PPG frame types"),
])
def test_polar_bad_frames_raise_typed_one_line_errors(data, error, words):
    with pytest.raises(error, match=words) as info:
        polar_pmd.decode_ecg_frame(HEX(data))
    assert "\n" not in str(info.value)


def test_polar_oversized_frame():
    with pytest.raises(OversizedFrame):
        polar_pmd.decode_ecg_frame(bytes(10 + 3 * 170 + 1))
    with pytest.raises(OversizedFrame):
        polar_pmd.encode_ecg_frame(np.zeros(168, dtype=int), 0)


def test_polar_bad_control_point_responses():
    with pytest.raises(TruncatedFrame):
        polar_pmd.decode_control_point_response(HEX("F0 01 00"))
    with pytest.raises(UnknownMeasurementType, match="expected response 0xF0"):
        polar_pmd.decode_control_point_response(HEX("01 01 00 00"))  # a notice, not a response
    with pytest.raises(UnknownMeasurementType, match="neither a response"):
        polar_pmd.decode_control_point(HEX("02 00"))
    with pytest.raises(TruncatedFrame, match="empty"):
        polar_pmd.decode_control_point(b"")
    with pytest.raises(TruncatedFrame):
        polar_pmd.decode_settings(HEX("00 02 82 00"))


def test_polar_measurement_stopped_is_a_notice_not_an_error():
    # BlePMDClient.processPmdCpCommand: byte 0 = 1 is ONLINE_MEASUREMENT_STOPPED, then the stopped types
    n = polar_pmd.decode_control_point(HEX("01 00"))
    assert n == polar_pmd.MeasurementStopped((0,)) and n.ecg
    assert n.message == "the sensor stopped the measurement (ECG)"
    other = polar_pmd.decode_control_point(HEX("01 01 02"))  # BlePmdClientTest: PPG and ACC closed
    assert other.measurement_types == (1, 2) and not other.ecg
    assert polar_pmd.decode_control_point(HEX("01")).message == "the sensor stopped the measurement (no type named)"
    assert polar_pmd.decode_control_point(HEX("01 80")).ecg  # the recording-type bits are masked like the SDK's fromId
    assert polar_pmd.decode_control_point(HEX("F0 02 00 00 00")) == polar_pmd.decode_control_point_response(HEX("F0 02 00 00 00"))


def test_polar_multi_part_response_joins_parameters_from_byte_5():
    parts = [HEX("F0 01 00 00 01  00 01 82"), HEX("F0 01 00 00 01  00 01 01"), HEX("F0 01 00 00 00  0E 00")]
    r = polar_pmd.join_control_point_responses(parts)
    assert (r.op, r.status, r.more, r.parameters) == (1, 0, False, HEX("00 01 82 00 01 01 0E 00"))
    assert r.settings() == {polar_pmd.SettingType.SAMPLE_RATE: [130], polar_pmd.SettingType.RESOLUTION: [14]}
    assert polar_pmd.join_control_point_responses(parts[2:]) == polar_pmd.decode_control_point_response(parts[2])


@pytest.mark.parametrize("parts, error, words", [
    ([], TruncatedFrame, "no parts"),
    (["F0 01 00 00 01 00"], TruncatedFrame, "part 1 of 1 says more parts follow"),
    (["F0 01 00 00 00 00", "F0 01 00 00 00 01"], MismatchedParts, "part 1 of 2 says no more"),
    (["F0 01 00 00 01 00", "F0 02 00 00 00 01"], MismatchedParts, r"part 2 answers op 2 \(ECG\), part 1 op 1"),
    (["F0 01 00 00 01 00", "F0 01 02 00 00 01"], MismatchedParts, r"op 1 \(ACC\)"),
    (["F0 01 00 00 01 00", "F0 01 00 08 00"], MismatchedParts, r"part 2 of 2 has status 8 \(invalid sample rate\)"),
    (["F0 01 00 00 01 00", "01 00 00 00"], UnknownMeasurementType, "expected response 0xF0"),
])
def test_polar_bad_multi_part_responses(parts, error, words):
    with pytest.raises(error, match=words) as info:
        polar_pmd.join_control_point_responses([HEX(p) for p in parts])
    assert "\n" not in str(info.value)


def test_polar_settings_know_every_sdk_type():
    block = HEX("06 01" + " 00" * 15 + " FF  07 02 00 01  08 01 02  09 01 34 00  0A 01 E8 03 00 00  0B 01 E8 03 00 00"
                "  0C 01 05  00 01 82 00")
    s = polar_pmd.decode_settings(block)
    T = polar_pmd.SettingType
    assert s == {T.SECURITY: [0] * 15 + [255], T.DERIVED_MEASUREMENT_METHOD: [0, 1], T.SOURCE_MEASUREMENT_TYPE: [2],
                 T.SOURCE_MEASUREMENT_SAMPLE_RATE: [52], T.SOURCE_MEASUREMENT_RANGE: [1000],
                 T.DERIVED_MEASUREMENT_TIME_WINDOW: [1000], T.DERIVED_MEASUREMENT_SETTINGS_GROUP_ID: [5],
                 T.SAMPLE_RATE: [130]}
    with pytest.raises(UnknownSettingType, match="unknown setting type 13 at byte 4: its value size is unknown"):
        polar_pmd.decode_settings(HEX("00 01 82 00  0D 01 00"))
    with pytest.raises(TruncatedFrame, match="SECURITY announces 1 values of 16 bytes, 15 bytes left"):
        polar_pmd.decode_settings(HEX("06 01" + " 00" * 15))
    with pytest.raises(FrameError, match="SECURITY is a 16-byte key"):
        polar_pmd.encode_settings({T.SECURITY: 1})
    assert polar_pmd.encode_settings({T.SOURCE_MEASUREMENT_RANGE: 1000}) == HEX("0A 01 E8 03 00 00")


@given(st.lists(st.integers(polar_pmd.SAMPLE_MIN_UV, polar_pmd.SAMPLE_MAX_UV), min_size=1, max_size=167),
       st.integers(0, 2 ** 64 - 1))
@settings(max_examples=60, deadline=None)
def test_polar_round_trip(samples, timestamp):
    f = polar_pmd.decode_ecg_frame(polar_pmd.encode_ecg_frame(np.array(samples), timestamp))
    assert f.samples_uv.tolist() == samples and f.timestamp_ns == timestamp


# ---- Movesense GSP ---------------------------------------------------------------------------


def test_movesense_commands_are_the_published_bytes():
    assert movesense.subscribe_ecg_command(250, 99) == HEX("01 63") + b"/Meas/ECG/250"
    assert movesense.subscribe_ecg_command(250, 99).hex() == "01632f4d6561732f4543472f323530"
    assert movesense.unsubscribe_command(99) == HEX("02 63")
    assert movesense.hello_command(99) == HEX("00 63")
    with pytest.raises(FrameError):
        movesense.subscribe_ecg_command(300)
    with pytest.raises(FrameError):
        movesense.unsubscribe_command(0)


def test_movesense_notification_hand_written():
    data = HEX("02 63  10 27 00 00  01 00 00 00  FF FF FF FF  00 00 00 80")
    n = movesense.decode_ecg_notification(data)
    assert (n.reference, n.timestamp_ms) == (99, 10000)
    assert n.samples.tolist() == [1, -1, -2 ** 31]
    assert n.samples_uv[0] == pytest.approx(0.3814697265625)
    assert movesense.encode_ecg_notification(n.samples, n.timestamp_ms, 99) == data


def test_movesense_command_result():
    r = movesense.decode_command_result(HEX("01 63 01 FB"))
    assert (r.reference, r.status) == (99, 507)
    assert movesense.decode_command_result(HEX("01 63") + b"Hello").status is None


@pytest.mark.parametrize("data, error", [
    ("02", TruncatedFrame),
    ("02 63 10 27 00 00", TruncatedFrame),
    ("02 63 10 27 00 00 01 00 00", TruncatedFrame),
    ("01 63 10 27 00 00 01 00 00 00", UnknownMeasurementType),
    ("07 63 10 27 00 00 01 00 00 00", UnknownMeasurementType),
    ("03 63 10 27 00 00 01 00 00 00", UnsupportedFrame),
    ("04 63 10 27 00 00 01 00 00 00", UnsupportedFrame),
])
def test_movesense_bad_notifications(data, error):
    with pytest.raises(error):
        movesense.decode_ecg_notification(HEX(data))


def test_movesense_data_parts_are_named():
    # gatt_sensordata_app: DATA_PART2 = 3 / DATA_PART3 = 4 continue a DATA payload too large for one packet
    for kind, name in ((3, "DATA_PART2"), (4, "DATA_PART3")):
        with pytest.raises(UnsupportedFrame, match=rf"type {kind} \({name}\) continues a DATA notification"):
            movesense.decode_ecg_notification(bytes([kind, 99]) + bytes(8))


def test_movesense_oversized():
    with pytest.raises(OversizedFrame):
        movesense.decode_ecg_notification(bytes([2, 99]) + bytes(4 + 4 * 127))


@given(st.lists(st.integers(-2 ** 31, 2 ** 31 - 1), min_size=1, max_size=126), st.integers(0, 2 ** 32 - 1),
       st.integers(1, 255))
@settings(max_examples=60, deadline=None)
def test_movesense_round_trip(samples, timestamp, ref):
    n = movesense.decode_ecg_notification(movesense.encode_ecg_notification(np.array(samples), timestamp, ref))
    assert n.samples.tolist() == samples and (n.timestamp_ms, n.reference) == (timestamp, ref)


# ---- every decoder survives arbitrary bytes ---------------------------------------------------

DECODERS = {
    "polar_ecg_frame": polar_pmd.decode_ecg_frame,
    "polar_control_point_response": polar_pmd.decode_control_point_response,
    "polar_control_point": polar_pmd.decode_control_point,
    "polar_join_one_part": lambda b: polar_pmd.join_control_point_responses([b]),
    "polar_settings": polar_pmd.decode_settings,
    "movesense_ecg_notification": movesense.decode_ecg_notification,
    "movesense_command_result": movesense.decode_command_result,
    "device_polar_h10": get_device("polar-h10").decode,
    "device_movesense": get_device("movesense").decode,
}


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(data=st.one_of(st.binary(max_size=600),
                      st.binary(min_size=10, max_size=40).map(lambda b: b"\x00" + b[1:9] + b"\x00" + b[10:]),
                      st.binary(min_size=6, max_size=40).map(lambda b: b"\x02" + b[1:])))
@settings(max_examples=150, deadline=None)
def test_decoders_survive_arbitrary_bytes(name, data):
    try:
        out = DECODERS[name](data)
    except FrameError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert out is not None


def test_the_manifests_device_facts_are_what_the_codecs_write():
    """contract/devices.py (the manifest's ``devices``) against the encoders: every command byte listed
    is what the codec writes (#12: the start/stop sequences an app needs, in the manifest)."""
    from contract.devices import devices_section

    devices = devices_section()
    h10 = get_device("polar-h10")
    assert devices["polar-h10"]["start_commands_hex"] == [c.hex() for c in h10.start_commands()]
    assert devices["polar-h10"]["stop_commands_hex"] == [c.hex() for c in h10.stop_commands()]
    assert devices["polar-h10"]["rates_hz"] == [h10.rate] and devices["polar-h10"]["samples_per_frame"] == 73
    # the largest H10 notification fits the minimum MTU with its 3-byte ATT header
    frame = polar_pmd.encode_ecg_frame(np.zeros(devices["polar-h10"]["samples_per_frame"], dtype=np.int64), 0)
    assert len(frame) + 3 == devices["polar-h10"]["min_mtu"]
    ms = devices["movesense"]
    for rate in ms["rates_hz"]:
        dev = get_device("movesense", rate)
        hello, subscribe = (c.hex() for c in dev.start_commands())
        assert hello == ms["start_commands_hex"][0]
        assert subscribe == ms["start_commands_hex"][1].replace("<path as ASCII hex>",
                                                                 ms["path"].format(rate=rate).encode("ascii").hex())
        assert [c.hex() for c in dev.stop_commands()] == ms["stop_commands_hex"]
    assert ms["uv_per_lsb"] == movesense.UV_PER_LSB
