/// A 16-byte estimate of how many entries two sets differ by, small enough to ride in the
/// first query without breaking the 64-byte budget of an idle in-sync check.
///
/// Entries are split into 16 disjoint strata by the trailing zero bits of a second hash of
/// their ID (stratum L holds about 2^-(L+1) of them); each stratum is summarised by one
/// byte, the low byte of the sum of a third hash. A stratum whose bytes match on both sides
/// most likely holds no difference; from the pattern of matching strata the responder
/// takes the most likely difference size (maximum likelihood, a 1/256 chance of a false
/// match counted in). Coarse — within a factor of about two — which is why the sketch it
/// sizes is rateless: the initiator asks for more symbols when it is too small.
struct DifferenceEstimator: Equatable, Sendable {
    static let strata = 16
    var bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    init(ids: [UInt64]) {
        var sums = [UInt64](repeating: 0, count: Self.strata)
        for id in ids {
            let l = min(EntryHash.rehash(id, salt: 0x57A7_A001).trailingZeroBitCount, Self.strata - 1)
            sums[l] &+= EntryHash.rehash(id, salt: 0x57A7_A002)
        }
        bytes = sums.map { UInt8(truncatingIfNeeded: $0) }
    }

    /// The most likely number of differing entries between the two sets summarised, at least
    /// `lowerBound` (e.g. the difference of the sets' counts).
    func estimate(comparedWith other: DifferenceEstimator, lowerBound: Int = 0) -> Int {
        let n = min(bytes.count, other.bytes.count)
        var matches = [Bool]()
        for i in 0..<n { matches.append(bytes[i] == other.bytes[i]) }
        if matches.allSatisfy({ $0 }) { return max(lowerBound, 0) }
        var best = 1.0, bestLL = -Double.infinity
        var d = 1.0
        while d < 1_048_576 {
            var ll = 0.0
            for l in 0..<n {
                let p = l == Self.strata - 1 ? 1.0 / Double(1 << l) : 1.0 / Double(1 << (l + 1))
                let none = pow1m(p, d)
                let q = none + (1 - none) / 256
                ll += matches[l] ? log(q) : log(max(1e-300, 1 - q))
            }
            if ll > bestLL { bestLL = ll; best = d }
            d = max(d + 1, (d * 1.05).rounded())
        }
        return max(lowerBound, Int(best))
    }

    /// (1 − p)^d without Foundation.
    private func pow1m(_ p: Double, _ d: Double) -> Double { exp(d * log1p(-p)) }
}

// The standard library has no exp/log: small, accurate-enough versions (estimates only).
@inline(__always) func log(_ x: Double) -> Double {
    guard x > 0 else { return -.infinity }
    // x = m · 2^e with m in [1, 2): ln x = e ln 2 + ln m, ln m by atanh series.
    let e = x.exponent
    let m = x.significand
    let y = (m - 1) / (m + 1), y2 = y * y
    var term = y, sum = 0.0
    var k = 1.0
    for _ in 0..<20 { sum += term / k; term *= y2; k += 2 }
    return Double(e) * 0.693_147_180_559_945_3 + 2 * sum
}

@inline(__always) func log1p(_ x: Double) -> Double {
    if abs(x) < 1e-4 { return x - x * x / 2 + x * x * x / 3 }
    return log(1 + x)
}

@inline(__always) func log2(_ x: Double) -> Double { log(x) / 0.693_147_180_559_945_3 }

@inline(__always) func exp(_ x: Double) -> Double {
    if x < -745 { return 0 }
    if x > 709 { return .infinity }
    // e^x = 2^k · e^r, |r| ≤ ln2/2, e^r by Taylor series.
    let k = (x / 0.693_147_180_559_945_3).rounded()
    let r = x - k * 0.693_147_180_559_945_3
    var term = 1.0, sum = 1.0
    for i in 1..<20 { term *= r / Double(i); sum += term }
    return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
}
