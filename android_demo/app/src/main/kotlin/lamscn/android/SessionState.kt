package lamscn.android

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import lamscn.core.Verdict

/** What the screen shows; written by the stream session (service), read by the UI. */
data class SessionState(
    val phase: Phase = Phase.IDLE,
    val source: String = "",
    val strip: FloatArray = FloatArray(0), // the last seconds of signal, mV at the device rate
    val stripRate: Int = 0,
    val verdict: Verdict? = null,
    val probabilities: List<Pair<String, Double>> = emptyList(),
    val log: List<String> = emptyList(),
) {
    enum class Phase { IDLE, CONNECTING, STREAMING, STOPPED, FAILED }
}

/** The one session state of the process (the service and the activity live in the same process). */
object SessionStore {
    private const val LOG_LINES = 8
    private val mutable = MutableStateFlow(SessionState())
    val state: StateFlow<SessionState> = mutable.asStateFlow()

    fun update(change: (SessionState) -> SessionState) = mutable.update(change)

    /** A status or error line, for the screen and logcat. */
    fun log(line: String) {
        android.util.Log.i("lamscn", line)
        mutable.update { it.copy(log = (it.log + line).takeLast(LOG_LINES)) }
    }
}
