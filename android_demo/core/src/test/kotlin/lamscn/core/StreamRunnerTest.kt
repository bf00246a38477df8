package lamscn.core

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.PrintStream

/** The headless runner on golden streams (same lines as Python's) and on bad arguments (one typed error each). */
class StreamRunnerTest {
    private fun files(case: String): Triple<File, File, JsonObject> {
        val g = Golden.read("streaming/live_polar_h10.json")
        val dir = kotlin.io.path.createTempDirectory("lamscn-runner").toFile().apply { deleteOnExit() }
        val frames = File(dir, "frames.hex").apply { writeText("# golden $case\n" + g.obj("cases").obj(case).arr("frames").joinToString("\n") { it.jsonPrimitive.content } + "\n") }
        val m = g.obj("model")
        val probs = File(dir, "p.json").apply {
            writeText("""{"codes": ${m["codes"]}, "thresholds": ${m["thresholds"]}, "multi_label": ${m["multi_label"]}, "outputs": ${m["model_outputs"]}}""")
        }
        return Triple(frames, probs, g.obj("cases").obj(case))
    }

    private fun run(vararg args: String): List<JsonObject> {
        val bytes = ByteArrayOutputStream()
        assertEquals(0, StreamRunner.run(args.toList(), PrintStream(bytes, true)))
        return bytes.toString().lines().filter { it.isNotBlank() }.map { Json.parseToJsonElement(it).jsonObject }
    }

    @Test fun goldenStreamsGiveTheGoldenLines() {
        val manifest = TestManifests.syntheticDir().path
        for (case in listOf("drop", "duplicate", "flatline")) {
            val (frames, probs, want) = files(case)
            val out = run("stream", "--frames", frames.path, "--device", "polar-h10", "--manifest", manifest, "--probabilities", probs.path, "--emit-input")
            val events = out.filter { "event" in it }
            assertEquals(want.arr("events").toList(), events)
            val windows = out.filter { "window" in it }
            assertEquals(want.arr("windows").size, windows.size)
            for ((w, got) in want.arr("windows").zip(windows)) {
                for (k in listOf("window", "start_sample", "start_s", "status", "reason", "quality", "above", "findings")) {
                    assertJsonClose("$case $k", w.jsonObject[k]!!, got[k]!!)
                }
                assertTrue("$case input", "input" in got)
            }
        }
    }

    @Test fun badArgumentsAreOneTypedError() {
        val (frames, probs, _) = files("clean")
        val manifest = TestManifests.syntheticDir().path
        val twelve = TestManifests.syntheticDir(leads = 12).path
        val garbage = File(frames.parentFile, "garbage.hex").apply { writeText("0001\nzz\n") }
        val undecodable = File(frames.parentFile, "undecodable.hex").apply { writeText("0001\n02\n") }
        val cases = listOf(
            listOf("stream", "--frames", "/nonexistent.hex", "--device", "polar-h10", "--manifest", manifest, "--probabilities", probs.path) to "no such file",
            listOf("stream", "--frames", garbage.path, "--device", "polar-h10", "--manifest", manifest, "--probabilities", probs.path) to "line 2: not a hex frame",
            listOf("stream", "--frames", undecodable.path, "--device", "polar-h10", "--manifest", manifest, "--probabilities", probs.path) to "none of the 2 frames decodes",
            listOf("stream", "--frames", frames.path, "--device", "polar-h10", "--manifest", twelve, "--probabilities", probs.path) to "needs 12 leads",
            listOf("stream", "--frames", frames.path, "--device", "movesense@7", "--manifest", manifest, "--probabilities", probs.path) to "is not one of",
            listOf("stream", "--frames", frames.path, "--device", "polar-h10", "--manifest", manifest, "--probabilities", frames.path) to "not a JSON object",
            listOf("stream", "--bogus") to "unknown argument '--bogus'",
            listOf("simulate") to "usage:",
        )
        for ((args, words) in cases) {
            try {
                StreamRunner.run(args, PrintStream(ByteArrayOutputStream()))
                fail("${args.joinToString(" ")} must fail")
            } catch (e: StreamError) {
                assertTrue("'${e.message}' should contain '$words'", e.message!!.contains(words))
            }
        }
    }
}
