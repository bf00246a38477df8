package lamscn.android

import android.Manifest
import android.bluetooth.BluetoothManager
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.core.content.ContextCompat
import lamscn.android.ble.BleScanner
import lamscn.android.ble.FoundSensor
import lamscn.android.ui.EcgApp
import lamscn.android.ui.SelfTest
import lamscn.core.Device
import lamscn.core.ModelSelfTest
import lamscn.core.ReplaySource
import lamscn.core.StreamError
import java.io.File
import kotlin.concurrent.thread

/** Start-up self-test, permissions, scan and the choice of a source; everything else is in :core and [StreamService]. */
class MainActivity : ComponentActivity() {
    private val selfTest = mutableStateOf<SelfTest>(SelfTest.Running)
    private val sensors = mutableStateListOf<FoundSensor>()
    private var scanner: BleScanner? = null

    private val permissions = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        if (granted.values.all { it }) startScan() else SessionStore.log("Bluetooth permissions were refused: only Replay works")
    }

    private val openFrames = registerForActivityResult(ActivityResultContracts.OpenDocument()) { uri -> uri?.let(::replayFrom) }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        runSelfTest()
        setContent {
            EcgApp(
                selfTest = selfTest.value,
                sensors = sensors,
                onScan = { permissions.launch(requiredPermissions()) },
                onPick = { s -> stopScan(); StreamService.startSensor(this, s.device, s.address) },
                onReplayBundled = ::replayBundled,
                onOpenFrames = { openFrames.launch(arrayOf("text/*", "application/octet-stream")) },
                onStop = { StreamService.stop(this) },
            )
        }
    }

    override fun onStop() {
        stopScan()
        super.onStop()
    }

    /** The model-I/O self-test against the manifest: artifact present, checksums, outputs shaped like the labels,
     *  and the loaded artifact's `model_io.json` cases within their tolerance. */
    private fun runSelfTest() = thread(name = "self-test") {
        selfTest.value = try {
            val manifest = ModelFiles.load(this)
            val pte = manifest.artifactFile(ModelFiles.RUNTIME, ModelFiles.PRECISION)
            val cases = ModelFiles.cases(manifest, pte)
            val problems = ExecuTorchClassifier(pte, manifest).use { ModelSelfTest.check(manifest, it, cases) }
            if (problems.isEmpty()) SelfTest.Passed("${manifest.modelName} ${manifest.modelVersion}: ${manifest.leads.size} lead(s), " +
                "${manifest.labels.size} classes (${ModelFiles.PRECISION}, ${cases.size} model-I/O cases)")
            else SelfTest.Failed(problems)
        } catch (e: StreamError) {
            SelfTest.Failed(listOf(e.message ?: "manifest error"))
        } catch (e: Exception) { // ExecuTorch: a program it cannot load or run
            SelfTest.Failed(listOf("the model cannot run: ${e.message?.lineSequence()?.firstOrNull() ?: e::class.simpleName}"))
        }
    }

    private fun requiredPermissions(): Array<String> = buildList {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            add(Manifest.permission.BLUETOOTH_SCAN); add(Manifest.permission.BLUETOOTH_CONNECT)
        } else {
            add(Manifest.permission.ACCESS_FINE_LOCATION)
        }
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) add(Manifest.permission.POST_NOTIFICATIONS)
    }.toTypedArray()

    private fun allowed(permission: String) = ContextCompat.checkSelfPermission(this, permission) == PackageManager.PERMISSION_GRANTED

    @Suppress("MissingPermission") // checked just before
    private fun startScan() {
        val scan = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) Manifest.permission.BLUETOOTH_SCAN else Manifest.permission.ACCESS_FINE_LOCATION
        if (!allowed(scan)) return
        val adapter = getSystemService(BluetoothManager::class.java)?.adapter ?: return SessionStore.log("this phone has no Bluetooth")
        sensors.clear()
        scanner = BleScanner(adapter, onFound = { s -> runOnUiThread { if (sensors.none { it.address == s.address }) sensors += s } },
            onError = SessionStore::log).also { it.start() }
    }

    @Suppress("MissingPermission")
    private fun stopScan() {
        scanner?.stop()
        scanner = null
    }

    /** `assets/model/replay.hex` when the build bundled one (see README), else ask for a file. */
    private fun replayBundled() {
        val text = runCatching { assets.open("model/$BUNDLED_REPLAY").bufferedReader(Charsets.US_ASCII).readText() }.getOrNull()
        if (text == null) openFrames.launch(arrayOf("text/*", "application/octet-stream")) else replayText(text)
    }

    private fun replayFrom(uri: Uri) {
        val text = contentResolver.openInputStream(uri)?.use { it.bufferedReader(Charsets.US_ASCII).readText() }
            ?: return SessionStore.log("cannot read $uri")
        replayText(text)
    }

    private fun replayText(text: String) {
        try {
            val device = ReplaySource.deviceOf(text) ?: Device.PolarH10()
            val file = File(cacheDir, BUNDLED_REPLAY).apply { writeText(text, Charsets.US_ASCII) }
            StreamService.startReplay(this, device, file)
        } catch (e: StreamError) {
            SessionStore.log("error: ${e.message}")
        }
    }

    companion object {
        private const val BUNDLED_REPLAY = "replay.hex"
    }
}
