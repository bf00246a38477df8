package lamscn.core

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import java.io.File
import kotlin.system.exitProcess

/** Runs every `*Test` class under the given classes folder; the last line is `N passed, N failed, N skipped`
 *  (what CI reads), and the exit status is non-zero on a failure or when no test ran. */
object TestMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val root = File(args.firstOrNull() ?: error("usage: TestMain <test classes folder>"))
        val classes = root.walkTopDown().filter { it.isFile && it.name.endsWith("Test.class") && '$' !in it.name }
            .map { it.relativeTo(root).path.removeSuffix(".class").replace(File.separatorChar, '.') }.sorted()
            .map { Class.forName(it) }.toList()
        val core = JUnitCore()
        core.addListener(object : RunListener() {
            override fun testFailure(failure: Failure) {
                println("FAIL ${failure.testHeader}: ${failure.message?.lineSequence()?.firstOrNull()}")
                failure.exception.stackTrace.firstOrNull { it.className.startsWith("lamscn") }?.let { println("     at $it") }
            }

            override fun testAssumptionFailure(failure: Failure) = println("SKIP ${failure.testHeader}: ${failure.message}")
            override fun testIgnored(description: Description) = println("SKIP ${description.displayName}: @Ignore")
        })
        val started = System.nanoTime()
        val result = core.run(*classes.toTypedArray())
        val skipped = result.assumptionFailureCount + result.ignoreCount
        val passed = result.runCount - result.failureCount - result.assumptionFailureCount
        println("${classes.size} test classes in %.1f s".format((System.nanoTime() - started) / 1e9))
        println("$passed passed, ${result.failureCount} failed, $skipped skipped")
        exitProcess(if (result.failureCount > 0 || passed == 0) 1 else 0)
    }
}
