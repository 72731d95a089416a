import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// Bounds: the hot window, the entry count and the bytes; oldest first.
@Suite struct HotStoreEvictionTests {
    @Test func samplesLeaveWithTheHotWindow() {
        let c = ClockedStore(.timeSeries, hotWindow: .seconds(60), now: at(seconds: 100))
        for t in stride(from: 50, through: 100, by: 10) as StrideThrough<Int64> {
            #expect(c.store.store(put("t", at: at(seconds: t), "\(t)")) == .stored)
        }
        // Already out of the window when it arrives.
        #expect(c.store.store(put("t", at: at(seconds: 39), "too old")) == .expired)
        c.clock.set(at(seconds: 125)) // window now starts at 65
        #expect(c.store.query(ke("t")).map(text) == ["70", "80", "90", "100"])
        let snap = c.store.snapshot()
        #expect(snap.counters.evictedByAge == 2 && snap.counters.expired == 1 && snap.entries == 4)
        c.clock.set(at(seconds: 1000))
        #expect(c.store.evictExpired() == 4)
        #expect(c.store.snapshot().keys == 0)
    }

    @Test func theOldestEntriesGoFirstOverTheCountLimit() {
        let c = ClockedStore(.timeSeries, maxEntries: 5)
        for t in 0..<8 as Range<Int64> { c.store.store(put("k/\(t % 3)", at: at(seconds: t), "\(t)")) }
        #expect(c.store.query(ke("**")).map(text) == ["3", "4", "5", "6", "7"])
        // An older sample than everything held is itself the oldest: in, then out.
        #expect(c.store.store(put("k/0", at: at(seconds: 1), "1 again")) == .stored)
        #expect(c.store.query(ke("**")).map(text) == ["3", "4", "5", "6", "7"])
        #expect(c.store.snapshot().counters.evictedByCount == 4)
        #expect(c.store.snapshot().entries == 5)
    }

    @Test func keyValueEvictsTheKeyWithTheOldestValue() {
        let c = ClockedStore(.keyValue, maxEntries: 3)
        c.store.store(put("a", at: at(seconds: 1), "a1"))
        c.store.store(put("b", at: at(seconds: 2), "b2"))
        c.store.store(put("c", at: at(seconds: 3), "c3"))
        c.store.store(put("a", at: at(seconds: 4), "a4")) // a is now the newest
        c.store.store(put("d", at: at(seconds: 5), "d5")) // evicts b
        #expect(Set(c.store.query(ke("*")).map(text)) == ["a4", "c3", "d5"])
        #expect(c.store.snapshot().counters.evictedByCount == 1)
    }

    @Test func overwritingKeysNeverEvictsLiveValues() {
        let c = ClockedStore(.keyValue, maxEntries: 10)
        for i in 0..<5000 { c.store.store(put("k/\(i % 10)", at: at(ms: Int64(i)), "\(i)")) }
        #expect(Set(c.store.query(ke("k/*")).map(text)) == Set((4990..<5000).map { "\($0)" }))
        #expect(c.store.snapshot().counters.evicted == 0)
    }

    @Test func theOldestEntriesGoFirstOverTheByteLimit() {
        let size = Int(Entry(put("k", at: at(seconds: 0), "0123456789"))!.size)
        let c = ClockedStore(.timeSeries, maxBytes: 3 * size + size / 2)
        for t in 0..<6 as Range<Int64> { c.store.store(put("k", at: at(seconds: t), "012345678\(t)")) }
        #expect(c.store.query(ke("k")).map(text) == ["0123456783", "0123456784", "0123456785"])
        let snap = c.store.snapshot()
        #expect(snap.bytes == 3 * size && snap.counters.evictedByBytes == 3)
        // A sample larger than the whole quota is refused outright.
        let big = put("k", at: at(seconds: 9), String(repeating: "x", count: 4 * size))
        #expect(c.store.store(big) == .rejected(.tooLarge))
        #expect(c.store.query(ke("k")).count == 3)
    }

    @Test func allBoundsTogether() {
        let c = ClockedStore(.timeSeries, hotWindow: .seconds(100), maxEntries: 50, maxBytes: 4000, now: at(seconds: 0))
        for t in 0..<1000 as Range<Int64> {
            c.clock.set(at(seconds: t))
            c.store.store(put("k/\(t % 7)", at: at(seconds: t), String(repeating: "x", count: Int(t % 40))))
            let snap = c.store.snapshot()
            #expect(snap.entries <= 50 && snap.bytes <= 4000)
        }
        let got = c.store.query(ke("**"))
        #expect(got.allSatisfy { $0.timestamp.time >= at(seconds: 899) })
        #expect(got.map(\.timestamp) == got.map(\.timestamp).sorted())
        let snap = c.store.snapshot()
        #expect(snap.counters.evictedByCount + snap.counters.evictedByBytes + snap.counters.evictedByAge + snap.entries == 1000)
    }

    @Test func tombstonesCountAgainstTheQuota() {
        let c = ClockedStore(.keyValue, maxEntries: 2)
        c.store.store(delete("a", at: at(seconds: 1)))
        c.store.store(delete("b", at: at(seconds: 2)))
        c.store.store(put("c", at: at(seconds: 3), "c"))
        let snap = c.store.snapshot()
        #expect(snap.entries == 2 && snap.tombstones == 1 && snap.counters.evictedByCount == 1)
    }
}
