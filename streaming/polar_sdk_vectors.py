"""Byte vectors from the unit tests of Polar's BLE SDK, each with the test it comes from and what
that test asserts: ``python -m streaming.golden`` adds this codec's own decode of them
(``golden/streaming/polar_sdk_vectors.json``), and ``python_tests/test_stream_golden.py`` checks
that the two agree wherever this codec decodes what the SDK decodes.

Every case is (test file, test name, hex, the SDK test's assertions). The files are in
``polarofficial/polar-ble-sdk`` under :data:`TEST_ROOT`.
"""
from __future__ import annotations

from typing import NamedTuple

REPOSITORY = "polarofficial/polar-ble-sdk"
TEST_ROOT = "sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/api/ble/model/gatt/client/pmd/"


class SdkVector(NamedTuple):
    """One vector: where it comes from, its bytes, and what the SDK's test asserts about them."""

    path: str  # under TEST_ROOT
    test: str
    hex: str
    sdk_asserts: dict


ECG_FRAMES = [
    SdkVector("model/EcgDataTest.kt", "process raw ecg data type 0", "00009435770000000000" "0280ff028000",
              {"frame_type": 0, "timestamp_ns": 2_000_000_000, "micro_volts": [-32766, 32770]}),
    # raw types 1-3 carry other layouts (EcgData.kt: 14-bit + flags, 22-bit + tags, two 3-byte fields + status)
    SdkVector("model/EcgDataTest.kt", "process raw ecg data type 1", "00009435770000000001" "0280ff800200",
              {"frame_type": 1, "micro_volts": [2, 640]}),
    SdkVector("model/EcgDataTest.kt", "process raw ecg data type 2", "00009435770000000002" "8080fcffff03",
              {"frame_type": 2, "micro_volts": [32896, 262143]}),
    SdkVector("model/EcgDataTest.kt", "process raw ecg data type 3",
              "00009435770000000003" "00120311100400" "0280f0111004ff",
              {"frame_type": 3, "data0": [201216, -1015806], "data1": [266257, 266257], "status": [0, 255]}),
    SdkVector("BlePmdClientTest.kt", "process ecg data", "00386c3172a4d3230d03" "00120311100400",
              {"frame_type": 3, "timestamp_ns": 946_833_049_921_875_000}),
]

CONTROL_POINT = [
    SdkVector("BlePmdClientControlPointResponseTest.kt", "success control point response for acc stream settings",
              "f001020000ffffff", {"op": 1, "measurement_type": 2, "status": 0, "more": False, "parameters_hex": "ffffff"}),
    SdkVector("BlePmdClientControlPointResponseTest.kt", "failing control point response for mag stream settings",
              "f001060700", {"op": 1, "measurement_type": 6, "status": 7, "more": False, "parameters_hex": ""}),
    SdkVector("BlePmdClientTest.kt", "process control point response when status is success", "f00100000000000070ff",
              {"queued_as_response": True}),
    SdkVector("BlePmdClientTest.kt", "process measurement stop control point command from service no content", "01",
              {"closes_streams": []}),
    SdkVector("BlePmdClientTest.kt", "process measurement stop control point command", "010102",
              {"closes_streams": ["PPG", "ACC"]}),
]

SETTINGS = [
    SdkVector("PmdSettingTest.kt", "testPmdSettingsWithRange", "00013400010110000204f500f401e803d007040103",
              {"SAMPLE_RATE": [52], "RESOLUTION": [16], "RANGE": [245, 500, 1000, 2000], "CHANNELS": [3]}),
    # the SDK reads every value as a signed Int (TypeUtils.convertArrayToSignedInt): FF FF FF FF is -1 there
    SdkVector("PmdSettingTest.kt", "testPmdSettingWithRangeMilliUnit", "0302ffffffffff000000" "01010e00",
              {"RANGE_MILLIUNIT": [-1, 255], "RESOLUTION": [14]}),
]
