// `ecg-stream stream --frames FILE --device polar-h10|movesense[@RATE] --manifest DIR
//  --probabilities FILE [--emit-input[=full]]`: a frame file through the Swift live loop, one JSON
// line per event and per window, as `python -m streaming stream --probabilities FILE` prints them.
// Bad input: one line `error: ...` on stderr, exit status 2.
import ECGCore
import Foundation

struct Options {
    var frames: String?
    var device: String?
    var manifest: String?
    var probabilities: String?
    var input: StreamLines.InputDetail = .none
}

let usage = "usage: ecg-stream stream --frames FILE --device polar-h10|movesense[@RATE] --manifest DIR "
    + "--probabilities FILE [--emit-input[=full]]"

func parse(_ args: [String]) throws(StreamError) -> Options {
    guard args.first == "stream" else { throw StreamError(.input, usage) }
    var options = Options()
    var rest = args.dropFirst()
    while let flag = rest.popFirst() {
        func value() throws(StreamError) -> String {
            guard let v = rest.popFirst() else { throw StreamError(.input, "\(flag) needs a value") }
            return v
        }
        switch flag {
        case "--frames": options.frames = try value()
        case "--device": options.device = try value()
        case "--manifest": options.manifest = try value()
        case "--probabilities": options.probabilities = try value()
        case "--emit-input", "--emit-input=summary": options.input = .summary
        case "--emit-input=full": options.input = .full
        default: throw StreamError(.input, "unknown argument \(flag); \(usage)")
        }
    }
    return options
}

func device(_ spec: String) throws(StreamError) -> Device {
    let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
    guard let name = parts.first else { throw StreamError(.input, "--device: empty") }
    guard parts.count == 2 else { return try Device.named(name) }
    guard let rate = Int(parts[1]) else { throw StreamError(.input, "--device \(spec): the rate must be an integer") }
    return try Device.named(name, rate: rate)
}

func run(_ args: [String]) throws -> Int32 {
    let options = try parse(args)
    guard let framesPath = options.frames, let deviceSpec = options.device, let manifestPath = options.manifest,
          let probabilitiesPath = options.probabilities else {
        throw StreamError(.input, "--frames, --device, --manifest and --probabilities are required; \(usage)")
    }
    let device = try device(deviceSpec)
    let manifest = try Manifest.load(URL(fileURLWithPath: manifestPath))
    try manifest.check(fits: device)
    let classifier = try ProbabilitiesFile.read(URL(fileURLWithPath: probabilitiesPath), device: device)
    let frames = try FrameFile.read(URL(fileURLWithPath: framesPath))
    var loop = try LiveLoop(device: device, manifest: manifest, classifier: classifier)
    var out = ""
    var decoded = 0
    for frame in frames {
        let items = try loop.feed(frame)
        if !items.contains(where: { if case let .event(e) = $0 { e.kind == .badFrame } else { false } }) { decoded += 1 }
        for item in items { out += StreamLines.line(item, input: options.input) + "\n" }
    }
    for item in try loop.finish() { out += StreamLines.line(item, input: options.input) + "\n" }
    FileHandle.standardOutput.write(Data(out.utf8))
    guard decoded > 0 else {
        throw StreamError(.input, "none of the \(frames.count) frames decodes as \(device.label) ECG")
    }
    return 0
}

do {
    exit(try run(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
