#if canImport(Glibc)
import Glibc
#endif

/// The deterministic generator every random test uses (SplitMix64), so a
/// failure prints its seed and replays exactly with `PETREL_SEED=<seed>`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `PETREL_SEED` when set (to replay a failure), else the suite's fixed default.
    public static func testSeed(default fallback: UInt64) -> UInt64 {
        if let p = getenv("PETREL_SEED"), let v = UInt64(String(cString: p)) { return v }
        return fallback
    }

    public mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
}
