package lamscn.core

import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** Every `golden/preprocessing/ (every file)` case: each intermediate of the contract to 1e-4. */
class PreprocessingTest {
    @Test fun everyGoldenCase() {
        val files = Golden.preprocessingFiles()
        assertTrue("no golden preprocessing files", files.isNotEmpty())
        var cases = 0
        for (file in files) {
            val rate = file.int("rate_hz")
            val tol = file["tolerance"]!!.jsonPrimitive.content.toDouble()
            val spec = PreprocessingSpec.from(fields(file.obj("contract"), "contract"))
            val p = Preprocessor(spec)
            for (case in file.arr("cases")) {
                val name = "${rate} Hz ${case.str("name")}"
                val out = p.window(case.arr("input").rows(), rate)
                for ((key, got) in listOf("antialiased" to out.antialiased, "resampled" to out.resampled, "filtered" to out.filtered)) {
                    case.arr(key).rows().forEachIndexed { lead, want -> assertClose("$name $key lead $lead", want, got[lead], tol) }
                }
                assertClose("$name lead_std", case.arr("lead_std").doubles(), out.leadStd, tol)
                case.arr("window").rows().forEachIndexed { lead, want ->
                    assertClose("$name window lead $lead", want, DoubleArray(want.size) { out.window[lead][it].toDouble() }, tol)
                }
                cases++
            }
        }
        println("preprocessing: $cases golden cases over ${files.size} rates matched")
    }

    @Test fun badInputIsOnePreprocessingError() {
        val spec = Golden.preprocessingSpec(130)
        val p = Preprocessor(spec)
        val need = spec.inputLength(130)
        val bad = mapOf(
            "short" to { p.window(arrayOf(DoubleArray(need - 1)), 130) },
            "non-finite" to { p.window(arrayOf(DoubleArray(need) { if (it == 5) Double.NaN else 0.0 }), 130) },
            "999 Hz" to { p.window(arrayOf(DoubleArray(need)), 999) },
        )
        for ((words, call) in bad) {
            try { call(); fail("$words must fail") } catch (e: PreprocessingError) {
                assertTrue("${e.message} should mention $words", e.message!!.contains(words))
            }
        }
        assertEquals(spec.windowSamples, Golden.read("preprocessing/preprocessing_130hz.json").arr("cases")[0].arr("window")[0].jsonArray.size)
    }
}
