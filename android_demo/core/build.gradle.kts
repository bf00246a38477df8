// Pure Kotlin/JVM: no android.*, no ExecuTorch. Tests read ../golden and, when set, $LAMSCN_MANIFEST_DIRS.
// Without Gradle (this repository's CI), core/test.sh compiles and runs the same sources.
plugins {
    alias(libs.plugins.kotlin.jvm)
    application
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation(libs.kotlinx.serialization.json)
    testImplementation(libs.junit)
}

application {
    mainClass.set("lamscn.core.StreamRunner") // ./gradlew :core:run --args="stream --frames ... --device ... --manifest ... --probabilities ..."
}

tasks.test {
    environment("LAMSCN_GOLDEN_DIR", rootProject.file("../golden").absolutePath)
    environment("LAMSCN_MANIFEST_DIRS", System.getenv("LAMSCN_MANIFEST_DIRS") ?: rootProject.file("../dist/android").takeIf { it.isDirectory }?.absolutePath ?: "")
    testLogging { events("failed", "skipped"); showStandardStreams = true }
}
