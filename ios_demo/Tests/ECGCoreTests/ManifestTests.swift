import ECGCore
import Foundation
import XCTest

/// The exported `manifest.json` files (folders in `LAMSCN_MANIFEST_DIRS`, colon-separated, built
/// by `test.sh` with `export/build.py`) and broken manifests, each refused with one clear line.
final class ManifestTests: XCTestCase {
    /// A minimal valid manifest around one artifact file, from the golden contract and numbers.
    func syntheticFolder(leads: Int = 1) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let artifact = Array("not a real model".utf8)
        try Data(artifact).write(to: folder.appendingPathComponent("model.int8.mlpackage"))
        // the golden contract of 130 Hz, with the model rate's input length a manifest also carries
        let pre = try XCTUnwrap(try Golden.load("preprocessing/preprocessing_130hz.json")["contract"])
            .setting("resample/input_samples_by_rate/100", to: .int(1000))
        let numbers = try XCTUnwrap(try Golden.load("streaming/live_polar_h10.json")["numbers"])
        let labels: [JSONValue] = ["N", "A", "O", "~"].map {
            .object([("code", .string($0)), ("name", .string("class \($0)")), ("snomed_ct", .array([])),
                     ("threshold", .double(0.25))])
        }
        let doc = JSONValue.object([
            ("schema_version", .string(Manifest.schemaVersion)),
            ("model", .object([("name", .string("test")), ("version", .string("1")), ("architecture", .string("LAMSCN")),
                               ("kwargs", .object([])), ("parameters", .int(10))])),
            ("task", .object([("name", .string("cinc2017")), ("multi_label", .bool(false))])),
            ("labels", .array(labels)),
            ("leads", .array((0..<leads).map { .string("L\($0)") })),
            ("sample_rate_hz", .int(100)),
            ("window", .object([("samples", .int(1000)), ("seconds", .int(10))])),
            ("input", .object([("name", .string("ecg")), ("dtype", .string("float32")),
                               ("shape", .array([.int(1), .int(leads), .int(1000)]))])),
            ("output", .object([("name", .string("probabilities")), ("dtype", .string("float32")),
                                ("shape", .array([.int(1), .int(4)]))])),
            ("preprocessing", pre),
            ("decision", .object([("rule", .string("scaled_argmax")), ("description", .string("argmax p/t")),
                                  ("poor_signal_label", .string("~"))])),
            ("live", .object([("hop_seconds", try XCTUnwrap(numbers["hop_seconds"])),
                              ("sequencer", try XCTUnwrap(numbers["sequencer"])),
                              ("quality", try XCTUnwrap(numbers["quality"])),
                              ("heart_rate", try XCTUnwrap(numbers["heart_rate"])),
                              ("debounce", try XCTUnwrap(numbers["debounce"])),
                              ("no_data_seconds", try XCTUnwrap(numbers["no_data_seconds"]))])),
            ("artifacts", .array([.object([("file", .string("model.int8.mlpackage")), ("runtime", .string("coreml-mlprogram")),
                                           ("precision", .string("int8-weights")), ("bytes", .int(artifact.count)),
                                           ("sha256", .string(SHA256.hex(artifact))), ("sha256_of", .string("file"))])])),
            ("metrics", .object([])), ("provenance", .object([])),
            ("tools", .object([("torch", .string("2.13.0")), ("executorch", .string("1.5.1")),
                               ("coremltools", .string("9.0")), ("numpy", .string("2.3.5"))])),
        ])
        try write(doc, folder)
        return folder
    }

    func write(_ doc: JSONValue, _ folder: URL) throws {
        try Data(doc.text.utf8).write(to: folder.appendingPathComponent(Manifest.fileName))
    }

    func read(_ folder: URL) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent(Manifest.fileName)))
    }

    func assertRefused(_ folder: URL, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Manifest.load(folder), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "one line", file: file, line: line)
        }
    }

    /// Broken copies of a manifest folder: schema version, checksum, missing field, shapes, JSON.
    func checkBrokenCopies(of folder: URL) throws {
        let doc = try read(folder)
        let copy = { () throws -> URL in
            let to = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: folder, to: to)
            return to
        }
        let schema = try copy()
        try write(doc.replacing("schema_version", with: .string("lamscn-manifest/2")), schema)
        assertRefused(schema, "manifest schema_version 'lamscn-manifest/2', expected 'lamscn-manifest/1'")

        let missing = try copy()
        try write(doc.removing("labels"), missing)
        assertRefused(missing, "manifest invalid at (root): 'labels' is a required property")

        let nested = try copy()
        try write(doc.replacing("live", with: try XCTUnwrap(doc["live"]).removing("quality")), nested)
        assertRefused(nested, "manifest invalid at live: 'quality' is a required property")

        let shape = try copy()
        try write(doc.replacing("input", with: try XCTUnwrap(doc["input"]).replacing("shape", with: .array([.int(1), .int(3), .int(1000)]))), shape)
        assertRefused(shape, "manifest invalid at input/shape")

        let checksum = try copy()
        let art = try XCTUnwrap(doc["artifacts"]?[0]?["file"]?.string)
        var target = checksum.appendingPathComponent(art)
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: target.path, isDirectory: &isFolder)
        if isFolder.boolValue { target = target.appendingPathComponent("Manifest.json") }
        var bytes = try Data(contentsOf: target)
        bytes[bytes.startIndex] ^= 0x01
        try bytes.write(to: target)
        assertRefused(checksum, "artifact \(art): sha256 ")

        let gone = try copy()
        try FileManager.default.removeItem(at: gone.appendingPathComponent(art))
        assertRefused(gone, "no such file or folder")

        try checkBrokenFields(of: doc)

        let text = try copy()
        try Data("{\"schema_version\": ".utf8).write(to: text.appendingPathComponent(Manifest.fileName))
        assertRefused(text, "not valid JSON")
        assertRefused(folder.appendingPathComponent("nowhere"), "no such file")
    }

    /// The rules across fields (`check_fields` in `contract/manifest.py`, the broken cases of
    /// `python_tests/test_manifest_schema.py`): each broken copy of `doc` is refused naming the field.
    func checkBrokenFields(of doc: JSONValue, file: StaticString = #filePath, line: UInt = #line) throws {
        let decode = { (doc: JSONValue) throws -> Manifest in try Manifest.decode(Data(doc.text.utf8), source: "copy") }
        XCTAssertNoThrow(try decode(doc), "the unbroken copy decodes", file: file, line: line)
        let rate = try XCTUnwrap(doc["preprocessing"]?["antialias"]?["taps_by_rate"]?.members?.first?.0)
        let model = try XCTUnwrap(doc["preprocessing"]?["model_rate_hz"]?.integer)
        let sections = try XCTUnwrap(doc["preprocessing"]?["bandpass"]?["sos"]?.array?.count)
        let labels = try XCTUnwrap(doc["labels"]?.array?.count)
        let artifact = try XCTUnwrap(doc["artifacts"]?[0])
        let taps = "preprocessing/antialias/taps_by_rate"
        let broken: [(path: String, value: JSONValue?, refusal: String)] = [
            ("\(taps)/\(rate)", .string("0.1,0.2"), "manifest invalid at \(taps)/\(rate): expected"),
            ("\(taps)/\(rate)", .array([]), "manifest invalid at \(taps)/\(rate): no taps"),
            ("\(taps)/\(rate)", nil, "manifest invalid at \(taps): rates "),
            ("\(taps)/0\(rate)", .array([.double(1)]), "manifest invalid at \(taps): '0\(rate)' is not a rate in Hz"),
            ("preprocessing/resample/input_samples_by_rate/\(model)", nil,
             "manifest invalid at preprocessing/resample/input_samples_by_rate: has no entry for the model rate \(model)"),
            ("preprocessing/bandpass/sos/0", .array([.double(1), .double(0.5)]),
             "manifest invalid at preprocessing/bandpass/sos/0: 2 numbers, a section has 6"),
            ("preprocessing/bandpass/zi/0", .array([.double(0.1), .double(0.2), .double(0.3)]),
             "manifest invalid at preprocessing/bandpass/zi/0: 3 numbers, a state row has 2"),
            ("preprocessing/bandpass/zi/0", nil,
             "manifest invalid at preprocessing/bandpass/zi: \(sections - 1) rows for \(sections) sos sections"),
            ("preprocessing/window_seconds", .double(9.5), "manifest invalid at preprocessing/window_samples: "),
            ("preprocessing/standardize/std_floor", .int(0), "manifest invalid at preprocessing/standardize/std_floor"),
            ("labels/1/threshold", .int(0), "manifest invalid at labels/1/threshold: 0.0 is not in (0, 1]"),
            ("labels/1/threshold", .double(1.5), "manifest invalid at labels/1/threshold: 1.5 is not in (0, 1]"),
            ("labels/1", nil, "manifest invalid at labels: \(labels - 1) labels for an output of \(labels) classes"),
            ("live/quality", .object([]), "manifest invalid at live/quality: 'checks' is a required property"),
            ("live/quality/noisy", nil, "manifest invalid at live/quality/noisy: listed in checks but has no section"),
            ("live/quality/checks/0", .string("wobbly"), "manifest invalid at live/quality/checks: "),
            ("live/debounce/debounce_windows", .int(0), "manifest invalid at live/debounce/debounce_windows"),
            ("artifacts", .array([artifact, artifact]), "manifest invalid at artifacts: a file is listed twice"),
            ("decision/poor_signal_label", .string("?"),
             "manifest invalid at decision/poor_signal_label: '?' is not one of the labels' codes"),
            ("decision/poor_signal_label", .int(3), "manifest invalid at decision/poor_signal_label: expected"),
        ]
        for b in broken {
            XCTAssertThrowsError(try decode(doc.setting(b.path, to: b.value)), b.path, file: file, line: line) { error in
                XCTAssertTrue("\(error)".hasPrefix(b.refusal), "\(b.path): \(error)", file: file, line: line)
                XCTAssertFalse("\(error)".contains("\n"), "one line", file: file, line: line)
            }
        }
    }

    func testSyntheticManifestLoadsAndBrokenCopiesAreRefused() throws {
        let folder = try syntheticFolder()
        let m = try Manifest.load(folder)
        XCTAssertEqual(m.codes, ["N", "A", "O", "~"])
        XCTAssertEqual(m.decision.poorSignalLabel, "~")
        let doc = try read(folder)
        let decode = { (doc: JSONValue) throws -> Manifest in try Manifest.decode(Data(doc.text.utf8), source: "copy") }
        XCTAssertNil(try decode(doc.setting("decision/poor_signal_label", to: .null)).decision.poorSignalLabel, "null: none")
        XCTAssertNil(try decode(doc.setting("decision/poor_signal_label", to: nil)).decision.poorSignalLabel, "absent: none")
        XCTAssertEqual(try decode(doc.setting("decision/poor_signal_label", to: .string("O"))).decision.poorSignalLabel, "O")
        XCTAssertNoThrow(try m.check(fits: try Device.named("polar-h10")))
        XCTAssertThrowsError(try m.check(fits: try Device.named("movesense", rate: 250))) {  // its contract has 130 Hz only
            XCTAssertEqual("\($0)", "the manifest's preprocessing has no input length for 250 Hz")
        }
        try checkBrokenCopies(of: folder)
    }

    func testAnEditedThresholdIsRefusedOnlyByThePinnedDigest() throws {
        let folder = try syntheticFolder()
        let file = folder.appendingPathComponent(Manifest.fileName)
        let pin = SHA256.hex(Array(try Data(contentsOf: file)))
        XCTAssertNoThrow(try Manifest.load(folder, pinnedSHA256: pin.uppercased()))
        let doc = try read(folder)
        var labels = try XCTUnwrap(doc["labels"]?.array)
        labels[0] = labels[0].replacing("threshold", with: .double(0.99))
        try write(doc.replacing("labels", with: .array(labels)), folder)
        XCTAssertEqual(try Manifest.load(folder).thresholds[0], 0.99)  // still valid: only the pin can tell
        XCTAssertThrowsError(try Manifest.load(folder, pinnedSHA256: pin)) { error in
            XCTAssertTrue("\(error)".contains("pinned by the app build"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"), "one line")
        }
    }

    func testALeadMismatchIsRefused() throws {
        let m = try Manifest.load(try syntheticFolder(leads: 12))
        XCTAssertThrowsError(try m.check(fits: try Device.named("polar-h10"))) {
            XCTAssertEqual("\($0)", "this model needs 12 leads; Polar H10 provides 1")
        }
    }

    func testModelSelfTestRefusesAMismatchedModel() throws {
        let m = try Manifest.load(try syntheticFolder())
        var good = ScriptedClassifier(codes: m.codes, thresholds: m.thresholds, leads: m.leads, multiLabel: false,
                                      outputs: [[0.7, 0.1, 0.1, 0.1]])
        XCTAssertNoThrow(try ModelSelfTest.run(&good, manifest: m))
        var short = ScriptedClassifier(codes: m.codes, thresholds: m.thresholds, leads: m.leads, multiLabel: false,
                                       outputs: [[0.7, 0.3]])
        XCTAssertThrowsError(try ModelSelfTest.run(&short, manifest: m)) {
            XCTAssertEqual("\($0)", "model self-test probe window: 2 outputs, the manifest has 4 labels")
        }
        var notSoftmax = ScriptedClassifier(codes: m.codes, thresholds: m.thresholds, leads: m.leads, multiLabel: false,
                                            outputs: [[0.7, 0.7, 0.1, 0.1]])
        XCTAssertThrowsError(try ModelSelfTest.run(&notSoftmax, manifest: m))
        var otherLabels = ScriptedClassifier(codes: ["X"], thresholds: [0.5], leads: m.leads, multiLabel: false,
                                             outputs: [[1.0]])
        XCTAssertThrowsError(try ModelSelfTest.run(&otherLabels, manifest: m))
    }

    func testModelIOCasesAreMetWithinTheirTolerance() throws {
        let m = try Manifest.load(try syntheticFolder())
        let input = ModelInput(leads: 1, samples: 1000, values: (0..<1000).map { Float($0 % 7) / 7 })
        let expected = [0.1, 0.7, 0.1, 0.1]
        var near = ScriptedClassifier(codes: m.codes, thresholds: m.thresholds, leads: m.leads, multiLabel: false,
                                      outputs: [[0.12, 0.68, 0.1, 0.1]])
        XCTAssertNoThrow(try ModelSelfTest.run(&near, manifest: m, cases: [
            ModelIOCase(name: "case 0", input: input, expected: expected, tolerance: 0.05),
        ]))
        var far = near
        XCTAssertThrowsError(try ModelSelfTest.run(&far, manifest: m, cases: [
            ModelIOCase(name: "case 0", input: input, expected: expected, tolerance: 0.01),
        ])) {
            XCTAssertEqual("\($0)", "model self-test case 0: max |dp| 0.02 exceeds the tolerance 0.01")
        }
        XCTAssertThrowsError(try ModelSelfTest.run(&far, manifest: m, cases: [
            ModelIOCase(name: "short", input: ModelInput(leads: 1, samples: 10, values: [Float](repeating: 0, count: 10)),
                        expected: expected, tolerance: 0.05),
        ]))
    }

    func testExportedManifestsLoadTheirChecksumsHoldAndTheirNumbersAreTheGoldenOnes() throws {
        let folders = try Golden.exportedFolders()
        XCTAssertFalse(folders.isEmpty)
        let h10 = try Device.named("polar-h10")
        for folder in folders {
            let m = try Manifest.load(folder)
            print("manifest \(folder.path): \(m.model.name), \(m.leads.count) lead(s), \(m.artifacts.count) artifacts verified")
            // the exporter writes the key (null for a task without a poor-signal label), never leaves it out
            XCTAssertNotNil(try read(folder)["decision"]?.members?.first { $0.0 == "poor_signal_label" },
                            "decision/poor_signal_label is written")
            switch m.task.name {
            case "cinc2017": XCTAssertEqual(m.decision.poorSignalLabel, "~", "the patch model's poor-signal label")
            case "ptbxl17": XCTAssertNil(m.decision.poorSignalLabel, "the 12-lead model has no poor-signal label")
            default: XCTFail("no expected poor-signal label for the task '\(m.task.name)'")
            }
            XCTAssertEqual(m.input.shape, [1, m.leads.count, m.window.samples])
            XCTAssertEqual(try m.artifact(runtime: "coreml-mlprogram", preferring: ["fp16"]).precision, "fp16")
            XCTAssertEqual(try m.artifact(runtime: "coreml-mlprogram", preferring: ["int8-weights"]).precision, "int8-weights")
            XCTAssertThrowsError(try m.artifact(runtime: "executorch-xnnpack"))
            for rate in [130, 250, 300, 360, 500] {
                XCTAssertEqual(m.preprocessing.antialias.tapsByRate[String(rate)],
                               try Golden.contract(rate: rate).antialias.tapsByRate[String(rate)], "taps at \(rate) Hz")
            }
            XCTAssertEqual(m.preprocessing.bandpass, try Golden.contract(rate: 130).bandpass)
            XCTAssertEqual(m.live, try Golden.liveNumbers(try Golden.load("streaming/live_polar_h10.json")))
            if m.leads.count == 1 {
                XCTAssertNoThrow(try m.check(fits: h10))
                XCTAssertNoThrow(try m.check(fits: try Device.named("movesense", rate: 512)))
            } else {
                XCTAssertThrowsError(try m.check(fits: h10)) {
                    XCTAssertEqual("\($0)", "this model needs \(m.leads.count) leads; Polar H10 provides 1")
                }
            }
            try checkBrokenCopies(of: folder)
        }
    }
}

extension JSONValue {
    /// A copy of this object with `key` set (added at the end when absent).
    func replacing(_ key: String, with value: JSONValue) -> JSONValue {
        guard var m = members else { return self }
        if let i = m.firstIndex(where: { $0.0 == key }) { m[i].1 = value } else { m.append((key, value)) }
        return .object(m)
    }

    /// A copy with the value at `path` (`a/b/0`: object keys and array indices) set, added when the
    /// last key is absent, or removed when `value` is nil.
    func setting(_ path: String, to value: JSONValue?) -> JSONValue {
        setting(path.split(separator: "/").map(String.init)[...], to: value)
    }

    private func setting(_ path: ArraySlice<String>, to value: JSONValue?) -> JSONValue {
        guard let key = path.first else { return value ?? self }
        let rest = path.dropFirst()
        switch self {
        case var .object(m):
            if let i = m.firstIndex(where: { $0.0 == key }) {
                if rest.isEmpty && value == nil { m.remove(at: i) } else { m[i].1 = m[i].1.setting(rest, to: value) }
            } else if rest.isEmpty, let value {
                m.append((key, value))
            }
            return .object(m)
        case var .array(items):
            guard let i = Int(key), items.indices.contains(i) else { return self }
            if rest.isEmpty && value == nil { items.remove(at: i) } else { items[i] = items[i].setting(rest, to: value) }
            return .array(items)
        default:
            return self
        }
    }

    /// A copy of this object without `key`.
    func removing(_ key: String) -> JSONValue {
        .object((members ?? []).filter { $0.0 != key })
    }
}
