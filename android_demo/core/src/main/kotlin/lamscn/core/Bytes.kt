package lamscn.core

/** Little-endian unsigned value of [count] bytes from [offset] (count <= 8). */
internal fun ByteArray.uLittleEndian(offset: Int, count: Int): ULong {
    var v = 0UL
    for (k in count - 1 downTo 0) v = (v shl 8) or (this[offset + k].toULong() and 0xFFUL)
    return v
}

/** Lowercase hex of the bytes, as Python's ``bytes.hex()``. */
fun ByteArray.toHex(): String = joinToString("") { "%02x".format(it.toInt() and 0xFF) }

/** Bytes of a hex string (even length, 0-9a-fA-F); [InputError] otherwise. */
fun hexToBytes(hex: String): ByteArray {
    if (hex.length % 2 != 0) throw InputError("hex text of odd length ${hex.length}")
    return ByteArray(hex.length / 2) { i ->
        val hi = Character.digit(hex[2 * i], 16)
        val lo = Character.digit(hex[2 * i + 1], 16)
        if (hi < 0 || lo < 0) throw InputError("not hex at character ${2 * i}")
        ((hi shl 4) or lo).toByte()
    }
}

internal fun Int.hex2(): String = "%02X".format(this)
