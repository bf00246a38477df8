import Foundation

/// The recorded outputs `stream --probabilities FILE` reads instead of a model (the same file
/// format and messages as `streaming/cli.py`): `{"codes", "thresholds", "multi_label", "outputs"}`
/// with an optional `"leads"`, one output row per classified window in turn.
public enum ProbabilitiesFile {
    public static func read(_ url: URL, device: Device) throws(StreamError) -> ScriptedClassifier {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StreamError(.input, "probabilities \(path): no such file")
        }
        guard let doc = try? JSONValue.parse(data) else {
            throw StreamError(.input, "probabilities \(path): not a JSON file (JSONDecodeError)")
        }
        guard let codes = doc["codes"]?.array?.compactMap(\.string), !codes.isEmpty,
              codes.count == doc["codes"]?.array?.count else {
            throw StreamError(.input, "probabilities \(path): 'codes' must be a non-empty list of strings")
        }
        guard let multiLabel = doc["multi_label"]?.boolean else {
            throw StreamError(.input, "probabilities \(path): 'multi_label' must be true or false")
        }
        guard let rows = doc["outputs"]?.array, !rows.isEmpty else {
            throw StreamError(.input, "probabilities \(path): 'outputs' must be a non-empty list of rows")
        }
        func numbers(_ row: JSONValue?, _ what: String) throws(StreamError) -> [Double] {
            guard let items = row?.array, items.count == codes.count else {
                throw StreamError(.input, "probabilities \(path): \(what) must be \(codes.count) numbers, one per code")
            }
            let values = items.compactMap(\.number)
            guard values.count == codes.count else {
                throw StreamError(.input, "probabilities \(path): \(what) must be \(codes.count) numbers, one per code")
            }
            return values
        }
        var outputs: [[Double]] = []
        for (i, row) in rows.enumerated() { outputs.append(try numbers(row, "outputs row \(i)")) }
        let thresholds = try numbers(doc["thresholds"], "'thresholds'")
        let leads = doc["leads"]?.array?.compactMap(\.string) ?? (0..<device.leads).map { "lead \($0 + 1)" }
        return ScriptedClassifier(codes: codes, thresholds: thresholds, leads: leads, multiLabel: multiLabel,
                                  outputs: outputs)
    }
}
