package lamscn.android.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import lamscn.android.R
import lamscn.android.SessionState
import lamscn.android.SessionStore
import lamscn.android.ble.FoundSensor
import lamscn.core.Badge
import lamscn.core.Verdict

/** The whole UI: the "not a medical device" notice on every screen; the self-test error instead of results
 *  when the model does not check out; else the source list, or the live screen while streaming. */
@Composable
fun EcgApp(
    selfTest: SelfTest,
    sensors: List<FoundSensor>,
    onScan: () -> Unit,
    onPick: (FoundSensor) -> Unit,
    onReplayBundled: () -> Unit,
    onOpenFrames: () -> Unit,
    onStop: () -> Unit,
) {
    val state by SessionStore.state.collectAsStateWithLifecycle()
    MaterialTheme {
        Scaffold(bottomBar = { NotMedicalNotice() }) { padding ->
            Column(Modifier.padding(padding).padding(16.dp).fillMaxSize(), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                when (selfTest) {
                    SelfTest.Running -> Text("Checking the model …")
                    is SelfTest.Failed -> SelfTestError(selfTest.problems)
                    is SelfTest.Passed -> {
                        Text(selfTest.summary, style = MaterialTheme.typography.bodySmall)
                        if (state.phase == SessionState.Phase.CONNECTING || state.phase == SessionState.Phase.STREAMING) {
                            LiveScreen(state, onStop)
                        } else {
                            SourceList(sensors, onScan, onPick, onReplayBundled, onOpenFrames)
                            Log(state.log)
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun NotMedicalNotice() = Surface(color = Color(0xFFFFF3CD)) {
    Text(stringResource(R.string.not_medical), Modifier.fillMaxWidth().padding(12.dp), style = MaterialTheme.typography.bodyMedium)
}

@Composable
private fun SelfTestError(problems: List<String>) = Card(Modifier.fillMaxWidth()) {
    Column(Modifier.padding(16.dp)) {
        Text("The model failed its start-up check: no results are shown.", style = MaterialTheme.typography.titleMedium, color = MaterialTheme.colorScheme.error)
        problems.forEach { Text("• $it", style = MaterialTheme.typography.bodyMedium) }
        Text("Rebuild dist/android with export/build.py and reinstall the app (android_demo/README.md).", style = MaterialTheme.typography.bodySmall)
    }
}

@Composable
private fun SourceList(sensors: List<FoundSensor>, onScan: () -> Unit, onPick: (FoundSensor) -> Unit, onReplay: () -> Unit, onOpen: () -> Unit) {
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Button(onClick = onScan) { Text("Scan") }
        OutlinedButton(onClick = onReplay) { Text("Replay") }
        OutlinedButton(onClick = onOpen) { Text("Open frames file…") }
    }
    LazyColumn(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        items(sensors, key = { it.address }) { s ->
            Card(Modifier.fillMaxWidth().clickable { onPick(s) }) {
                Column(Modifier.padding(12.dp)) {
                    Text(s.name, style = MaterialTheme.typography.titleSmall)
                    Text("${s.device.label} · ${s.device.rate} Hz · ${s.address}", style = MaterialTheme.typography.bodySmall)
                }
            }
        }
    }
}

@Composable
private fun LiveScreen(state: SessionState, onStop: () -> Unit) {
    Row(horizontalArrangement = Arrangement.SpaceBetween, modifier = Modifier.fillMaxWidth()) {
        Text(state.source, style = MaterialTheme.typography.titleMedium)
        OutlinedButton(onClick = onStop) { Text("Stop") }
    }
    LiveStrip(state.strip, Modifier.fillMaxWidth().height(160.dp))
    state.verdict?.let { Findings(it, state.probabilities) } ?: Text("Collecting the first 10 s window …")
    Log(state.log)
}

/** The last seconds of ECG; NaN samples (a gap) break the line. */
@Composable
private fun LiveStrip(samples: FloatArray, modifier: Modifier) = Canvas(modifier.background(Color(0xFFF7F7F7))) {
    val finite = samples.filter { it.isFinite() }
    if (samples.size < 2 || finite.isEmpty()) return@Canvas
    val lo = finite.min()
    val span = (finite.max() - lo).takeIf { it > 0f } ?: 1f
    val path = Path()
    var pen = false
    samples.forEachIndexed { i, v ->
        if (!v.isFinite()) { pen = false; return@forEachIndexed }
        val x = i * size.width / (samples.size - 1)
        val y = size.height * (1f - (v - lo) / span)
        if (pen) path.lineTo(x, y) else path.moveTo(x, y)
        pen = true
    }
    drawPath(path, Color(0xFFC62828), style = Stroke(width = 2f))
}

@Composable
private fun Findings(v: Verdict, probabilities: List<Pair<String, Double>>) = Card(Modifier.fillMaxWidth()) {
    Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        QualityBadge(v.badge)
        Text(v.message, style = MaterialTheme.typography.titleMedium)
        v.heartRateBpm?.let { Text("heart rate ≈ %.0f bpm (rough, not clinical)".format(it)) }
        v.findings.forEach { Text("${it.name}: p = %.2f".format(it.probability)) }
        if (v.badge == Badge.GOOD && probabilities.isNotEmpty()) {
            Spacer(Modifier.height(4.dp))
            Text(probabilities.joinToString("   ") { (c, p) -> "$c %.2f".format(p) }, style = MaterialTheme.typography.bodySmall)
        }
    }
}

@Composable
private fun QualityBadge(b: Badge) {
    val (text, color) = when (b) {
        Badge.GOOD -> "signal good" to Color(0xFF2E7D32)
        Badge.POOR_SIGNAL -> "poor signal — hold still" to Color(0xFFEF6C00)
        Badge.INTERRUPTED -> "signal interrupted" to Color(0xFF616161)
    }
    Text(text, color = Color.White, modifier = Modifier.background(color).padding(horizontal = 8.dp, vertical = 2.dp))
}

@Composable
private fun Log(lines: List<String>) = Column {
    lines.forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
}
