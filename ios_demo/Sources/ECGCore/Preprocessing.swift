import Foundation

/// The preprocessing contract's numbers, the manifest's `preprocessing` section
/// (`contract.preprocessing.contract_numbers`): no app designs a filter itself.
public struct PreprocessingContract: Codable, Sendable, Equatable {
    public struct Antialias: Codable, Sendable, Equatable {
        public let tapsByRate: [String: [Double]]
        enum CodingKeys: String, CodingKey { case tapsByRate = "taps_by_rate" }
    }

    public struct Resample: Codable, Sendable, Equatable {
        public let inputSamplesByRate: [String: Int]
        enum CodingKeys: String, CodingKey { case inputSamplesByRate = "input_samples_by_rate" }
    }

    public struct Bandpass: Codable, Sendable, Equatable {
        public let sos: [[Double]]
        public let zi: [[Double]]
        public let padlen: Int
    }

    public struct Standardize: Codable, Sendable, Equatable {
        public let stdFloor: Double
        enum CodingKeys: String, CodingKey { case stdFloor = "std_floor" }
    }

    public let modelRateHz: Int
    public let windowSeconds: Double
    public let windowSamples: Int
    public let antialias: Antialias
    public let resample: Resample
    public let bandpass: Bandpass
    public let standardize: Standardize

    enum CodingKeys: String, CodingKey {
        case modelRateHz = "model_rate_hz"
        case windowSeconds = "window_seconds"
        case windowSamples = "window_samples"
        case antialias, resample, bandpass, standardize
    }
}

extension PreprocessingContract {
    /// The manifest's rules for this section (`contract/manifest.py`): the window length, one
    /// non-empty FIR per input rate but the model rate, 6-number `sos` rows with one 2-number `zi`
    /// row each, a positive std floor.
    func check() throws(ManifestError) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(ManifestError) {
            if !ok { throw ManifestError("manifest invalid at preprocessing/\(message())") }
        }
        func rates(_ keys: some Collection<String>, _ field: String) throws(ManifestError) -> Set<Int> {
            for key in keys.sorted() where Int(key).map({ $0 >= 1 && String($0) == key }) != true {
                throw ManifestError("manifest invalid at preprocessing/\(field): '\(key)' is not a rate in Hz")
            }
            return Set(keys.compactMap { Int($0) })
        }
        try require(Double(windowSamples) == (windowSeconds * Double(modelRateHz)).rounded(.toNearestOrEven),
                    "window_samples: \(windowSamples) is not window_seconds x model_rate_hz (\(windowSeconds) x \(modelRateHz))")
        let fir = try rates(antialias.tapsByRate.keys, "antialias/taps_by_rate")
        let input = try rates(resample.inputSamplesByRate.keys, "resample/input_samples_by_rate")
        for (rate, taps) in antialias.tapsByRate.sorted(by: { $0.key < $1.key }) {
            try require(!taps.isEmpty, "antialias/taps_by_rate/\(rate): no taps")
        }
        try require(input.contains(modelRateHz), "resample/input_samples_by_rate: has no entry for the model rate \(modelRateHz)")
        try require(fir.subtracting([modelRateHz]) == input.subtracting([modelRateHz]),
                    "antialias/taps_by_rate: rates \(fir.sorted()) differ from resample's \(input.sorted())")
        try require(!bandpass.sos.isEmpty, "bandpass/sos: at least one section is required")
        for (i, row) in bandpass.sos.enumerated() {
            try require(row.count == 6, "bandpass/sos/\(i): \(row.count) numbers, a section has 6")
        }
        for (i, row) in bandpass.zi.enumerated() {
            try require(row.count == 2, "bandpass/zi/\(i): \(row.count) numbers, a state row has 2")
        }
        try require(bandpass.zi.count == bandpass.sos.count,
                    "bandpass/zi: \(bandpass.zi.count) rows for \(bandpass.sos.count) sos sections")
        try require(standardize.stdFloor > 0, "standardize/std_floor: must be > 0")
    }
}

/// Every intermediate of one window (`contract.preprocessing.Preprocessed`), per lead.
public struct Preprocessed: Sendable, Equatable {
    public let antialiased: [[Double]]
    public let resampled: [[Double]]
    public let filtered: [[Double]]
    /// Population std of `filtered` per lead, before the floor.
    public let leadStd: [Double]
    /// The model input per lead, float32.
    public let window: [[Float]]
}

/// The contract bound to one input rate: anti-alias FIR, integer-exact linear resampling,
/// forward-backward SOS band-pass with odd padding, z-score (a port of `contract/preprocessing.py`).
/// Steps 1–3 run in Double like Python's float64; the model input is Float.
public struct Preprocessor: Sendable {
    public let rate: Int
    public let modelRate: Int
    public let windowSamples: Int
    /// Input samples one window needs at `rate`.
    public let inputSamples: Int
    let taps: [Double]
    let sos: [[Double]]
    let zi: [[Double]]
    let padlen: Int
    let stdFloor: Double

