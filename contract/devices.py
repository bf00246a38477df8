"""The Bluetooth sensors an app may stream from: their GATT UUIDs, rates, frame sizes, units and the
fixed commands that start and stop the ECG stream (the manifest's ``devices``).

One definition: ``streaming/polar_pmd.py`` and ``streaming/movesense.py`` (the codecs) read their
constants here, and ``python_tests/test_stream_codecs.py`` checks that their encoders write exactly
the command bytes listed. Sources: Polar's BLE SDK (``BlePMDClient.kt``, ``PmdControlPointCommand.kt``)
and Movesense's GATT SensorData sample (``GATTSensorDataClient.cpp``), as named in the codecs.
"""
from __future__ import annotations

POLAR_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
POLAR_CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
POLAR_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
H10_ECG_RATE = 130
H10_ECG_RESOLUTION = 14
H10_SAMPLES_PER_FRAME = 73  # 10 + 73 * 3 = 229 bytes, what an H10 sends at its usual MTU
H10_MIN_MTU = 232  # a 229-byte notification + the 3-byte ATT header

MOVESENSE_SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
MOVESENSE_COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
MOVESENSE_DATA_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"
MOVESENSE_ECG_RATES = (125, 128, 200, 250, 256, 500, 512)
MOVESENSE_DEFAULT_ECG_RATE = 250  # one of the contract's supported rates; ample bandwidth for 0.5–40 Hz
MOVESENSE_SAMPLES_PER_NOTIFICATION = 16
MOVESENSE_UV_PER_LSB = 1e6 / 20 / (1 << 17)
MOVESENSE_REFERENCE = 99  # the GSP client reference the app uses for its commands
MOVESENSE_ECG_PATH = "/Meas/ECG/{rate}"


def devices_section() -> dict:
    """The manifest's ``devices``: what an app needs to connect, start, stop and read each sensor."""
    ref = f"{MOVESENSE_REFERENCE:02x}"
    return {
        "polar-h10": {
            "label": "Polar H10", "rates_hz": [H10_ECG_RATE], "resolution_bits": H10_ECG_RESOLUTION,
            "service_uuid": POLAR_SERVICE_UUID, "control_point_uuid": POLAR_CONTROL_POINT_UUID,
            "data_uuid": POLAR_DATA_UUID, "min_mtu": H10_MIN_MTU, "samples_per_frame": H10_SAMPLES_PER_FRAME,
            "units": "uV (signed 24-bit little-endian samples)",
            "start_commands_hex": ["0100", "02000001" + H10_ECG_RATE.to_bytes(2, "little").hex() + "0101"
                                   + H10_ECG_RESOLUTION.to_bytes(2, "little").hex()],
            "stop_commands_hex": ["0300"],
            "setup": "enable indications on the control point and notifications on data (CCCD 0x2902) before "
                     "writing the start commands; the first answers the available settings, the second starts",
        },
        "movesense": {
            "label": "Movesense", "rates_hz": list(MOVESENSE_ECG_RATES), "default_rate_hz": MOVESENSE_DEFAULT_ECG_RATE,
            "service_uuid": MOVESENSE_SERVICE_UUID, "command_uuid": MOVESENSE_COMMAND_UUID,
            "data_uuid": MOVESENSE_DATA_UUID, "samples_per_frame": MOVESENSE_SAMPLES_PER_NOTIFICATION,
            "path": MOVESENSE_ECG_PATH, "uv_per_lsb": MOVESENSE_UV_PER_LSB, "reference": MOVESENSE_REFERENCE,
            "units": "LSB (signed 32-bit little-endian samples) x uv_per_lsb",
            "start_commands_hex": ["00" + ref, "01" + ref + "<path as ASCII hex>"],
            "stop_commands_hex": ["02" + ref],
            "setup": "enable notifications on data (CCCD 0x2902), write hello, then subscribe the path at the "
                     "chosen rate; a failed subscription is answered with silence (live.no_data_seconds)",
        },
    }
