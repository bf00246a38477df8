package lamscn.core

/**
 * Polar Measurement Data (PMD) codec for the Polar H10 ECG stream: bytes in, typed values out.
 * A port of `streaming/polar_pmd.py` (layouts from Polar's public BLE SDK, polarofficial/polar-ble-sdk
 * `…/api/ble/model/gatt/client/pmd/`: `BlePMDClient.kt`, `PmdControlPointResponse.kt`, `PmdSetting.kt`,
 * `PmdDataFrame.kt`), pinned by `golden/streaming/polar_h10_codec.json` and `polar_sdk_vectors.json`.
 * Control point: `[op][measurement type][settings]`; the sensor indicates a response
 * `[0xF0][op][type][status][more][parameters]` (`more`: parameters continue in the next response) or
 * its own notice `[0x01][stopped types…]` (ONLINE_MEASUREMENT_STOPPED); data
 * `[type][u64 LE ns of the last sample][frame type][3-byte signed LE µV samples]`.
 */
object PolarPmd {
    const val SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
    const val CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
    const val DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

    const val ECG_RATE = 130
    const val ECG_RESOLUTION = 14
    const val SAMPLES_PER_FRAME = 73
    const val MAX_ATT_VALUE = 512
    const val HEADER_BYTES = 10
    const val SAMPLE_BYTES = 3
    const val SAMPLE_MIN_UV = -(1 shl 23)
    const val SAMPLE_MAX_UV = (1 shl 23) - 1
    private const val CONTROL_POINT_RESPONSE = 0xF0
    private const val MEASUREMENT_STOPPED = 0x01 // PmdControlPointCommandServiceToClient.ONLINE_MEASUREMENT_STOPPED
    private const val MEASUREMENT_TYPE_MASK = 0x3F
    private const val COMPRESSED_BIT = 0x80
    private const val ECG = 0
    private const val ECG_RAW_FRAME_TYPE = 0
    private val KNOWN_FRAME_TYPES = 0..10
    /** PPG-only frame types of newer SDKs (iOS `PpgData.swift`: compressed 13, raw 14); no ECG layout. */
    private val PPG_FRAME_TYPES = setOf(13, 14)

    /** Control-point op codes (client to sensor). */
    enum class Op(val code: Int) { GET_MEASUREMENT_SETTINGS(1), REQUEST_MEASUREMENT_START(2), STOP_MEASUREMENT(3) }

    /** PMD setting types and their value sizes in bytes (`PmdSetting.typeToFieldSize`); SECURITY's
     *  16-byte values are keys, decoded byte by byte. */
    enum class SettingType(val code: Int, val bytes: Int) {
        SAMPLE_RATE(0, 2), RESOLUTION(1, 2), RANGE(2, 2), RANGE_MILLIUNIT(3, 4), CHANNELS(4, 1), FACTOR(5, 4),
        SECURITY(6, 16), DERIVED_MEASUREMENT_METHOD(7, 1), SOURCE_MEASUREMENT_TYPE(8, 1), SOURCE_MEASUREMENT_SAMPLE_RATE(9, 2),
        SOURCE_MEASUREMENT_RANGE(10, 4), DERIVED_MEASUREMENT_TIME_WINDOW(11, 4), DERIVED_MEASUREMENT_SETTINGS_GROUP_ID(12, 1),
    }

    private val MEASUREMENT_NAMES = mapOf(
        0 to "ECG", 1 to "PPG", 2 to "ACC", 3 to "PPI", 5 to "GYRO", 6 to "MAGNETOMETER", 7 to "SKIN_TEMP",
        9 to "SDK_MODE", 10 to "LOCATION", 11 to "PRESSURE", 12 to "TEMPERATURE", 13 to "OFFLINE_RECORDING",
        14 to "OFFLINE_HR", 15 to "OFFLINE_TEMP",
    )

    /** The SDK's control-point status codes. */
    val RESPONSE_STATUS = mapOf(
        0 to "success", 1 to "invalid op code", 2 to "invalid measurement type", 3 to "not supported",
        4 to "invalid length", 5 to "invalid parameter", 6 to "already in state", 7 to "invalid resolution",
        8 to "invalid sample rate", 9 to "invalid range", 10 to "invalid MTU", 11 to "invalid number of channels",
        12 to "invalid state", 13 to "device in charger", 14 to "disk full",
    )

