package lamscn.core

import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

/** `golden/streaming/decision.json`: probabilities (null = rejected window) -> above, counts, shown. */
class DecisionTest {
    private val g = Golden.read("streaming/decision.json")

    private fun flags(a: kotlinx.serialization.json.JsonElement) = a.jsonArray.map { it.jsonPrimitive.content.toBoolean() }.toBooleanArray()

    @Test fun everyCase() {
        // the golden steps show a rejected window zeroing every count
        val spec = DebounceSpec(g.int("debounce_windows"), rejectedWindowResets = true)
        for ((name, case) in g.obj("cases")) {
            val multi = case.jsonObject["multi_label"]!!.jsonPrimitive.content.toBoolean()
            val thresholds = case.arr("thresholds").doubles()
            val deb = Debouncer(thresholds.size, spec)
            for ((i, step) in case.arr("steps").withIndex()) {
                val shown = if (step.jsonObject["probabilities"] is JsonNull) deb.reset() else {
                    val above = aboveThreshold(step.arr("probabilities").doubles(), thresholds, multi)
                    assertArrayEquals("$name step $i above", flags(step.jsonObject["above"]!!), above)
                    deb.update(above)
                }
                assertArrayEquals("$name step $i shown", flags(step.jsonObject["shown"]!!), shown)
                assertArrayEquals("$name step $i counts", step.arr("counts").ints(), deb.counts)
            }
        }
    }

    @Test fun mismatchedThresholdsAreOneTypedError() {
        try { aboveThreshold(doubleArrayOf(0.1, 0.9), doubleArrayOf(0.5), false); org.junit.Assert.fail() } catch (e: ModelMismatch) {
            assertEquals("2 probabilities but 1 thresholds", e.message)
        }
    }
}
