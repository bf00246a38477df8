// Thin Android shell over :core: BLE transport, foreground service, ExecuTorch classifier, Compose UI.
// The model comes from `python export/build.py --target android ...` (dist/android/), copied into the
// app's assets by copyModelAssets before every build.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val modelDir: File = rootProject.file(providers.gradleProperty("lamscn.modelDir").getOrElse("../dist/android"))
val generatedAssets = layout.buildDirectory.dir("generated/lamscnAssets")
// The manifest's sha256, compiled into the app (BuildConfig.MANIFEST_SHA256): at start-up the core refuses a
// manifest whose bytes differ from it (README, "Trusting a manifest"). Empty when there is no model yet.
val manifestSha256: String = File(modelDir, "manifest.json").takeIf { it.isFile }?.let { f ->
    java.security.MessageDigest.getInstance("SHA-256").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
} ?: ""

val copyModelAssets by tasks.registering(Copy::class) {
    description = "Copies manifest.json, model_io.json and the .pte files of $modelDir into the app's assets (model/)."
    doFirst {
        for (name in listOf("manifest.json", "model_io.json")) {
            require(File(modelDir, name).isFile) {
                "no $modelDir/$name: run `python export/build.py --target android --model lamscn_1lead_cinc2017` " +
                    "in the repository first (or pass -Plamscn.modelDir=DIR)"
            }
        }
    }
    from(modelDir) { include("manifest.json", "model_io.json", "*.pte", "replay.hex") } // replay.hex: optional, see README
    into(generatedAssets.map { it.dir("model") })
}

android {
    namespace = "lamscn.android"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "lamscn.android"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1"
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") } // the ABIs the ExecuTorch AAR ships
        buildConfigField("String", "MANIFEST_SHA256", "\"$manifestSha256\"")
    }

    sourceSets["main"].assets.srcDir(generatedAssets)

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    androidResources {
        noCompress += "pte" // Module.load needs a plain file: assets are copied to filesDir at start-up
    }
}

tasks.named("preBuild") { dependsOn(copyModelAssets) }

dependencies {
    implementation(project(":core"))
    implementation(libs.executorch.android)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.service)
    implementation(libs.androidx.activity.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.ui.tooling.preview)
}
