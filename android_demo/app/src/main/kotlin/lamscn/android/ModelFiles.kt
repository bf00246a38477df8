package lamscn.android

import android.content.Context
import lamscn.core.Manifest
import lamscn.core.ManifestError
import lamscn.core.ModelIoCase
import lamscn.core.ModelIoCases
import java.io.File

/** The exported model in the app: assets `model/` (copied from dist/android by Gradle) -> `filesDir/model`,
 *  because `Module.load` needs a readable file; then the manifest is read, its sha256 checked against the one
 *  compiled into the app (build.gradle.kts), and every artifact checksum checked. `model_io.json` comes along:
 *  its cases, keyed to the manifest, are the self-test's inputs and expected outputs. */
object ModelFiles {
    private const val ASSET_DIR = "model"
    const val RUNTIME = "executorch-xnnpack"
    /** fp32 matches eager PyTorch to 1e-5; the int8 program may miss its parity target (see the manifest's warnings). */
    const val PRECISION = "fp32"

    fun load(context: Context): Manifest {
        val names = context.assets.list(ASSET_DIR).orEmpty()
        if (Manifest.FILE_NAME !in names) {
            throw ManifestError("no model in the app: assets/$ASSET_DIR/${Manifest.FILE_NAME} is missing (see android_demo/README.md)")
        }
        val dir = File(context.filesDir, ASSET_DIR).apply { mkdirs() }
        for (name in names) {
            context.assets.open("$ASSET_DIR/$name").use { input -> File(dir, name).outputStream().use { input.copyTo(it) } }
        }
        return Manifest.read(dir, pinnedSha256 = BuildConfig.MANIFEST_SHA256.ifEmpty { null })
    }

    /** The model-I/O cases of [pte] (the artifact loaded) from `model_io.json` beside the manifest, for `ModelSelfTest`. */
    fun cases(manifest: Manifest, pte: File): List<ModelIoCase> = ModelIoCases.read(manifest.folder, manifest, pte.name)
}
