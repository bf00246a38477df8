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
}
