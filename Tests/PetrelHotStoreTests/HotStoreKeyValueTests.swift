import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// Key-value mode: the latest sample per key, last writer wins by timestamp.
@Suite struct HotStoreKeyValueTests {
    @Test func newerReplacesOlder() {
        let s = ClockedStore(.keyValue).store
        #expect(s.store(put("room/1/temp", at: at(seconds: 1), "20.5")) == .stored)
        #expect(s.store(put("room/1/temp", at: at(seconds: 2), "21.0")) == .replaced)
        let got = s.query(ke("room/1/temp"))
        #expect(got.map(text) == ["21.0"])
        #expect(got.first?.timestamp == Timestamp(time: at(seconds: 2), id: sourceA))
        #expect(s.snapshot().entries == 1)
    }

    @Test func outOfOrderOlderSampleIsIgnored() {
        let s = ClockedStore(.keyValue).store
        #expect(s.store(put("k", at: at(seconds: 5), "new")) == .stored)
        #expect(s.store(put("k", at: at(seconds: 3), "old")) == .ignoredOlder)
        #expect(s.store(put("k", at: at(seconds: 5), "same")) == .duplicate)
        #expect(s.query(ke("k")).map(text) == ["new"])
        let c = s.snapshot().counters
        #expect(c.stored == 1 && c.ignoredOlder == 1 && c.duplicates == 1)
    }

    @Test func equalTimesAreOrderedBySourceID() {
        let s = ClockedStore(.keyValue).store
        // uhlc orders equal times by ID (little-endian bytes): 0xB > 0xA.
        #expect(s.store(put("k", at: at(seconds: 1), "from B", id: sourceB)) == .stored)
        #expect(s.store(put("k", at: at(seconds: 1), "from A", id: sourceA)) == .ignoredOlder)
        #expect(s.query(ke("k")).map(text) == ["from B"])
    }

    @Test func deleteLeavesATombstoneThatRefusesOlderPuts() {
        let s = ClockedStore(.keyValue).store
        s.store(put("k", at: at(seconds: 1), "v1"))
        #expect(s.store(delete("k", at: at(seconds: 3))) == .replaced)
        #expect(s.query(ke("k")).isEmpty)
        #expect(s.query(ke("**")).isEmpty)
        #expect(s.snapshot().tombstones == 1)
        #expect(s.snapshot().entries == 1)
        // A put from before the delete arriving late does not resurrect the key.
        #expect(s.store(put("k", at: at(seconds: 2), "late")) == .ignoredOlder)
        #expect(s.query(ke("k")).isEmpty)
        // A newer put does.
        #expect(s.store(put("k", at: at(seconds: 4), "v2")) == .replaced)
        #expect(s.query(ke("k")).map(text) == ["v2"])
        #expect(s.snapshot().tombstones == 0)
    }

    @Test func deleteOfAnUnknownKeyIsKeptAsTombstone() {
        let s = ClockedStore(.keyValue).store
        #expect(s.store(delete("k", at: at(seconds: 5))) == .stored)
        #expect(s.store(put("k", at: at(seconds: 4), "older")) == .ignoredOlder)
        #expect(s.query(ke("k")).isEmpty)
    }

    @Test func tombstonesLastForTheHotWindow() {
        let c = ClockedStore(.keyValue, hotWindow: .seconds(60), now: at(seconds: 100))
        c.store.store(put("k", at: at(seconds: 90), "v"))
        c.store.store(delete("k", at: at(seconds: 95)))
        #expect(c.store.snapshot().tombstones == 1)
        c.clock.set(at(seconds: 154))
        #expect(c.store.evictExpired() == 0)
        c.clock.set(at(seconds: 156))
        #expect(c.store.evictExpired() == 1)
        let snap = c.store.snapshot()
        #expect(snap.tombstones == 0 && snap.entries == 0 && snap.keys == 0 && snap.bytes == 0)
        #expect(snap.counters.evictedByAge == 1)
    }

    @Test func wildcardQueriesReturnTheLatestOfEachMatchingKey() {
        let s = ClockedStore(.keyValue, keyExpr: "home/**").store
        for room in 1...5 {
            for t in 1...3 { s.store(put("home/room\(room)/temp", at: at(seconds: Int64(t)), "\(room).\(t)")) }
        }
        s.store(put("home/hall/light", at: at(seconds: 1), "on"))
        s.store(delete("home/room5/temp", at: at(seconds: 9)))
        #expect(Set(s.query(ke("home/*/temp")).map(text)) == ["1.3", "2.3", "3.3", "4.3"])
        #expect(Set(s.query(ke("home/room$*/temp")).map(text)) == ["1.3", "2.3", "3.3", "4.3"])
        #expect(Set(s.query(ke("**")).map(text)) == ["1.3", "2.3", "3.3", "4.3", "on"])
        #expect(s.query(ke("home/room2/**")).map(text) == ["2.3"])
        #expect(s.query(ke("office/**")).isEmpty)
        #expect(s.query(ke("home/room9/temp")).isEmpty)
    }

    @Test func keysOutsideTheStorageOrWithWildcardsAreRejected() {
        let s = ClockedStore(.keyValue, keyExpr: "home/**").store
        #expect(s.store(put("office/temp", at: at(seconds: 1))) == .rejected(.outsideStorage))
        #expect(s.store(put("home/*/temp", at: at(seconds: 1))) == .rejected(.wildcardKey))
        #expect(s.store(put("home//temp", at: at(seconds: 1))) == .rejected(.invalidKey))
        #expect(s.store(put("home/**/**", at: at(seconds: 1))) == .rejected(.invalidKey))
        #expect(s.store(put("home", at: at(seconds: 1))) == .stored) // `home/**` matches `home`
        #expect(s.snapshot().counters.rejected == 4)
    }

    @Test func samplesKeepEncodingAndAttachment() {
        let s = ClockedStore(.keyValue).store
        let sample = put("k", at: at(seconds: 1), "{\"t\":1}", encoding: .init(id: 5, schema: "my-schema"),
                         attachment: [1, 2, 3])
        s.store(sample)
        #expect(s.query(ke("k")) == [sample])
    }

    @Test func timeRangeAppliesToTheLatestValue() throws {
        let c = ClockedStore(.keyValue, now: at(seconds: 600))
        c.store.store(put("a", at: at(seconds: 100), "old"))
        c.store.store(put("b", at: at(seconds: 500), "recent"))
        #expect(try c.store.query(ke("*"), parameters: "_time=[now(-5m)..]").map(text) == ["recent"])
        #expect(try c.store.query(ke("*"), parameters: "_time=[..now(-5m)]").map(text) == ["old"])
        #expect(throws: TimeRangeError.self) { try c.store.query(ke("*"), parameters: "_time=[soon..]") }
    }

    @Test func concurrentWritersEndWithTheNewestValue() async {
        let s = ClockedStore(.keyValue).store
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in 0..<500 {
                        s.store(put("k/\(i % 10)", at: at(ms: Int64(i * 4 + w)), "\(i * 4 + w)"))
                    }
                }
            }
        }
        let got = s.query(ke("k/*"))
        #expect(got.count == 10)
        for sample in got {
            let k = Int(sample.key.dropFirst(2))!
            // The newest write to k/x is i = 490 + x by writer 3.
            #expect(text(sample) == "\((490 + k) * 4 + 3)")
        }
    }
}
