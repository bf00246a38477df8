package lamscn.android.ui

/** The start-up model check: running, passed (what was loaded), or failed (every problem, one line each). */
sealed interface SelfTest {
    data object Running : SelfTest
    data class Passed(val summary: String) : SelfTest
    data class Failed(val problems: List<String>) : SelfTest
}
