package lamscn.core

import java.io.File
import java.io.PrintStream
import kotlin.system.exitProcess

/**
 * The headless runner: `stream --frames FILE --device polar-h10|movesense[@RATE] --manifest DIR
 * --probabilities FILE [--emit-input[=full]]` prints one JSON line per event and per window, with the
 * keys and values of `python -m streaming stream`, so any recording can be compared with Python.
 * Bad input prints one line `error: ...` to stderr and exits with status 2.
 */
object StreamRunner {
    private const val USAGE = "usage: stream --frames FILE --device polar-h10|movesense[@RATE] --manifest DIR " +
        "--probabilities FILE [--emit-input[=summary|full]]"

    @JvmStatic
    fun main(args: Array<String>) {
        val code = try {
            run(args.toList(), System.out)
        } catch (e: StreamError) {
            System.err.println("error: ${e.message}")
            2
        } catch (e: java.io.IOException) {
            System.err.println("error: ${e.message}")
            2
        }
        System.out.flush()
        exitProcess(code)
    }

    /** Parse [args], stream the frames, write the lines to [out]; returns the exit status. */
    fun run(args: List<String>, out: PrintStream): Int {
        if (args.firstOrNull() != "stream") throw InputError(USAGE)
        val options = parse(args.drop(1))
        val device = Device.parse(options["--device"] ?: throw InputError("--device is required; $USAGE"))
        val manifest = Manifest.read(File(options["--manifest"] ?: throw InputError("--manifest is required; $USAGE")))
        manifest.requireFits(device)
        val probabilities = File(options["--probabilities"] ?: throw InputError("--probabilities is required; $USAGE"))
        if (!probabilities.isFile) throw InputError("probabilities ${probabilities.path}: no such file")
        val classifier = RecordedClassifier.fromJson(probabilities.readText(), probabilities.path)
        val framesFile = File(options["--frames"] ?: throw InputError("--frames is required; $USAGE"))
        if (!framesFile.isFile) throw InputError("frames ${framesFile.path}: no such file")
        val replay = ReplaySource.fromHex(device, framesFile.readText(Charsets.US_ASCII), framesFile.path)
        val emit = options["--emit-input"]
        if (emit != null && emit !in setOf("summary", "full")) throw InputError("--emit-input=$emit: expected summary or full")
        val loop = LiveLoop(device, manifest.preprocessing, manifest.live, classifier)
        var decoded = 0
        for (frame in replay) {
            val items = loop.feed(frame)
            if (items.none { it is LiveItem.Transport && it.event.kind == EventKind.BAD_FRAME }) decoded++
            items.forEach { out.println(line(it, emit)) }
        }
        loop.finish().forEach { out.println(line(it, emit)) }
        if (decoded == 0) throw InputError("none of the ${replay.frames.size} frames decodes as ${device.label} ECG")
        return 0
    }

    private fun line(item: LiveItem, emit: String?): String = when (item) {
        is LiveItem.Transport -> StreamLines.event(item.event).toString()
        is WindowResult -> StreamLines.window(item, emit).toString()
    }

    private fun parse(args: List<String>): Map<String, String> {
        val known = setOf("--frames", "--device", "--manifest", "--probabilities")
        val out = HashMap<String, String>()
        var i = 0
        while (i < args.size) {
            val a = args[i]
            when {
                a == "--emit-input" -> out[a] = "summary"
                a.startsWith("--emit-input=") -> out["--emit-input"] = a.substringAfter('=')
                a in known -> out[a] = args.getOrNull(++i) ?: throw InputError("$a needs a value")
                else -> throw InputError("unknown argument '$a'; $USAGE")
            }
            i++
        }
        return out
    }
}
