import Foundation
import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime
import Testing

@testable import PetrelReplication

/// The store behind a replica or an aligned edge storage: last writer wins,
/// tombstones, wildcard deletes (kept across restarts), clock sanity, and the
/// alignment index kept in step with the store.
@Suite("aligned store")
struct AlignedStoreTests {
    let clock = ManualClock(NTP64(seconds: 1_800_000_000, nanoseconds: 0))
    let writer = ZenohID(high: 0, low: 0x77)!

    func ts(_ ms: UInt64) -> Timestamp {
        Timestamp(time: NTP64(rawValue: clock.now().rawValue - NTP64.duration(milliseconds: 10_000) + NTP64.duration(milliseconds: ms)), id: writer)
    }

    func make(directory: String? = nil, eras: Set<AlignmentEra> = [.current, .hot, .warm, .cold]) throws -> AlignedStore {
        let now: @Sendable () -> NTP64 = { [clock] in clock.now() }
        let hot = try directory.map { try HotStore.open(directory: $0 + "/store", keyExpr: KeyExpr("site/**"), mode: .keyValue, clock: now) }
            ?? HotStore(keyExpr: try KeyExpr("site/**"), mode: .keyValue, clock: now)
        let guardian = ClockGuard(maxDrift: .milliseconds(500), now: now)
        guard let directory else { return AlignedStore(store: hot, layout: .default, eras: eras, clockGuard: guardian, now: now) }
        return try AlignedStore(store: hot, layout: .default, eras: eras, clockGuard: guardian,
                                wildcardLogPath: directory + "/wildcard-deletes", now: now)
    }

    func put(_ key: String, _ t: Timestamp) -> StoredSample { StoredSample(key: key, kind: .put, payload: Array(key.utf8), timestamp: t) }
    func del(_ key: String, _ t: Timestamp) -> StoredSample { StoredSample(key: key, kind: .delete, timestamp: t) }

    @Test("last writer wins, deletes stay as tombstones that refuse older puts, and the index follows the store")
    func lastWriterWins() throws {
        let s = try make()
        #expect(s.apply(put("site/a", ts(100))) == .stored)
        #expect(s.apply(put("site/a", ts(50))) == .stale)
        #expect(s.apply(del("site/a", ts(200))) == .stored)
        #expect(s.apply(put("site/a", ts(150))) == .stale, "an older put resurrected a deleted key")
        #expect(s.mainIndex.latest(forKey: "site/a") == AlignmentEntry(key: "site/a", timestamp: ts(200), isTombstone: true))
        #expect(s.stateEntries() == [AlignmentEntry(key: "site/a", timestamp: ts(200), isTombstone: true)])
        #expect(s.apply(put("other/a", ts(300))) == .rejected("outside the store's key expression"))
    }

    @Test("a wildcard delete tombstones matching keys, supersedes older puts arriving later, and survives a restart")
    func wildcardDeletes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-aligned-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let s = try make(directory: dir)
            s.apply(put("site/a/1", ts(100)))
            s.apply(put("site/a/2", ts(300)))
            s.apply(put("site/b/1", ts(100)))
            #expect(s.apply(del("site/a/*", ts(200))) == .stored)
            #expect(s.latestSample(forKey: "site/a/1")?.kind == .delete)
            #expect(s.latestSample(forKey: "site/a/2")?.kind == .put, "a newer put was deleted")
            #expect(s.latestSample(forKey: "site/b/1")?.kind == .put)
            // An older put on a matching key that was not held yet becomes the delete's tombstone.
            s.apply(put("site/a/3", ts(150)))
            #expect(s.latestSample(forKey: "site/a/3") == del("site/a/3", ts(200)))
            s.store.close()
        }
        let again = try make(directory: dir)
        #expect(again.wildcardDeletes() == [del("site/a/*", ts(200))])
        again.apply(put("site/a/4", ts(120)))
        #expect(again.latestSample(forKey: "site/a/4")?.kind == .delete, "the wildcard delete was forgotten by the restart")
        #expect(again.mainIndex.latest(forKey: "site/a/1")?.isTombstone == true, "the index was not rebuilt from the store")
        let other = try make()
        #expect(other.wildcardDeletesHash != again.wildcardDeletesHash)
        other.apply(del("site/a/*", ts(200)))
        #expect(other.wildcardDeletesHash == again.wildcardDeletesHash)
    }

    @Test("timestamps beyond the allowed drift are refused and counted; exactly the drift is accepted")
    func clockSanity() throws {
        let s = try make()
        let now = clock.now()
        let ahead = { (ms: UInt64) in Timestamp(time: NTP64(rawValue: now.rawValue + NTP64.duration(milliseconds: ms)), id: writer) }
        #expect(s.apply(put("site/x", ahead(500))) == .stored)
        #expect(s.apply(put("site/y", ahead(501))) == .rejectedClock)
        #expect(s.apply(put("site/z", ahead(3000)), checkClock: false) == .stored, "a sample this process stamped is not checked")
        #expect(s.statistics.clockRejected == 1)
        #expect(s.clockGuard.aheadMilliseconds(ahead(3000)) == 3000)
    }

    @Test("an edge keeps the hot window only; a part of the scope gets its own index, kept up to date")
    func edgeAndPartialScope() throws {
        let edge = try make(eras: [.current, .hot])
        let old = Timestamp(time: NTP64(rawValue: clock.now().rawValue - NTP64.duration(milliseconds: 3_600_000)), id: writer)
        #expect(edge.apply(put("site/old", old)) == .stale, "an edge took cold history")
        #expect(edge.apply(put("site/new", ts(100))) == .stored)

        let replica = try make()
        replica.apply(put("site/pi7/a", ts(100)))
        replica.apply(put("site/pi8/a", ts(100)))
        let part = try KeyExpr("site/pi7/**")
        #expect(replica.index(for: part)?.count == 1)
        replica.apply(put("site/pi7/b", ts(200)))
        replica.apply(put("site/pi8/b", ts(200)))
        #expect(replica.index(for: part)?.count == 2)
        #expect(replica.index(for: part)?.latest(forKey: "site/pi7/b")?.timestamp == ts(200))
        #expect(replica.index(for: try KeyExpr("elsewhere/**")) == nil)
        #expect(alignmentIntersection(try KeyExpr("site/**"), part) == part)
        #expect(alignmentIntersection(try KeyExpr("a/*/c"), try KeyExpr("a/b/*")) == nil)
    }
}
