import Foundation
import PetrelTime
import Testing
@testable import PetrelHotStore

/// Untrusted input (query parameters from the network, a damaged log file)
/// never traps.
@Suite struct HotStoreFuzzTests {
    @Test func timeRangeParsingNeverTraps() {
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("[]().;-+0123456789nowsmhdwuTZ: eEinfa_|=".utf8) + [0xC3, 0xA9, 0xFF]
        for _ in 0..<30_000 {
            let length = Int.random(in: 0..<32, using: &rng)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = selectorParameters(text)
            guard let r = try? TimeRange.parse(text) else { continue }
            _ = r.contains(baseTime, now: baseTime)
            // What parses prints back to an equal range (NaN offsets, which
            // never equal themselves, and instants past year 9999 aside).
            func printable(_ b: TimeRange.Bound) -> Bool {
                switch b {
                case .inclusive(.fixed(let t)), .exclusive(.fixed(let t)): return t.seconds < 253_402_300_800
                case .inclusive(.now(let o)), .exclusive(.now(let o)): return !o.isNaN
                case .unbounded: return true
                }
            }
            if printable(r.start) && printable(r.end) {
                #expect((try? TimeRange.parse(r.description)) == r, "\(text) -> \(r.description)")
            }
        }
    }

    @Test func structuredRangesRoundTrip() throws {
        var rng = SeededGenerator(seed: 11)
        let units = ["", "u", "ms", "s", "m", "h", "d", "w"]
        for _ in 0..<5_000 {
            func time() -> String {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: return ""
                case 1:
                    let t = WallTime(seconds: Int64.random(in: 0..<4_000_000_000, using: &rng),
                                     nanoseconds: Bool.random(using: &rng) ? 0 : UInt32.random(in: 0..<1_000_000_000, using: &rng))
                    return RFC3339.format(t)
                default:
                    let sign = Bool.random(using: &rng) ? "-" : ""
                    return "now(" + sign + "\(Int.random(in: 0..<10_000, using: &rng))" + units.randomElement(using: &rng)! + ")"
                }
            }
            let text = (Bool.random(using: &rng) ? "[" : "]") + time() + ".." + time() + (Bool.random(using: &rng) ? "]" : "[")
            let r = try TimeRange.parse(text)
            #expect(try TimeRange.parse(r.description) == r, "\(text)")
        }
    }

    @Test func damagedLogsNeverTrapAndKeepAPrefix() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 1000))
        do {
            let s = try HotStore.open(directory: dir.path, keyExpr: ke("**"), mode: .timeSeries, clock: { clock.now() })
            for t in 0..<200 as Range<Int64> {
                s.store(put("k/\(t % 5)", at: at(seconds: t), String(repeating: "z", count: Int(t % 30)),
                            encoding: .init(id: 3, schema: t % 4 == 0 ? "x" : nil), attachment: t % 3 == 0 ? [1, 2] : nil))
            }
        }
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.logPath)))
        var rng = SeededGenerator(seed: 3)
        for round in 0..<150 {
            var bytes = good
            let flips = Int.random(in: 1...4, using: &rng)
            var firstDamage = bytes.count
            for _ in 0..<flips {
                let i = Int.random(in: HotStoreLog.header.count..<bytes.count, using: &rng)
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                firstDamage = min(firstDamage, i)
            }
            if Bool.random(using: &rng) {
                let cut = Int.random(in: HotStoreLog.header.count..<bytes.count, using: &rng)
                bytes.removeSubrange(cut...)
                firstDamage = min(firstDamage, cut)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir.logPath))
            let s = try HotStore.open(directory: dir.path, keyExpr: ke("**"), mode: .timeSeries, clock: { clock.now() })
            // Every record that ends before the first damaged byte survives.
            var reader = RecordReader(good, from: HotStoreLog.header.count)
            var intact = 0
            while let _ = reader.next(), reader.offset <= firstDamage { intact += 1 }
            let recovered = s.snapshot().entries
            #expect(recovered >= intact, "round \(round)")
            #expect(recovered <= 200, "round \(round)")
        }
    }
}
