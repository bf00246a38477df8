package lamscn.android

import lamscn.core.Chunk
import lamscn.core.ControlChannel
import lamscn.core.DataWatchdog
import lamscn.core.Device
import lamscn.core.EcgClassifier
import lamscn.core.LiveItem
import lamscn.core.LiveLoop
import lamscn.core.Manifest
import lamscn.core.SensorStatus
import lamscn.core.StreamError
import lamscn.core.StreamLines
import lamscn.core.StripBuffer
import lamscn.core.VerdictPresenter
import lamscn.core.WindowResult
import java.util.concurrent.ScheduledThreadPoolExecutor
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit

/**
 * Glue between a frame source (BLE notifications or a replay) and :core's live loop: every byte
 * array is handled on one worker thread, in arrival order; results go to [SessionStore]. A stop the
 * sensor reports goes to [onSensorStopped]; bytes that arrive after [finish] are dropped.
 */
class StreamSession(
    private val device: Device,
    manifest: Manifest,
    classifier: EcgClassifier,
    private val onSensorStopped: (String) -> Unit,
) {
    init {
        manifest.requireFits(device) // before any thread starts: a 12-lead model on a 1-lead sensor is one clear error
    }

    // frames still scheduled by a replay are dropped once the session finishes
    private val worker = ScheduledThreadPoolExecutor(1, ThreadPoolExecutor.DiscardPolicy()).apply {
        executeExistingDelayedTasksAfterShutdownPolicy = false
    }
    private val strip = StripBuffer(device.rate * STRIP_SECONDS)
    private val presenter = VerdictPresenter(manifest.labels, manifest.poorSignalLabel) // decision.poor_signal_label
    private val watchdog = DataWatchdog(manifest.live) // live.no_data_seconds
    private val controlChannel = ControlChannel(device)
    private val loop = LiveLoop(device, manifest.preprocessing, manifest.live, classifier, onSamples = ::onSamples)

    init {
        // live.no_data_rule: a silent sensor ends the session with the watchdog's line (a Movesense answers a
        // failed subscription with silence), as a device-initiated stop does
        worker.scheduleWithFixedDelay({
            watchdog.check(now(), device)?.let { SessionStore.log(it); onSensorStopped(it) }
        }, watchdog.timeoutMillis, watchdog.timeoutMillis, TimeUnit.MILLISECONDS)
    }

    /** Start commands were written: the watchdog starts counting. */
    fun subscribed() = worker.execute { watchdog.subscribed(now()) }

    /** One data notification. */
    fun data(value: ByteArray) = worker.execute {
        watchdog.frame(now())
        guarded { publish(loop.feed(value)) }
    }

    /** One control-point value (Polar) or command result (Movesense): a status line (a multi-part Polar
     *  response once its last part came); a stop of the ECG measurement ends the stream. */
    fun control(value: ByteArray) = worker.execute {
        val status = controlChannel.receive(value) ?: return@execute
        SessionStore.log(status.message)
        if (status is SensorStatus.Stopped) onSensorStopped(status.message)
    }

    /** End of stream: held-back frames are released, then the worker stops. */
    fun finish() {
        worker.execute { guarded { publish(loop.finish()) } }
        worker.shutdown()
    }

    /** Replay [frames] at the device's pace (one notification per frame interval). */
    fun replay(frames: List<ByteArray>, intervalMillis: Long, onEnd: () -> Unit) {
        subscribed()
        frames.forEachIndexed { i, f -> worker.schedule({ data(f) }, i * intervalMillis, TimeUnit.MILLISECONDS) }
        worker.schedule({ onEnd() }, frames.size * intervalMillis, TimeUnit.MILLISECONDS)
    }

    private fun publish(items: List<LiveItem>) {
        for (item in items) when (item) {
            is LiveItem.Transport -> SessionStore.log(StreamLines.event(item.event).toString())
            is WindowResult -> {
                val verdict = presenter.present(item)
                val probs = item.probabilities?.let { p -> item.codes.indices.map { item.codes[it] to p[it] } }.orEmpty()
                SessionStore.update { it.copy(verdict = verdict, probabilities = probs) }
                android.util.Log.i("lamscn", StreamLines.window(item).toString())
            }
        }
        SessionStore.update { it.copy(strip = strip.snapshot(), stripRate = device.rate, phase = SessionState.Phase.STREAMING) }
    }

    private fun onSamples(chunk: Chunk) = strip.add(chunk)

    /** Bad input never ends the app: one line in the log, the stream goes on. An uncaught exception on this
     *  worker would end the process, so a runtime failure of the model on one window is logged the same way. */
    private fun guarded(block: () -> Unit) = try {
        block()
    } catch (e: StreamError) {
        SessionStore.log("error: ${e.message}")
    } catch (e: RuntimeException) { // ExecuTorch reports a failed forward as a RuntimeException
        SessionStore.log("error: the model failed on a window: ${e.message?.lineSequence()?.firstOrNull() ?: e::class.simpleName}")
    }

    private fun now() = System.currentTimeMillis()

    companion object {
        const val STRIP_SECONDS = 5
    }
}
