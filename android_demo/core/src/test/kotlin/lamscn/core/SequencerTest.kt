package lamscn.core

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** `golden/streaming/sequencer.json`: arrival orders of 4-sample H10 frames -> events and ordered chunks. */
class SequencerTest {
    private val g = Golden.read("streaming/sequencer.json")

    @Test fun everyCase() {
        val spec = SequencerSpec.from(fields(g.obj("numbers")))
        val device = Device.PolarH10(samplesPerFrame = g.obj("device").int("samples_per_frame"))
        assertEquals(g.obj("device").int("rate_hz"), device.rate)
        val cases = g.obj("cases")
        assertEquals(11, cases.size)
        for ((name, case) in cases) {
            val seq = FrameSequencer(device, spec)
            val items = case.arr("frames").flatMap { seq.push(hexToBytes(it.jsonPrimitive.content)) } + seq.flush()
            val events = items.filterIsInstance<Sequenced.Of>().map { StreamLines.event(it.event) }
            assertEquals("$name: events", case.arr("events"), JsonArray(events))
            val chunks = items.filterIsInstance<Sequenced.Samples>().map { it.chunk }
            val want = case.arr("chunks")
            assertEquals("$name: chunks", want.size, chunks.size)
            for ((w, c) in want.zip(chunks)) {
                assertEquals("$name: start", w.long("start"), c.start)
                assertEquals("$name: restart", w.jsonObject["restart"]!!.jsonPrimitive.content.toBoolean(), c.restart)
                assertArrayEquals("$name: samples", w.arr("samples_uv").ints(), IntArray(c.samplesMv.size) { pyRound(c.samplesMv[it] * 1000).toInt() })
            }
        }
    }

    private val spec = SequencerSpec.from(fields(g.obj("numbers")))

    /** `python_tests/test_stream_sequencer.py::test_rate_estimate_waits_for_two_seconds_then_clamps_to_five_percent`. */
    @Test fun rateEstimateWaitsForTwoSecondsThenClampsToFivePercent() {
        assertEquals(128.0, spec.estimatedRate(130.0, 259, 1.99, previousHz = 128.0), 0.0) // too short: the last estimate stays
        assertEquals(123.5, spec.estimatedRate(130.0, 247, 2.0, previousHz = 130.0), 1e-9)
        assertEquals(123.5, spec.estimatedRate(130.0, 200, 2.0, previousHz = 130.0), 1e-9) // 100 Hz: clamped to -5 %
        assertEquals(136.5, spec.estimatedRate(130.0, 400, 2.0, previousHz = 130.0), 1e-9)
        assertEquals(2 + 0.05 * 73, spec.toleranceSamples(73), 1e-12)
    }

    /** The frames `streaming/simulator.py` sends for [signalMv] from a 73-sample H10 that samples at
     *  `130 * (1 + clockError)` Hz while its timestamps keep true time (`Faults(clock_error=...)`). */
    private fun driftedH10(signalMv: DoubleArray, clockError: Double): List<ByteArray> {
        val device = Device.PolarH10()
        val trueRate = device.rate * (1 + clockError)
        val clockStart = 820_454_400L * Device.NS_PER_S // streaming/simulator.py POLAR_CLOCK_START_NS
        return (signalMv.indices step device.samplesPerFrame).map { i ->
            val x = signalMv.copyOfRange(i, minOf(i + device.samplesPerFrame, signalMv.size))
            val last = i + x.size - 1
            val ts = clockStart.toULong() + pyRound(last * Device.NS_PER_S.toDouble() / trueRate).toULong()
            PolarPmd.encodeEcgFrame(IntArray(x.size) { pyRound(x[it] * 1000.0).toInt() }, ts)
        }
    }

    /** `python_tests/test_stream_sequencer.py::test_drifting_clock_is_contiguous_and_its_rate_is_estimated`:
     *  60 s of a 130 Hz H10 whose clock runs off: no event, the rate found to 0.1 %; one dropped frame is a gap of its 73 samples. */
    @Test fun driftingClockIsContiguousAndItsRateIsEstimated() {
        val signal = DoubleArray(130 * 60) { kotlin.math.sin(it / 13.0) }
        for (clockError in listOf(-0.05, -0.02, 0.02, 0.05)) {
            val sent = driftedH10(signal, clockError)
            val seq = FrameSequencer(Device.PolarH10(), spec)
            val events = sent.flatMap { seq.push(it) }.filterIsInstance<Sequenced.Of>().map { it.event }
            assertEquals("clock error $clockError: events", emptyList<Event>(), events)
            val want = 130 * (1 + clockError)
            assertEquals("clock error $clockError: rate", want, seq.rate, 1e-3 * want)
            val dropped = FrameSequencer(Device.PolarH10(), spec)
            val items = (sent.take(50) + sent.drop(51)).flatMap { dropped.push(it) } + dropped.flush()
            val gaps = items.filterIsInstance<Sequenced.Of>().map { it.event.kind to it.event.missingSamples }
            assertEquals("clock error $clockError: one dropped frame", listOf(EventKind.GAP to 73L), gaps)
        }
    }
}
