package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.longOrNull

/**
 * Typed reads from a JSON object, each failing with a [ManifestError] that names the field's path
 * (`manifest live/quality/flat: missing field 'min_ptp_mv'`), so a bad document is one clear line.
 */
class JsonFields(private val obj: JsonObject, private val where: String, private val source: String = "manifest") {
    private fun fail(problem: String): Nothing =
        throw ManifestError("$source ${where.ifEmpty { "(root)" }}: $problem")

    private fun path(key: String) = if (where.isEmpty()) key else "$where/$key"

    /** The raw element, or a failure naming the missing field. */
    fun element(key: String): JsonElement = obj[key] ?: fail("missing field '$key'")

    fun has(key: String): Boolean = key in obj && obj[key] !is JsonNull

    fun obj(key: String): JsonFields =
        JsonFields(element(key) as? JsonObject ?: fail("'$key' must be an object"), path(key), source)

    fun string(key: String): String =
        (element(key) as? JsonPrimitive)?.takeIf { it.isString }?.content ?: fail("'$key' must be a string")

    fun double(key: String): Double =
        (element(key) as? JsonPrimitive)?.takeIf { !it.isString }?.doubleOrNull ?: fail("'$key' must be a number")

    fun long(key: String): Long =
        (element(key) as? JsonPrimitive)?.takeIf { !it.isString }?.longOrNull ?: fail("'$key' must be an integer")

    fun int(key: String): Int = long(key).let { if (it in Int.MIN_VALUE..Int.MAX_VALUE) it.toInt() else fail("'$key' is out of range") }

    fun bool(key: String): Boolean =
        (element(key) as? JsonPrimitive)?.takeIf { !it.isString }?.booleanOrNull ?: fail("'$key' must be true or false")

    fun array(key: String): JsonArray = element(key) as? JsonArray ?: fail("'$key' must be an array")

    fun strings(key: String): List<String> = array(key).mapIndexed { i, e ->
        (e as? JsonPrimitive)?.takeIf { it.isString }?.content ?: fail("'$key'[$i] must be a string")
    }

    fun longs(key: String): List<Long> = array(key).mapIndexed { i, e ->
        (e as? JsonPrimitive)?.takeIf { !it.isString }?.longOrNull ?: fail("'$key'[$i] must be an integer")
    }

    fun doubles(key: String): DoubleArray = doublesOf(array(key), key)

    fun matrix(key: String): Array<DoubleArray> = array(key).mapIndexed { i, row ->
        doublesOf(row as? JsonArray ?: fail("'$key'[$i] must be an array of numbers"), "$key[$i]")
    }.toTypedArray()

    fun objects(key: String): List<JsonFields> = array(key).mapIndexed { i, e ->
        JsonFields(e as? JsonObject ?: fail("'$key'[$i] must be an object"), "${path(key)}[$i]", source)
    }

    /** Keys of this object, in document order. */
    val keys: Set<String> get() = obj.keys

    private fun doublesOf(a: JsonArray, key: String) = DoubleArray(a.size) { i ->
        (a[i] as? JsonPrimitive)?.takeIf { !it.isString }?.doubleOrNull ?: fail("'$key'[$i] must be a number")
    }
}