    private fun measurementName(value: Int) = MEASUREMENT_NAMES[value] ?: "unknown"

    /** The SDK's name of a measurement type, else `type N`. */
    private fun measurementLabel(value: Int) = MEASUREMENT_NAMES[value] ?: "type $value"

    /** `[type][1][value LE]` for each setting, in order (numbers only: not SECURITY). */
    fun encodeSettings(settings: List<Pair<SettingType, Int>>): ByteArray {
        val out = ArrayList<Byte>()
        for ((kind, value) in settings) {
            if (kind == SettingType.SECURITY) throw FrameError("PMD setting SECURITY is a 16-byte key, not a number: it cannot be encoded from one")
            if (value < 0 || (kind.bytes < 4 && value >= 1 shl (8 * kind.bytes))) {
                throw FrameError("PMD setting ${kind.name} value $value does not fit ${kind.bytes} bytes")
            }
            out += kind.code.toByte(); out += 1
            for (k in 0 until kind.bytes) out += (value ushr (8 * k)).toByte()
        }
        return out.toByteArray()
    }

    /** Parse a settings block (available settings, or a start command's selection): unsigned LE values,
     *  SECURITY keys byte by byte; an unlisted type has no known size: [UnknownSettingType]. */
    fun decodeSettings(data: ByteArray): Map<SettingType, List<Long>> {
        val out = LinkedHashMap<SettingType, List<Long>>()
        var i = 0
        while (i < data.size) {
            if (i + 2 > data.size) throw TruncatedFrame("PMD settings truncated at byte $i: a setting needs a type and a count")
            val code = data[i].toInt() and 0xFF
            val kind = SettingType.entries.firstOrNull { it.code == code }
                ?: throw UnknownSettingType("PMD settings: unknown setting type $code at byte $i: its value size is unknown, " +
                    "so the settings after it cannot be read")
            val count = data[i + 1].toInt() and 0xFF
            i += 2
            if (i + count * kind.bytes > data.size) {
                throw TruncatedFrame("PMD settings truncated: ${kind.name} announces $count values of ${kind.bytes} bytes, " +
                    "${data.size - i} bytes left")
            }
            out[kind] = if (kind == SettingType.SECURITY) (0 until count * kind.bytes).map { k -> (data[i + k].toInt() and 0xFF).toLong() }
            else (0 until count).map { k -> data.uLittleEndian(i + k * kind.bytes, kind.bytes).toLong() }
            i += count * kind.bytes
        }
        return out
    }

    /** Ask which ECG settings the sensor offers (`01 00`). */
    fun getSettingsCommand(): ByteArray = byteArrayOf(Op.GET_MEASUREMENT_SETTINGS.code.toByte(), ECG.toByte())

    /** Start ECG streaming (`02 00 00 01 82 00 01 01 0E 00` at 130 Hz, 14 bit). */
    fun startEcgCommand(rate: Int = ECG_RATE, resolution: Int = ECG_RESOLUTION): ByteArray =
        byteArrayOf(Op.REQUEST_MEASUREMENT_START.code.toByte(), ECG.toByte()) +
            encodeSettings(listOf(SettingType.SAMPLE_RATE to rate, SettingType.RESOLUTION to resolution))

    /** Stop streaming ECG (`03 00`). */
    fun stopCommand(): ByteArray = byteArrayOf(Op.STOP_MEASUREMENT.code.toByte(), ECG.toByte())

    /** What the sensor indicates on the control point: a [ControlPointResponse] or a [MeasurementStopped] notice. */
    sealed interface ControlPointValue

    /** The sensor's own notice that it stopped online measurement(s): a status for the streams named, not an error. */
    data class MeasurementStopped(val measurementTypes: List<Int>) : ControlPointValue {
        /** Whether the ECG stream is among the stopped ones. */
        val ecg: Boolean get() = ECG in measurementTypes

