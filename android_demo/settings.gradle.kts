// LAMSCN Android demo: a pure Kotlin/JVM :core (codecs, preprocessing, live loop; tested against ../golden)
// and a thin Android :app (BLE transport, ExecuTorch, Compose UI).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "lamscn-android-demo"
include(":core", ":app")
