package lamscn.core

import org.junit.Assert.assertTrue
import org.junit.Assert.fail

/** Asserts that [read] is refused with an [E] whose message is one line containing [expected] (what a user reads). */
inline fun <reified E : Exception> assertRefused(what: String, expected: String, read: () -> Unit) {
    try {
        read(); fail("$what: accepted")
    } catch (e: Exception) {
        if (e !is E) throw e
        assertTrue("$what: '${e.message}' should contain '$expected'", e.message!!.contains(expected))
        assertTrue("$what: one line", '\n' !in e.message!!)
    }
}
