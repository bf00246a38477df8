package lamscn.core

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import java.io.File

/** The repository's `golden/` files, read at test time (never copied): `$LAMSCN_GOLDEN_DIR`, set by test.sh. */
object Golden {
    val dir: File by lazy {
        val d = File(System.getenv("LAMSCN_GOLDEN_DIR") ?: error("LAMSCN_GOLDEN_DIR is not set (run android_demo/core/test.sh)"))
        check(d.isDirectory) { "golden folder $d does not exist" }
        d
    }

    fun read(path: String): JsonObject = Json.parseToJsonElement(File(dir, path).readText()).jsonObject

    /** Every `golden/preprocessing/ (every file)` file, by rate. */
    fun preprocessingFiles(): List<JsonObject> =
        File(dir, "preprocessing").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }.map { read("preprocessing/${it.name}") }

    /** The preprocessing contract of the golden file for [rate]. */
    fun preprocessingSpec(rate: Int): PreprocessingSpec =
        PreprocessingSpec.from(JsonFields(read("preprocessing/preprocessing_${rate}hz.json")["contract"]!!.jsonObject, "contract", "golden"))
}

fun JsonElement.obj(key: String): JsonObject = jsonObject[key]!!.jsonObject
fun JsonElement.arr(key: String): JsonArray = jsonObject[key]!!.jsonArray
fun JsonElement.str(key: String): String = jsonObject[key]!!.jsonPrimitive.content
fun JsonElement.int(key: String): Int = jsonObject[key]!!.jsonPrimitive.int
fun JsonElement.long(key: String): Long = jsonObject[key]!!.jsonPrimitive.long
fun JsonElement.isNull(key: String): Boolean = jsonObject[key] is JsonNull
fun JsonArray.doubles(): DoubleArray = DoubleArray(size) { this[it].jsonPrimitive.double }
fun JsonArray.ints(): IntArray = IntArray(size) { this[it].jsonPrimitive.int }
fun JsonArray.strings(): List<String> = map { it.jsonPrimitive.content }
fun JsonArray.rows(): Array<DoubleArray> = Array(size) { this[it].jsonArray.doubles() }
fun fields(o: JsonObject, where: String = "golden"): JsonFields = JsonFields(o, where, "golden")

/** Max |a - b| <= [tol] with the first offending index in the message. */
fun assertClose(what: String, expected: DoubleArray, actual: DoubleArray, tol: Double = 1e-4) {
    assertEquals("$what: length", expected.size, actual.size)
    for (i in expected.indices) {
        assertTrue("$what[$i]: expected ${expected[i]}, got ${actual[i]}", kotlin.math.abs(expected[i] - actual[i]) <= tol)
    }
}

/** JSON equality where numbers match to [tol] (objects by key, arrays in order, everything else exactly). */
fun assertJsonClose(what: String, expected: JsonElement, actual: JsonElement, tol: Double = 1e-4) {
    when (expected) {
        is JsonObject -> {
            assertTrue("$what: expected an object, got $actual", actual is JsonObject)
            assertEquals("$what: keys", expected.keys, (actual as JsonObject).keys)
            for (k in expected.keys) assertJsonClose("$what/$k", expected[k]!!, actual[k]!!, tol)
        }
        is JsonArray -> {
            assertTrue("$what: expected an array, got $actual", actual is JsonArray)
            assertEquals("$what: length", expected.size, (actual as JsonArray).size)
            expected.indices.forEach { assertJsonClose("$what[$it]", expected[it], actual[it], tol) }
        }
        JsonNull -> assertEquals(what, JsonNull, actual)
        is JsonPrimitive -> {
            val e = expected.takeIf { !it.isString }?.content?.toDoubleOrNull()
            val a = (actual as? JsonPrimitive)?.takeIf { !it.isString }?.content?.toDoubleOrNull()
            if (e != null && expected.content !in setOf("true", "false")) {
                assertTrue("$what: expected $e, got $actual", a != null && kotlin.math.abs(e - a) <= tol)
            } else {
                assertEquals(what, expected, actual)
            }
        }
    }
}