    /// Refuses a rate the contract carries no numbers for, and malformed filter sections.
    public init(contract: PreprocessingContract, rate: Int) throws(StreamError) {
        guard rate >= contract.modelRateHz else {
            throw StreamError(.preprocessing,
                              "unsupported sample rate \(rate) Hz (need an integer rate >= \(contract.modelRateHz) Hz)")
        }
        guard let need = contract.resample.inputSamplesByRate[String(rate)] else {
            throw StreamError(.preprocessing, "the manifest's preprocessing has no input length for \(rate) Hz")
        }
        let taps = rate == contract.modelRateHz ? [] : contract.antialias.tapsByRate[String(rate)]
        guard let taps, taps.count % 2 == 1 || taps.isEmpty else {
            throw StreamError(.preprocessing, "the manifest's preprocessing has no odd-length anti-alias taps for \(rate) Hz")
        }
        let bp = contract.bandpass
        guard !bp.sos.isEmpty, bp.sos.allSatisfy({ $0.count == 6 }), bp.zi.count == bp.sos.count,
              bp.zi.allSatisfy({ $0.count == 2 }), bp.padlen >= 1, contract.windowSamples > bp.padlen + 1,
              need >= (contract.windowSamples - 1) * rate / contract.modelRateHz + 1 else {
            throw StreamError(.preprocessing, "the manifest's band-pass sections, zi, padlen or window do not fit together")
        }
        self.rate = rate
        self.modelRate = contract.modelRateHz
        self.windowSamples = contract.windowSamples
        self.inputSamples = need
        self.taps = taps
        self.sos = bp.sos
        self.zi = bp.zi
        self.padlen = bp.padlen
        self.stdFloor = contract.standardize.stdFloor
    }

    /// Run the whole contract on one buffer per lead in mV; extra samples at the end are ignored.
    public func process(_ leads: [[Double]]) throws(StreamError) -> Preprocessed {
        guard !leads.isEmpty else { throw StreamError(.preprocessing, "expected samples shaped [leads, n], got no leads") }
        if let short = leads.first(where: { $0.count < inputSamples }) {
            throw StreamError(.preprocessing, "too short: \(short.count) samples at \(rate) Hz, one window needs \(inputSamples)")
        }
        let x = leads.map { Array($0.prefix(inputSamples)) }
        let bad = x.indices.filter { !x[$0].allSatisfy(\.isFinite) }
        guard bad.isEmpty else {
            throw StreamError(.preprocessing, "non-finite samples (NaN or inf) in lead(s) \(bad)")
        }
        let aa = x.map(antialias)
        let res = aa.map(resample)
        let filt = res.map(bandpass)
        let stats = filt.map(Self.meanStd)
        let window = zip(filt, stats).map { lead, ms in
            lead.map { Float(($0 - ms.mean) / max(ms.std, stdFloor)) }
        }
        return Preprocessed(antialiased: aa, resampled: res, filtered: filt, leadStd: stats.map(\.std), window: window)
    }

    /// Step 1: zero-phase FIR low-pass, the lead padded at both ends by repeating its edge sample.
    func antialias(_ x: [Double]) -> [Double] {
        guard !taps.isEmpty else { return x }
        let half = taps.count / 2, n = x.count
        let padded = [Double](repeating: x[0], count: half) + x + [Double](repeating: x[n - 1], count: half)
        var out = [Double](repeating: 0, count: n)
        let last = taps.count - 1
        for j in 0..<n {
            var acc = 0.0
            for k in 0...last { acc += padded[j + k] * taps[last - k] }
            out[j] = acc
        }
        return out
    }

    /// Step 2: linear interpolation at input position `k * rate / modelRate`, exact in integers.
    func resample(_ x: [Double]) -> [Double] {
        (0..<windowSamples).map { k in
            let i = k * rate / modelRate
            let frac = Double(k * rate % modelRate) / Double(modelRate)
            let next = min(i + 1, x.count - 1)
            return x[i] * (1.0 - frac) + x[next] * frac
        }
    }

    /// Step 3: `sosfiltfilt(padtype='odd')` written out: odd extension, forward pass from
    /// `zi * first`, backward pass from `zi * last`, pad stripped.
    func bandpass(_ x: [Double]) -> [Double] {
        let n = x.count
        var ext = [Double]()
        ext.reserveCapacity(n + 2 * padlen)
        for k in stride(from: padlen, through: 1, by: -1) { ext.append(2 * x[0] - x[k]) }
        ext += x
        for k in 1...padlen { ext.append(2 * x[n - 1] - x[n - 1 - k]) }
        let forward = sosfilt(ext)
        let backward = sosfilt(forward.reversed())
        return Array(backward.reversed()[padlen..<(padlen + n)])
    }

    /// Cascaded direct-form II transposed sections (scipy's `sosfilt`), state `zi * x[0]`.
    func sosfilt(_ input: [Double]) -> [Double] {
        var y = input
        let x0 = input[0]
        for (s, section) in sos.enumerated() {
            let b0 = section[0], b1 = section[1], b2 = section[2], a1 = section[4], a2 = section[5]
            var z0 = zi[s][0] * x0, z1 = zi[s][1] * x0
            for i in y.indices {
                let xi = y[i]
                let yi = b0 * xi + z0
                z0 = b1 * xi - a1 * yi + z1
                z1 = b2 * xi - a2 * yi
                y[i] = yi
            }
        }
        return y
    }

    /// Mean and population std of one lead.
    static func meanStd(_ x: [Double]) -> (mean: Double, std: Double) {
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        return (mean, variance.squareRoot())
    }
}
