import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// A query for one key among many looks at that key only.
@Suite struct HotStoreQueryCostTests {
    @Test func aSpecificKeyAmong100000IsLookedUpNotScanned() {
        for mode in [HotStore.Mode.keyValue, .timeSeries] {
            let s = ClockedStore(mode).store
            for i in 0..<100_000 {
                s.store(put("site/\(i % 100)/sensor/\(i)", at: at(ms: Int64(i)), "\(i)"))
            }
            let before = s.snapshot().counters
            #expect(s.query(ke("site/42/sensor/4242")).map(text) == ["4242"])
            let afterExact = s.snapshot().counters
            #expect(afterExact.keysVisited - before.keysVisited == 1)
            #expect(afterExact.entriesVisited - before.entriesVisited == 1)

            // A wildcard that matches one key visits that key only (the tree
            // follows the literal chunks).
            #expect(s.query(ke("site/42/*/4242")).map(text) == ["4242"])
            let afterWild = s.snapshot().counters
            #expect(afterWild.keysVisited - afterExact.keysVisited == 1)

            // A missing key visits nothing.
            #expect(s.query(ke("site/42/sensor/4243")).isEmpty)
            #expect(s.snapshot().counters.keysVisited == afterWild.keysVisited)

            // A wildcard over one site visits that site's 1,000 keys.
            #expect(s.query(ke("site/7/**")).count == 1000)
            #expect(s.snapshot().counters.keysVisited - afterWild.keysVisited == 1000)
        }
    }

    @Test func timeRangeQueriesBinarySearchTheSeries() throws {
        let c = ClockedStore(.timeSeries, now: at(seconds: 100_000))
        for t in 0..<100_000 as Range<Int64> { c.store.store(put("k", at: at(seconds: t), "\(t)")) }
        let before = c.store.snapshot().counters
        let got = try c.store.query(ke("k"), parameters: "_time=[now(-10s)..]")
        #expect(got.map(text) == (99_990..<100_000).map { "\($0)" })
        let after = c.store.snapshot().counters
        #expect(after.entriesVisited - before.entriesVisited == 10)
    }
}
