package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** `golden/streaming/live_(device).json`: whole streams on the replay source through the live loop, window by window. */
class LiveLoopTest {
    private val keys = listOf("window", "start_sample", "start_s", "segment", "status", "reason", "quality", "heart_rate_bpm", "above", "findings")

    private fun liveSpec(numbers: JsonObject) = LiveSpec.from(fields(numbers, "numbers"))

    private fun check(file: String) {
        val g = Golden.read("streaming/$file")
        val device = Device.parse("${g.str("device")}@${g.int("rate_hz")}")
        val numbers = g.obj("numbers")
        val pre = Golden.preprocessingSpec(device.rate)
        val live = liveSpec(numbers)
        assertEquals(numbers.int("window_input_samples"), pre.inputLength(device.rate))
        assertEquals(numbers.int("hop_samples"), WindowCutter.hopSamples(live.hopSeconds, device.rate))
        val model = g.obj("model")
        val rawUnits = if (device is Device.PolarH10) 1000.0 else 1000.0 / Movesense.UV_PER_LSB
        var windows = 0
        for ((name, case) in g.obj("cases")) {
            val classifier = RecordedClassifier(model.arr("codes").strings(), model.arr("thresholds").doubles(),
                model["multi_label"]!!.jsonPrimitive.content.toBoolean(), model.arr("model_outputs").rows().toList())
            val loop = LiveLoop(device, pre, live, classifier)
            val replay = ReplaySource(device, case.arr("frames").map { hexToBytes(it.jsonPrimitive.content) })
            val items = replay.flatMap { loop.feed(it) } + loop.finish()
            val events = items.filterIsInstance<LiveItem.Transport>().map { StreamLines.event(it.event) }
            assertEquals("$file $name: events", case.arr("events"), JsonArray(events))
            val results = items.filterIsInstance<WindowResult>()
            val want = case.arr("windows")
            assertEquals("$file $name: windows", want.size, results.size)
            for ((w, r) in want.zip(results)) {
                val where = "$file $name window ${r.window.index}"
                val line = StreamLines.window(r)
                for (k in keys) assertJsonClose("$where $k", w.jsonObject[k]!!, line[k]!!, if (k == "heart_rate_bpm") 1.001e-3 else 1e-4)
                val probs = w.jsonObject["probabilities"]!!
                if (probs is JsonNull) assertEquals(null, r.probabilities) else assertClose("$where probabilities", (probs as JsonArray).doubles(), r.probabilities!!)
                if (r.preprocessed != null) {
                    assertClose("$where lead_std", w.arr("lead_std").doubles(), r.preprocessed!!.leadStd)
                    val peaks = w.jsonObject["r_peaks"]!!
                    if (peaks !is JsonNull) {
                        assertEquals("$where r_peaks", (peaks as JsonArray).ints().toList(), HeartRate(live.heartRate).rPeaks(r.preprocessed!!.filtered[0], pre.modelRate))
                    }
                }
                w.jsonObject["raw"]?.let { raw ->
                    assertArrayEquals("$where raw", (raw as JsonArray).ints(), IntArray(raw.size) { pyRound(r.window.samplesMv!![it] * rawUnits).toInt() })
                }
                w.jsonObject["model_input"]?.let { mi ->
                    assertClose("$where model_input", (mi as JsonArray).doubles(), r.preprocessed!!.modelInput().map { it.toDouble() }.toDoubleArray())
                }
                windows++
            }
        }
        println("live $file: ${g.obj("cases").size} streams, $windows windows matched")
    }

    @Test fun polarH10Streams() {
        val cases = Golden.read("streaming/live_polar_h10.json").obj("cases").keys
        assertEquals(15, cases.size)
        // a strap whose clock runs off its nominal rate (the sequencer's estimated rate)
        assertTrue(cases.containsAll(listOf("drift_minus_2pct", "drift_plus_2pct", "drift_minus_5pct", "drift_plus_5pct_drop")))
        // edited streams: a frame three frames late, a cut frame, the clock 60 s ahead
        assertTrue(cases.containsAll(listOf("late_frame", "malformed_frame", "clock_jump")))
        check("live_polar_h10.json")
    }

    @Test fun movesenseStreams() = check("live_movesense.json")

    @Test fun replaySourceReencodesTheCleanStream() {
        for (file in listOf("live_polar_h10.json", "live_movesense.json")) {
            val g = Golden.read("streaming/$file")
            val device = Device.parse("${g.str("device")}@${g.int("rate_hz")}")
            val frames = g.obj("cases").obj("clean").arr("frames").map { hexToBytes(it.jsonPrimitive.content) }
            val decoded = frames.map { device.decode(it) }
            val signal = decoded.flatMap { it.samplesMv.toList() }.toDoubleArray()
            val first = decoded.first()
            val clockStart = if (device is Device.PolarH10) first.timestamp - pyRound((first.samplesMv.size - 1) * 1e9 / device.rate) else first.timestamp
            val replay = ReplaySource.fromSignal(device, signal, clockStart)
            assertEquals(frames.map { it.toHex() }, replay.frames.map { it.toHex() })
            assertTrue(replay.frameIntervalMillis > 0)
        }
    }

    @Test fun frameFileHeaderNamesTheDevice() {
        // the header `python -m streaming simulate --out` writes (streaming/cli.py run_simulate)
        assertEquals(250, ReplaySource.deviceOf("# device=movesense rate=250 record=synthetic frames=10\n0263\n")!!.rate)
        assertTrue(ReplaySource.deviceOf("# device=polar-h10 rate=130 record=x frames=1\n") is Device.PolarH10)
        assertEquals(null, ReplaySource.deviceOf("0263\n"))
        try { ReplaySource.deviceOf("# device=movesense rate=300\n"); org.junit.Assert.fail() } catch (e: InputError) { assertTrue(e.message!!.contains("300")) }
    }

    @Test fun aTwelveLeadModelIsRefusedOnAOneLeadDevice() {
        val m = TestManifests.synthetic(leads = 12)
        try { m.requireFits(Device.parse("polar-h10")); org.junit.Assert.fail() } catch (e: ModelMismatch) {
            assertEquals("this model needs 12 leads; Polar H10 provides 1", e.message)
        }
        TestManifests.synthetic(leads = 1).requireFits(Device.parse("movesense@500"))
    }
}
