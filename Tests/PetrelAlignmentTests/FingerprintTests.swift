@testable import PetrelAlignment
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime
import Testing

@Suite("Alignment: incrementally kept fingerprints")
struct FingerprintTests {
    @Test("after random inserts, replacements and removals, every kept fingerprint equals a from-scratch computation")
    func incrementalEqualsRecomputed() {
        let seed = SplitMix64.testSeed(default: 0xF1F0_0001)
        var g = SplitMix64(seed: seed)
        for run in 0..<10 {
            var index = AlignmentIndex(layout: AlignmentLayout(subIntervalMillis: [100, 1000, 7000][run % 3],
                                                               subIntervalsPerInterval: [1, 10, 3][run % 3]),
                                       scope: kx("**"))
            let keys = g.int(1...400)
            for step in 0..<g.int(100...3000) {
                let key = "k/\(g.int(0...keys))"
                switch g.int(0...19) {
                case 0:
                    index.removeEntries(olderThan: timeAgo(Double(g.int(0...4000))), tombstonesOnly: g.int(0...1) == 0)
                default:
                    _ = index.apply(randomEntry(&g, key: key, maxAge: 4000, minAge: 0))
                }
                if step % 97 == 0 { check(index, seed: seed, run: run, &g) }
            }
            check(index, seed: seed, run: run, &g)
        }
    }

    private func check(_ index: AlignmentIndex, seed: UInt64, run: Int, _ g: inout SplitMix64) {
        let all = AlignmentWindow(from: 0, to: .max)
        #expect(index.totalFingerprint == recomputed(index, window: all), "seed \(seed) run \(run)")
        #expect(index.totalFingerprint.count == UInt64(index.count))
        let layout = index.layout
        for _ in 0..<5 {
            let a = layout.subInterval(of: timeAgo(Double(g.int(0...4100))))
            let b = layout.subInterval(of: timeAgo(Double(g.int(0...4100))))
            let w = AlignmentWindow(from: min(a, b), to: max(a, b) + UInt64(g.int(0...3)))
            #expect(index.fingerprint(of: w) == recomputed(index, window: w), "seed \(seed) run \(run) window \(w)")
        }
        let digest = index.digest(now: testNow)
        let bounds = layout.eraBounds(now: testNow)
        #expect(digest.hot == recomputed(index, window: AlignmentWindow(from: bounds.hotStart, to: bounds.settledEnd)))
        #expect(digest.warm == recomputed(index, window: AlignmentWindow(from: bounds.warmStart, to: bounds.hotStart)))
        #expect(digest.cold == recomputed(index, window: AlignmentWindow(from: 0, to: bounds.warmStart)))
        for e in index.entries {
            #expect(index.entry(withID: e.id) == e)
        }
    }

    @Test("the fingerprint does not depend on the order entries arrived in")
    func orderIndependent() {
        var g = SplitMix64(seed: SplitMix64.testSeed(default: 0xF1F0_0002))
        let entries = (0..<500).map { randomEntry(&g, key: "k/\($0 % 300)") }
        var a = AlignmentIndex(layout: .default, scope: kx("**"))
        var b = AlignmentIndex(layout: .default, scope: kx("**"))
        for e in entries { _ = a.apply(e) }
        for e in entries.shuffled(using: &g) { _ = b.apply(e) }
        #expect(a.totalFingerprint == b.totalFingerprint)
        #expect(a.digest(now: testNow) == b.digest(now: testNow))
    }

    @Test("removeEntries drops what is older (or only old tombstones) and nothing else")
    func removal() {
        var a = AlignmentIndex(layout: .default, scope: kx("**"))
        let id = clocks[0]
        _ = a.apply(AlignmentEntry(key: "old-put", timestamp: Timestamp(time: timeAgo(100), id: id), isTombstone: false))
        _ = a.apply(AlignmentEntry(key: "old-del", timestamp: Timestamp(time: timeAgo(100), id: id), isTombstone: true))
        _ = a.apply(AlignmentEntry(key: "new-del", timestamp: Timestamp(time: timeAgo(10), id: id), isTombstone: true))
        a.removeEntries(olderThan: timeAgo(50), tombstonesOnly: true)
        #expect(Set(a.entries.map(\.key)) == ["old-put", "new-del"])
        a.removeEntries(olderThan: timeAgo(50), tombstonesOnly: false)
        #expect(Set(a.entries.map(\.key)) == ["new-del"])
        #expect(a.totalFingerprint == recomputed(a, window: AlignmentWindow(from: 0, to: .max)))
    }

    @Test("entry IDs are stable: the same entry hashes the same, a change of any field changes it")
    func entryIDs() {
        let t = Timestamp(time: testNow, id: clocks[0])
        let e = AlignmentEntry(key: "site/pi7/temp", timestamp: t, isTombstone: false)
        #expect(e.id == AlignmentEntry(key: "site/pi7/temp", timestamp: t, isTombstone: false).id)
        #expect(e.id != AlignmentEntry(key: "site/pi7/temq", timestamp: t, isTombstone: false).id)
        #expect(e.id != AlignmentEntry(key: "site/pi7/temp", timestamp: t, isTombstone: true).id)
        #expect(e.id != AlignmentEntry(key: "site/pi7/temp", timestamp: Timestamp(time: NTP64(rawValue: testNow.rawValue + 1), id: clocks[0]), isTombstone: false).id)
        #expect(e.id != AlignmentEntry(key: "site/pi7/temp", timestamp: Timestamp(time: testNow, id: clocks[1]), isTombstone: false).id)
        // A pinned value: the ID is part of the wire protocol, it must not change by accident.
        #expect(AlignmentEntry(key: "a", timestamp: Timestamp(time: NTP64(rawValue: 1), id: ZenohID(high: 0, low: 1)!), isTombstone: false).id.rawValue == pinnedID)
    }
}

/// Computed once by this implementation (docs/alignment.md gives the algorithm).
let pinnedID: UInt64 = 811_521_616_394_524_817
