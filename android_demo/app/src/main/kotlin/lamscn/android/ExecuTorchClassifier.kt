package lamscn.android

import lamscn.core.EcgClassifier
import lamscn.core.Manifest
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor
import java.io.File

/** The exported `.pte` on ExecuTorch: float32 `[1, leads, samples]` in, probabilities `[1, classes]` out
 *  (the sigmoid or softmax is inside the graph). Labels and thresholds come from the manifest. */
class ExecuTorchClassifier(pte: File, manifest: Manifest) : EcgClassifier, AutoCloseable {
    private val module: Module = Module.load(pte.absolutePath)
    override val codes: List<String> = manifest.codes
    override val thresholds: DoubleArray = manifest.thresholds
    override val multiLabel: Boolean = manifest.multiLabel

    override fun probabilities(input: FloatArray, shape: LongArray): DoubleArray {
        val outputs = module.forward(EValue.from(Tensor.fromBlob(input, shape)))
        check(outputs.isNotEmpty()) { "ExecuTorch returned no output (the module was destroyed or failed to run)" }
        val out = outputs[0].toTensor().dataAsFloatArray
        return DoubleArray(out.size) { out[it].toDouble() }
    }

    override fun close() = module.destroy()
}