        /** One line for the screen, naming the stopped measurements. */
        val message: String get() =
            "the sensor stopped the measurement (${measurementTypes.joinToString(", ") { measurementLabel(it) }.ifEmpty { "no type named" }})"
    }

    /** The sensor's answer to a control-point command. */
    data class ControlPointResponse(
        val op: Int, val measurementType: Int, val status: Int, val more: Boolean, val parameters: ByteArray,
    ) : ControlPointValue {
        val ok: Boolean get() = status == 0
        val statusText: String get() = RESPONSE_STATUS[status] ?: "unknown status $status"

        /** The one-line error naming the op and the status (null on success). */
        val error: String? get() = if (ok) null else "PMD op $op (${measurementName(measurementType)}) failed: error $status ($statusText)"

        /** Throw [ControlPointError] with [error] unless the status is success. */
        fun raiseForStatus() {
            error?.let { throw ControlPointError(it) }
        }

        /** The parameters parsed as settings. */
        fun settings(): Map<SettingType, List<Long>> = decodeSettings(parameters)
    }

    /** Parse any control-point indication: a response (0xF0) or a measurement-stopped notice (0x01). */
    fun decodeControlPoint(data: ByteArray): ControlPointValue {
        if (data.isEmpty()) throw TruncatedFrame("PMD control-point value is empty")
        val first = data[0].toInt() and 0xFF
        if (first == CONTROL_POINT_RESPONSE) return decodeControlPointResponse(data)
        if (first != MEASUREMENT_STOPPED) {
            throw UnknownMeasurementType("PMD control-point byte 0 is 0x${first.hex2()}: neither a response (0xF0) " +
                "nor a measurement-stopped notice (0x01)")
        }
        if (data.size > MAX_ATT_VALUE) throw OversizedFrame("PMD measurement-stopped notice of ${data.size} bytes exceeds $MAX_ATT_VALUE")
        return MeasurementStopped((1 until data.size).map { data[it].toInt() and MEASUREMENT_TYPE_MASK })
    }

    /** One response from its parts: every part but the last has `more` set, all answer the same op and
     *  measurement type, the parameters are concatenated (`BlePMDClient.sendPmdCommand` appends bytes 5… of each part). */
    fun joinControlPointResponses(parts: List<ByteArray>): ControlPointResponse {
        if (parts.isEmpty()) throw TruncatedFrame("PMD control-point response: no parts to join")
        val responses = parts.map { decodeControlPointResponse(it) }
        val first = responses[0]
        val n = responses.size
        responses.forEachIndexed { i, r ->
            val k = i + 1
            if (r.op != first.op || r.measurementType != first.measurementType) {
                throw MismatchedParts("PMD control-point part $k answers op ${r.op} (${measurementName(r.measurementType)}), " +
                    "part 1 op ${first.op} (${measurementName(first.measurementType)})")
            }
            if (k > 1 && !r.ok) throw MismatchedParts("PMD control-point part $k of $n has status ${r.status} (${r.statusText})")
            if (k < n && !r.more) throw MismatchedParts("PMD control-point part $k of $n says no more parts follow")
        }
        if (responses.last().more) throw TruncatedFrame("PMD control-point response: part $n of $n says more parts follow")
        return ControlPointResponse(first.op, first.measurementType, first.status, false,
            responses.fold(ByteArray(0)) { acc, r -> acc + r.parameters })
    }

    /** Parse a control-point response (byte 0 = 0xF0; the status is kept, see [ControlPointResponse.raiseForStatus]). */
    fun decodeControlPointResponse(data: ByteArray): ControlPointResponse {
        if (data.size > MAX_ATT_VALUE) throw OversizedFrame("PMD control-point response of ${data.size} bytes exceeds $MAX_ATT_VALUE")
        if (data.size < 4) throw TruncatedFrame("PMD control-point response of ${data.size} bytes, needs at least 4")
        val first = data[0].toInt() and 0xFF
        if (first != CONTROL_POINT_RESPONSE) {
            throw UnknownMeasurementType("PMD control-point byte 0 is 0x${first.hex2()}, expected response 0xF0")
        }
        val status = data[3].toInt() and 0xFF
        val ok = status == 0
        return ControlPointResponse(
            op = data[1].toInt() and 0xFF, measurementType = data[2].toInt() and 0xFF, status = status,
            more = ok && data.size > 4 && data[4].toInt() != 0,
            parameters = if (ok && data.size > 5) data.copyOfRange(5, data.size) else ByteArray(0),
        )
    }

