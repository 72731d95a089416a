import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// Time-series mode: every sample per key, in timestamp order, once.
@Suite struct HotStoreTimeSeriesTests {
    @Test func samplesComeBackInTimestampOrderWhateverTheArrivalOrder() {
        let s = ClockedStore(.timeSeries).store
        for t in [5, 1, 4, 2, 3, 9, 0, 7, 8, 6] as [Int64] {
            #expect(s.store(put("t", at: at(seconds: t), "\(t)")) == .stored)
        }
        #expect(s.query(ke("t")).map(text) == (0...9).map { "\($0)" })
        #expect(s.snapshot().entries == 10)
    }

    @Test func aReplayedSampleIsStoredOnce() {
        let s = ClockedStore(.timeSeries).store
        #expect(s.store(put("t", at: at(seconds: 1), "a")) == .stored)
        #expect(s.store(put("t", at: at(seconds: 2), "b")) == .stored)
        #expect(s.store(put("t", at: at(seconds: 1), "a")) == .duplicate)
        #expect(s.store(put("t", at: at(seconds: 2), "b")) == .duplicate)
        // Same time from another source is another sample; same timestamp on another key too.
        #expect(s.store(put("t", at: at(seconds: 1), "a'", id: sourceB)) == .stored)
        #expect(s.store(put("u", at: at(seconds: 1), "c")) == .stored)
        #expect(s.query(ke("t")).map(text) == ["a", "a'", "b"])
        #expect(s.snapshot().counters.duplicates == 2)
        #expect(s.snapshot().entries == 4)
    }

    @Test func samplesOfSeveralKeysAreMergedInTimestampOrder() {
        let s = ClockedStore(.timeSeries).store
        for t in 0..<30 as Range<Int64> {
            s.store(put("sensor/\(t % 3)/temp", at: at(seconds: 29 - t), "\(29 - t)"))
        }
        let got = s.query(ke("sensor/*/temp"))
        #expect(got.map(text) == (0..<30).map { "\($0)" })
        #expect(s.query(ke("sensor/1/temp")).count == 10)
    }

    @Test func deleteRemovesEarlierSamplesAndRefusesLateOnes() {
        let s = ClockedStore(.timeSeries).store
        for t in 1...5 as ClosedRange<Int64> { s.store(put("t", at: at(seconds: t), "\(t)")) }
        #expect(s.store(delete("t", at: at(ms: 3500))) == .stored)
        #expect(s.query(ke("t")).map(text) == ["4", "5"])
        var snap = s.snapshot()
        #expect(snap.entries == 3 && snap.tombstones == 1 && snap.counters.removedByDelete == 3)
        #expect(s.store(put("t", at: at(seconds: 2), "late")) == .ignoredOlder)
        #expect(s.store(put("t", at: at(ms: 3500), "same time")) == .duplicate) // same key and timestamp
        #expect(s.store(delete("t", at: at(seconds: 3))) == .ignoredOlder)
        #expect(s.store(put("t", at: at(seconds: 6), "6")) == .stored)
        #expect(s.query(ke("t")).map(text) == ["4", "5", "6"])
        // A later delete replaces the tombstone.
        #expect(s.store(delete("t", at: at(seconds: 10))) == .stored)
        #expect(s.query(ke("t")).isEmpty)
        snap = s.snapshot()
        #expect(snap.entries == 1 && snap.tombstones == 1 && snap.keys == 1)
        #expect(snap.bytes == Int(Entry(delete("t", at: at(seconds: 10)))!.size))
    }

    @Test func deleteBeforeEverythingIsKeptAsTombstone() {
        let s = ClockedStore(.timeSeries).store
        s.store(put("t", at: at(seconds: 5), "5"))
        #expect(s.store(delete("t", at: at(seconds: 1))) == .stored)
        #expect(s.query(ke("t")).map(text) == ["5"])
        #expect(s.store(put("t", at: at(ms: 500), "older")) == .ignoredOlder)
        #expect(s.store(put("t", at: at(seconds: 2), "2")) == .stored)
        #expect(s.query(ke("t")).map(text) == ["2", "5"])
    }

    @Test func bytesFollowEntries() {
        let s = ClockedStore(.timeSeries).store
        var expected = 0
        for t in 0..<50 as Range<Int64> {
            let sample = put("k/\(t % 4)", at: at(seconds: t), String(repeating: "x", count: Int(t)))
            s.store(sample)
            expected += Int(Entry(sample)!.size)
        }
        #expect(s.snapshot().bytes == expected)
    }
}
