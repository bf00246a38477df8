package lamscn.android

import android.Manifest
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.bluetooth.BluetoothManager
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.Handler
import android.os.IBinder
import android.os.Looper
import androidx.annotation.RequiresPermission
import androidx.core.app.NotificationCompat
import androidx.core.app.ServiceCompat
import lamscn.android.ble.GattSensor
import lamscn.core.Device
import lamscn.core.ModelSelfTest
import lamscn.core.ReplaySource
import lamscn.core.StreamError
import java.io.File

/**
 * The foreground service that owns a stream, so it survives the screen going off: a BLE sensor
 * (address + device) or a replay (frames file text), through [StreamSession] to [SessionStore].
 * Its fields are touched on the main thread only: GATT and worker callbacks post there.
 */
class StreamService : Service() {
    private val main = Handler(Looper.getMainLooper())
    private var session: StreamSession? = null
    private var sensor: GattSensor? = null
    private var classifier: ExecuTorchClassifier? = null

    override fun onBind(intent: Intent?): IBinder? = null

    @Suppress("MissingPermission") // MainActivity starts the service only once BLUETOOTH_CONNECT is granted
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        if (intent?.action == ACTION_STOP) {
            stopStream("stopped by the user")
            return START_NOT_STICKY
        }
        val spec = intent?.getStringExtra(EXTRA_DEVICE) ?: return START_NOT_STICKY
        startInForeground(spec)
        try {
            val device = Device.parse(spec)
            val manifest = ModelFiles.load(this)
            val pte = manifest.artifactFile(ModelFiles.RUNTIME, ModelFiles.PRECISION)
            val model = ExecuTorchClassifier(pte, manifest).also { classifier = it }
            ModelSelfTest.check(manifest, model, ModelFiles.cases(manifest, pte)).firstOrNull()?.let { throw ModelCheckFailed(it) }
            val s = StreamSession(device, manifest, model, onSensorStopped = { line -> main.post { stopStream(line) } }).also { session = it }
            SessionStore.update { SessionState(phase = SessionState.Phase.CONNECTING, source = device.label) }
            val replay = intent.getStringExtra(EXTRA_REPLAY_FILE)
            if (replay != null) {
                val file = File(replay)
                if (!file.isFile) throw ModelCheckFailed("replay file $replay is missing")
                val source = ReplaySource.fromHex(device, file.readText(Charsets.US_ASCII), file.name)
                SessionStore.log("replaying ${source.frames.size} frames of ${device.label}")
                s.replay(source.frames, source.frameIntervalMillis) { main.post { stopStream("replay finished") } }
            } else {
                connect(device, intent.getStringExtra(EXTRA_ADDRESS) ?: throw ModelCheckFailed("no sensor address"), s)
            }
        } catch (e: StreamError) {
            fail(e.message ?: "stream error")
        } catch (e: ModelCheckFailed) {
            fail(e.message ?: "model check failed")
        } catch (e: Exception) { // ExecuTorch reports a missing or unsupported program as a runtime exception
            fail("the model cannot run: ${e.message?.lineSequence()?.firstOrNull() ?: e::class.simpleName}")
        }
        return START_NOT_STICKY
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    private fun connect(device: Device, address: String, s: StreamSession) {
        val adapter = getSystemService(BluetoothManager::class.java).adapter
        sensor = GattSensor(this, adapter.getRemoteDevice(address), device, object : GattSensor.Listener {
            override fun onStatus(line: String) = SessionStore.log(line)
            override fun onSubscribed() = s.subscribed()
            override fun onControl(value: ByteArray) = s.control(value)
            override fun onData(value: ByteArray) = s.data(value)
            override fun onClosed(reason: String) {
                main.post { stopStream(reason) }
            }
        }).also { it.connect() }
    }

    /** Ends the stream once: a user stop, a sensor stop, a lost connection or the end of a replay. */
    private fun stopStream(reason: String) {
        if (session == null && sensor == null) return stopSelf() // already ended (e.g. the disconnect after a sensor stop)
        end(reason)
    }

    private fun fail(line: String) {
        SessionStore.update { it.copy(phase = SessionState.Phase.FAILED) }
        end("error: $line")
    }

    @Suppress("MissingPermission")
    private fun end(reason: String) {
        sensor?.stop()
        sensor = null
        session?.finish()
        session = null
        classifier?.close()
        classifier = null
        SessionStore.log(reason)
        SessionStore.update { if (it.phase == SessionState.Phase.FAILED) it else it.copy(phase = SessionState.Phase.STOPPED) }
        ServiceCompat.stopForeground(this, ServiceCompat.STOP_FOREGROUND_REMOVE)
        stopSelf()
    }

    private fun startInForeground(spec: String) {
        val manager = getSystemService(NotificationManager::class.java)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            manager.createNotificationChannel(NotificationChannel(CHANNEL, getString(R.string.notification_channel), NotificationManager.IMPORTANCE_LOW))
        }
        val notification: Notification = NotificationCompat.Builder(this, CHANNEL)
            .setSmallIcon(android.R.drawable.stat_sys_data_bluetooth)
            .setContentTitle(getString(R.string.app_name))
            .setContentText(getString(R.string.notification_text, spec))
            .setOngoing(true)
            .build()
        val type = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) ServiceInfo.FOREGROUND_SERVICE_TYPE_CONNECTED_DEVICE else 0
        ServiceCompat.startForeground(this, NOTIFICATION_ID, notification, type)
    }

    private class ModelCheckFailed(message: String) : Exception(message)

    companion object {
        private const val CHANNEL = "stream"
        private const val NOTIFICATION_ID = 1
        private const val ACTION_STOP = "lamscn.android.STOP"
        private const val EXTRA_DEVICE = "device"
        private const val EXTRA_ADDRESS = "address"
        private const val EXTRA_REPLAY_FILE = "replay"

        /** Stream from the sensor at [address] ([device] as `polar-h10` or `movesense@RATE`). */
        fun startSensor(context: Context, device: Device, address: String) = context.startForegroundService(
            Intent(context, StreamService::class.java).putExtra(EXTRA_DEVICE, "${device.name}@${device.rate}").putExtra(EXTRA_ADDRESS, address))

        /** Replay a frames file in the app's storage (hex lines, as `python -m streaming simulate --out` writes). */
        fun startReplay(context: Context, device: Device, frames: File) = context.startForegroundService(
            Intent(context, StreamService::class.java).putExtra(EXTRA_DEVICE, "${device.name}@${device.rate}").putExtra(EXTRA_REPLAY_FILE, frames.path))

        fun stop(context: Context) = context.startService(Intent(context, StreamService::class.java).setAction(ACTION_STOP))
    }
}