    /** One decoded ECG notification: samples in µV and the timestamp (ns since 2000) of the last one. */
    class EcgFrame(val timestampNs: ULong, val samplesUv: IntArray)

    /** Build an ECG data notification (frame type 0) from integer µV samples. */
    fun encodeEcgFrame(samplesUv: IntArray, timestampNs: ULong): ByteArray {
        if (samplesUv.isEmpty()) throw FrameError("PMD ECG frame needs a non-empty sample array")
        if (HEADER_BYTES + SAMPLE_BYTES * samplesUv.size > MAX_ATT_VALUE) {
            throw OversizedFrame("PMD ECG frame of ${samplesUv.size} samples exceeds $MAX_ATT_VALUE bytes")
        }
        if (samplesUv.any { it < SAMPLE_MIN_UV || it > SAMPLE_MAX_UV }) {
            throw FrameError("PMD ECG sample outside the 24-bit range [$SAMPLE_MIN_UV, $SAMPLE_MAX_UV] µV")
        }
        val out = ByteArray(HEADER_BYTES + SAMPLE_BYTES * samplesUv.size)
        out[0] = ECG.toByte()
        for (k in 0 until 8) out[1 + k] = (timestampNs shr (8 * k)).toByte()
        out[9] = ECG_RAW_FRAME_TYPE.toByte()
        samplesUv.forEachIndexed { j, v -> for (k in 0 until SAMPLE_BYTES) out[HEADER_BYTES + SAMPLE_BYTES * j + k] = (v shr (8 * k)).toByte() }
        return out
    }

    /** Decode an ECG data notification; any other content throws a [FrameError] subclass. */
    fun decodeEcgFrame(data: ByteArray): EcgFrame {
        if (data.size > MAX_ATT_VALUE) throw OversizedFrame("PMD frame of ${data.size} bytes exceeds $MAX_ATT_VALUE")
        if (data.size < HEADER_BYTES) throw TruncatedFrame("PMD frame of ${data.size} bytes, the header needs $HEADER_BYTES")
        val type = data[0].toInt() and MEASUREMENT_TYPE_MASK
        if (type != ECG) throw UnknownMeasurementType("PMD frame measurement type $type (${measurementName(type)}), expected 0 (ECG)")
        val frameType = data[9].toInt() and 0xFF
        if (frameType and COMPRESSED_BIT != 0) {
            throw UnsupportedFrame("PMD ECG frame type 0x${frameType.hex2()} is delta-compressed: not supported " +
                "(the H10 sends raw type 0)")
        }
        if (frameType in PPG_FRAME_TYPES) {
            throw UnsupportedFrame("PMD ECG frame type $frameType is one of the SDK's PPG frame types (13, 14), with no " +
                "ECG layout: not supported (the H10 sends raw type 0)")
        }
        if (frameType !in KNOWN_FRAME_TYPES) throw UnknownFrameType("PMD ECG frame type $frameType is not a published frame type")
        if (frameType != ECG_RAW_FRAME_TYPE) {
            throw UnsupportedFrame("PMD ECG frame type $frameType is not supported (the H10 sends raw type 0)")
        }
        val content = data.size - HEADER_BYTES
        if (content == 0) throw TruncatedFrame("PMD ECG frame has a header but no samples")
        if (content % SAMPLE_BYTES != 0) throw TruncatedFrame("PMD ECG frame content of $content bytes is not whole 3-byte samples")
        val samples = IntArray(content / SAMPLE_BYTES) { j ->
            val v = data.uLittleEndian(HEADER_BYTES + SAMPLE_BYTES * j, SAMPLE_BYTES).toInt()
            if (v >= 1 shl 23) v - (1 shl 24) else v
        }
        return EcgFrame(data.uLittleEndian(1, 8), samples)
    }
}
