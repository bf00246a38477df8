package lamscn.core

import org.junit.Assert.assertTrue
import org.junit.Test
import kotlin.random.Random

/** Every decoder on >= 10^5 random and mutated frames: nothing but its own [FrameError] escapes. */
class FuzzTest {
    private val frames = 100_000

    private fun fuzz(name: String, valid: List<ByteArray>, decode: (ByteArray) -> Unit) {
        val rnd = Random(1234)
        var decoded = 0
        var refused = 0
        repeat(frames) { i ->
            val data = when (i % 3) {
                0 -> rnd.nextBytes(rnd.nextInt(0, 530))
                1 -> valid[rnd.nextInt(valid.size)].copyOf().also { b -> repeat(rnd.nextInt(1, 4)) { if (b.isNotEmpty()) b[rnd.nextInt(b.size)] = rnd.nextInt(256).toByte() } }
                else -> valid[rnd.nextInt(valid.size)].let { it.copyOf(rnd.nextInt(0, it.size + 40)) }
            }
            try {
                decode(data); decoded++
            } catch (e: FrameError) {
                assertTrue("$name: an error without a message", !e.message.isNullOrBlank() && '\n' !in e.message!!)
                refused++
            }
        }
        println("fuzz $name: $frames frames, $decoded decoded, $refused refused with FrameError, 0 other exceptions")
        assertTrue(decoded + refused == frames && decoded > 0 && refused > 0)
    }

    private fun golden(file: String, key: String) = Golden.read("streaming/$file").arr(key).map { hexToBytes(it.str("hex")) }

    @Test fun polarEcgFrames() = fuzz("polar ECG frames", golden("polar_h10_codec.json", "ecg_frames")) { PolarPmd.decodeEcgFrame(it) }

    @Test fun polarControlPoint() = fuzz("polar control-point values",
        golden("polar_h10_codec.json", "control_point_responses") + golden("polar_h10_codec.json", "control_point_notices")) {
        (PolarPmd.decodeControlPoint(it) as? PolarPmd.ControlPointResponse)?.settings()
    }

    @Test fun movesenseNotifications() =
        fuzz("movesense ECG notifications", golden("movesense_codec.json", "ecg_notifications")) { Movesense.decodeEcgNotification(it) }

    @Test fun movesenseCommandResults() =
        fuzz("movesense command results", golden("movesense_codec.json", "command_results")) { Movesense.decodeCommandResult(it) }

    @Test fun sequencerSurvivesGarbage() {
        val rnd = Random(99)
        val valid = golden("polar_h10_codec.json", "ecg_frames")
        val spec = SequencerSpec.from(fields(Golden.read("streaming/sequencer.json").obj("numbers")))
        val seq = FrameSequencer(Device.PolarH10(), spec)
        var events = 0
        repeat(frames) { i ->
            val data = if (i % 2 == 0) rnd.nextBytes(rnd.nextInt(0, 300)) else valid[rnd.nextInt(valid.size)].copyOf().also { it[1 + rnd.nextInt(8)] = rnd.nextInt(256).toByte() }
            events += seq.push(data).count { it is Sequenced.Of }
        }
        events += seq.flush().count { it is Sequenced.Of }
        println("fuzz sequencer: $frames frames, $events events, no exception")
        assertTrue(events > 0)
    }
}
