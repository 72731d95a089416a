#if canImport(Glibc)
import Glibc
#endif
import PetrelTestSupport
import PetrelTransportFuzz
import Testing

/// The transport fuzzer's harness (Fuzz/TransportFuzz) run without libFuzzer:
/// seeded mutations of valid post-handshake traffic, fed to a device's
/// session with the gateway. A broken check ends the process (as under
/// libFuzzer); replay with the printed `PETREL_SEED` and the same count.
@Suite("Transport state fuzzing (seeded)")
struct TransportStateFuzzTests {
    /// `PETREL_TRANSPORT_FUZZ_ITERATIONS`, else 5,000 (a few seconds in a debug build).
    static let iterations: Int = getenv("PETREL_TRANSPORT_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 5_000

    @Test("the seeds (valid traffic) run clean")
    func seeds() {
        let seeds = TransportFuzz.seeds()
        #expect(seeds.count >= 16)
        for s in seeds { TransportFuzz.run(s) }
    }

    @Test("mutated traffic after a valid handshake never crashes the session handler")
    func mutations() {
        let seed = SplitMix64.testSeed(default: 0x16B_F022)
        print("transport fuzz: PETREL_SEED=\(seed), \(Self.iterations) inputs")
        var rng = SplitMix64(seed: seed)
        var corpus = TransportFuzz.seeds()
        let start = ContinuousClock.now
        for _ in 0..<Self.iterations {
            var input = corpus[rng.int(0...(corpus.count - 1))]
            for _ in 0..<rng.int(1...4) { Self.mutate(&input, corpus: corpus, rng: &rng) }
            TransportFuzz.run(input)
            if corpus.count < 512 && rng.int(0...7) == 0 { corpus.append(input) }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("transport fuzz: \(Self.iterations) inputs in \(String(format: "%.1f", seconds)) s (\(Int(Double(Self.iterations) / max(seconds, 1e-9))) exec/s)")
    }

    /// One edit: flip a bit, set a byte, insert or delete a run, copy a run
    /// within the input, splice in part of another input, or change the session's options byte.
    static func mutate(_ input: inout [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) {
        if input.isEmpty { input = [0] }
        let i = rng.int(0...(input.count - 1))
        switch rng.int(0...6) {
        case 0: input[i] ^= UInt8(1) << UInt8(rng.int(0...7))
        case 1: input[i] = UInt8(truncatingIfNeeded: rng.next())
        case 2:
            let run = (0..<rng.int(1...16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            input.insert(contentsOf: run, at: i)
        case 3:
            if input.count > 1 { input.removeSubrange(i..<min(input.count, i + rng.int(1...16))) }
        case 4:
            let from = rng.int(0...(input.count - 1))
            let run = Array(input[from..<min(input.count, from + rng.int(1...32))])
            input.insert(contentsOf: run, at: i)
        case 5:
            let other = corpus[rng.int(0...(corpus.count - 1))]
            guard other.count > 1 else { return }
            let from = rng.int(1...(other.count - 1))
            input.insert(contentsOf: other[from..<min(other.count, from + rng.int(1...64))], at: max(i, 1))
        default:
            input[0] = UInt8(truncatingIfNeeded: rng.next())
        }
        if input.count > 4096 { input.removeLast(input.count - 4096) }
    }
}
