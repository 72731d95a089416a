@testable import PetrelAlignment
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime
import Testing

/// Two indexes that share `shared` keys, then diverge by `k` keys: 10 % deletes (a tombstone
/// newer than the other side's put), the rest updates of a shared key or keys only one side
/// has, each on a random side.
func divergedPair(_ g: inout SplitMix64, shared: Int, k: Int, scope: String = "site/**",
                  keyPrefix: String = "site/pi7/sensor/") -> (AlignmentIndex, AlignmentIndex) {
    var a = AlignmentIndex(layout: .default, scope: kx(scope))
    var b = AlignmentIndex(layout: .default, scope: kx(scope))
    for i in 0..<shared {
        let e = randomEntry(&g, key: keyPrefix + String(i), maxAge: 60, minAge: 2, tombstone: false)
        _ = a.apply(e)
        _ = b.apply(e)
    }
    for j in 0..<k {
        let aSide = g.int(0...1) == 0
        let kind = j % 10 == 0 ? 0 : g.int(1...2)
        let key: String
        let e: AlignmentEntry
        switch kind {
        case 0, 1:  // a delete or an update of a shared key, newer on one side
            key = keyPrefix + String(g.int(0...max(0, shared - 1)))
            let old = a.latest(forKey: key) ?? randomEntry(&g, key: key, maxAge: 50, minAge: 10)
            let newer = NTP64(rawValue: min(timeAgo(2).rawValue, old.timestamp.time.rawValue + UInt64(g.int(1...1 << 34))))
            e = AlignmentEntry(key: key, timestamp: Timestamp(time: newer, id: clocks[g.int(0...4)]), isTombstone: kind == 0)
        default:  // a key only one side has
            key = keyPrefix + "new/" + String(j)
            e = randomEntry(&g, key: key, maxAge: 60, minAge: 2)
        }
        if aSide { _ = a.apply(e) } else { _ = b.apply(e) }
    }
    return (a, b)
}

@Suite("Alignment: rateless reconciliation converges")
struct ReconciliationTests {
    @Test("random divergences of 0…1500 keys among up to 3000: both sides end identical, few round trips")
    func randomDivergence() throws {
        let seed = SplitMix64.testSeed(default: 0xA11C_0001)
        var g = SplitMix64(seed: seed)
        for run in 0..<40 {
            let shared = g.int(0...3000)
            let k = [0, 1, 2, 5, 10, 30, 100, 300, 1500][g.int(0...8)]
            var (a, b) = divergedPair(&g, shared: shared, k: k)
            let (diff, stats) = try reconcile(initiator: a, responder: b)
            apply(diff, local: &a, remote: &b)
            #expect(state(a) == state(b), "seed \(seed) run \(run): shared \(shared) k \(k) differ after applying \(diff.toFetch.count)/\(diff.toSend.count)")
            #expect(stats.roundTrips <= 3, "seed \(seed) run \(run): k \(k) took \(stats.roundTrips) round trips")
            let (again, againStats) = try reconcile(initiator: a, responder: b)
            #expect(again.isEmpty && againStats.roundTrips == 1, "seed \(seed) run \(run): not in sync after applying")
        }
    }
}

@Suite("Alignment: last writer wins, scopes, eras, faults")
struct ReconciliationCasesTests {
    let stamp = { (age: Double, clock: Int) in Timestamp(time: timeAgo(age), id: clocks[clock]) }

    @Test("same key, different timestamps: the newer wins on both sides; a tombstone wins over an older put")
    func lastWriterWins() throws {
        var a = AlignmentIndex(layout: .default, scope: kx("site/**"))
        var b = AlignmentIndex(layout: .default, scope: kx("site/**"))
        _ = a.apply(AlignmentEntry(key: "site/x", timestamp: stamp(30, 0), isTombstone: false))
        _ = b.apply(AlignmentEntry(key: "site/x", timestamp: stamp(20, 1), isTombstone: false))  // b newer
        _ = a.apply(AlignmentEntry(key: "site/y", timestamp: stamp(10, 0), isTombstone: true))   // a deleted later
        _ = b.apply(AlignmentEntry(key: "site/y", timestamp: stamp(40, 1), isTombstone: false))
        _ = a.apply(AlignmentEntry(key: "site/z", timestamp: stamp(15, 2), isTombstone: false))  // only a
        let (diff, stats) = try reconcile(initiator: a, responder: b)
        #expect(diff.toFetch.map(\.key) == ["site/x"])
        #expect(diff.toSend.map(\.key) == ["site/y", "site/z"])
        #expect(diff.toSend.first?.isTombstone == true)
        #expect(stats.roundTrips <= 2)
        apply(diff, local: &a, remote: &b)
        #expect(state(a) == state(b))
        #expect(b.latest(forKey: "site/y")?.isTombstone == true)
    }

    @Test("an older put arriving after a delete is stale: the key is not resurrected")
    func noResurrection() {
        var a = AlignmentIndex(layout: .default, scope: kx("**"))
        _ = a.apply(AlignmentEntry(key: "k", timestamp: stamp(10, 0), isTombstone: true))
        #expect(a.apply(AlignmentEntry(key: "k", timestamp: stamp(20, 0), isTombstone: false)) == .stale)
        #expect(a.latest(forKey: "k")?.isTombstone == true)
        // Equal timestamps: the tombstone wins, whichever arrives first.
        var b = AlignmentIndex(layout: .default, scope: kx("**"))
        let put = AlignmentEntry(key: "k", timestamp: stamp(5, 1), isTombstone: false)
        let del = AlignmentEntry(key: "k", timestamp: stamp(5, 1), isTombstone: true)
        #expect(b.apply(put) == .applied(replaced: nil))
        #expect(b.apply(del) == .applied(replaced: put))
        #expect(b.apply(put) == .stale)
    }

    @Test("keys outside the scope, wildcards and empty keys are refused")
    func scopeFilter() {
        var a = AlignmentIndex(layout: .default, scope: kx("site/pi7/**"))
        #expect(a.apply(AlignmentEntry(key: "site/pi8/t", timestamp: stamp(1, 0), isTombstone: false)) == .stale)
        #expect(a.apply(AlignmentEntry(key: "site/pi7/*", timestamp: stamp(1, 0), isTombstone: false)) == .stale)
        #expect(a.apply(AlignmentEntry(key: "", timestamp: stamp(1, 0), isTombstone: false)) == .stale)
        #expect(a.apply(AlignmentEntry(key: "site/pi7/t", timestamp: stamp(1, 0), isTombstone: false)) == .applied(replaced: nil))
        #expect(a.count == 1)
    }

    @Test("partial replication: an edge on site/pi7/** and a replica on site/** reconcile the intersection, either side initiating")
    func partialScopes() throws {
        let seed = SplitMix64.testSeed(default: 0xA11C_0002)
        var g = SplitMix64(seed: seed)
        for run in 0..<12 {
            var edge = AlignmentIndex(layout: .default, scope: kx("site/pi7/**"))
            var replica = AlignmentIndex(layout: .default, scope: kx("site/**"))
            for i in 0..<g.int(0...2000) {
                let e = randomEntry(&g, key: "site/pi\(g.int(6...8))/s/\(i)", maxAge: 60, minAge: 2)
                _ = replica.apply(e)
                if g.int(0...9) != 0 { _ = edge.apply(e) }   // the edge missed 10 % of its keys
            }
            for i in 0..<g.int(0...200) {
                _ = edge.apply(randomEntry(&g, key: "site/pi7/offline/\(i)", maxAge: 60, minAge: 2))
            }
            // A replica's index for the edge's scope answers the same as a scan of its own.
            let narrowed = replica.narrowed(to: kx("site/pi7/**"))
            #expect(narrowed.count == state(replica, eras: [.current, .hot, .warm, .cold], scope: kx("site/pi7/**")).count)
            if g.int(0...1) == 0 {
                let (viaNarrowed, _) = try reconcile(initiator: edge, responder: narrowed)
                let (viaScan, _) = try reconcile(initiator: edge, responder: replica)
                #expect(viaNarrowed == viaScan, "seed \(seed) run \(run)")
            }
            let edgeInitiates = run % 2 == 0
            if edgeInitiates {
                let (diff, _) = try reconcile(initiator: edge, responder: replica)
                apply(diff, local: &edge, remote: &replica)
            } else {
                let (diff, _) = try reconcile(initiator: replica, responder: edge, peerScope: kx("site/pi7/**"))
                apply(diff, local: &replica, remote: &edge)
            }
            #expect(state(edge) == state(replica, scope: kx("site/pi7/**")), "seed \(seed) run \(run)")
            #expect(!state(replica).keys.contains { $0.hasPrefix("site/pi7/") && edge.latest(forKey: $0) == nil } ,
                    "seed \(seed) run \(run): the edge lacks a key of its scope")
        }
    }

    @Test("a responder refuses a scope it does not include, and another sub-interval length")
    func responderRefuses() throws {
        let edge = AlignmentIndex(layout: .default, scope: kx("site/pi7/**"))
        let other = AlignmentIndex(layout: .default, scope: kx("site/pi8/**"))
        var initiator = AlignmentInitiator(index: edge, peerScope: kx("site/pi8/**"), now: testNow, eras: [.hot])
        let q = initiator.firstMessage()
        #expect(throws: AlignmentResponderError.scopeMismatch(query: "site/pi7/**", index: "site/pi8/**")) {
            try AlignmentResponder.reply(to: q, index: other, now: testNow)
        }
        let fine = AlignmentIndex(layout: AlignmentLayout(subIntervalMillis: 500), scope: kx("site/**"))
        #expect(throws: AlignmentResponderError.layoutMismatch(querySubIntervalMillis: 1000, indexSubIntervalMillis: 500)) {
            try AlignmentResponder.reply(to: q, index: fine, now: testNow)
        }
        #expect(try AlignmentMessageInfo.scope(of: q) == kx("site/pi7/**"))
    }

    @Test("lost and duplicated messages: a lost one restarts reconciliation, a duplicate is refused; it still converges")
    func lossAndDuplication() throws {
        let seed = SplitMix64.testSeed(default: 0xA11C_0003)
        var g = SplitMix64(seed: seed)
        for run in 0..<15 {
            var (a, b) = divergedPair(&g, shared: g.int(100...2000), k: [3, 40, 400][run % 3])
            var attempts = 0
            reconciling: while attempts < 30 {
                attempts += 1
                var initiator = AlignmentInitiator(index: a, peerScope: b.scope, now: testNow, eras: [.hot])
                var query = initiator.firstMessage()
                while true {
                    if g.int(0...3) == 0 { continue reconciling }          // the query is lost: start again
                    let reply = try AlignmentResponder.reply(to: query, index: b, now: testNow)
                    if g.int(0...3) == 0 { continue reconciling }          // the reply is lost
                    let step = try initiator.receive(reply)
                    if g.int(0...3) == 0 {                                  // the reply arrives twice
                        #expect(throws: (any Error).self) { _ = try initiator.receive(reply) }
                        continue reconciling
                    }
                    switch step {
                    case .send(let next): query = next
                    case .done(let diff):
                        apply(diff, local: &a, remote: &b)
                        break reconciling
                    }
                }
            }
            #expect(state(a) == state(b), "seed \(seed) run \(run): not converged after \(attempts) attempts")
        }
    }

    @Test("the current era is not compared; the warm era is when asked")
    func eras() throws {
        var a = AlignmentIndex(layout: .default, scope: kx("**"))
        var b = AlignmentIndex(layout: .default, scope: kx("**"))
        _ = a.apply(AlignmentEntry(key: "now", timestamp: stamp(0.1, 0), isTombstone: false))     // current
        _ = a.apply(AlignmentEntry(key: "warm", timestamp: stamp(300, 0), isTombstone: false))    // warm
        _ = a.apply(AlignmentEntry(key: "hot", timestamp: stamp(30, 0), isTombstone: false))      // hot
        #expect(a.layout.era(of: timeAgo(0.1), now: testNow) == .current)
        #expect(a.layout.era(of: timeAgo(30), now: testNow) == .hot)
        #expect(a.layout.era(of: timeAgo(300), now: testNow) == .warm)
        #expect(a.layout.era(of: timeAgo(3000), now: testNow) == .cold)
        let (hot, _) = try reconcile(initiator: a, responder: b, eras: [.hot])
        #expect(hot.toSend.map(\.key) == ["hot"])
        let (all, _) = try reconcile(initiator: a, responder: b, eras: [.hot, .warm, .cold])
        #expect(all.toSend.map(\.key) == ["hot", "warm"])
        apply(all, local: &a, remote: &b)
        #expect(a.digest(now: testNow) == b.digest(now: testNow))
        #expect(a.digest(now: testNow).mismatchedEras(comparedWith: b.digest(now: testNow)).isEmpty)
    }

    @Test("an empty responder gets a listing, not a sketch; an empty initiator learns everything")
    func emptySides() throws {
        var g = SplitMix64(seed: 7)
        var (a, _) = divergedPair(&g, shared: 500, k: 0)
        var empty = AlignmentIndex(layout: .default, scope: kx("site/**"))
        let (d1, s1) = try reconcile(initiator: a, responder: empty)
        #expect(d1.toSend.count == 500 && d1.toFetch.isEmpty && s1.roundTrips == 1)
        let (d2, s2) = try reconcile(initiator: empty, responder: a)
        #expect(d2.toFetch.count == 500 && d2.toSend.isEmpty && s2.roundTrips <= 3)
        apply(d2, local: &empty, remote: &a)
        #expect(state(empty) == state(a))
    }
}

@Suite("Alignment: the issue's targets, on fixed seeds")
struct AlignmentTargetTests {
    @Test("10,000 keys, k = 1, 10, 100 divergent keys: at most 2 round trips; k = 1000: at most 3; idle check ≤ 64 bytes")
    func targets() throws {
        let seed = SplitMix64.testSeed(default: 0x7A26_0001)
        var g = SplitMix64(seed: seed)
        for k in [1, 10, 100, 1000] {
            for run in 0..<3 {
                var (a, b) = divergedPair(&g, shared: 10_000 - k / 2, k: k, scope: "site/pi7/**")
                let (diff, stats) = try reconcile(initiator: a, responder: b)
                #expect(stats.roundTrips <= (k <= 100 ? 2 : 3), "seed \(seed) k \(k) run \(run): \(stats.roundTrips) round trips")
                apply(diff, local: &a, remote: &b)
                #expect(state(a) == state(b), "seed \(seed) k \(k) run \(run)")
                let (_, idle) = try reconcile(initiator: a, responder: b)
                #expect(idle.roundTrips == 1 && idle.totalBytes <= 64, "seed \(seed): idle check \(idle.totalBytes) bytes")
            }
        }
    }

    @Test("one stateless responder answers interleaved conversations of several initiators")
    func interleavedInitiators() throws {
        let seed = SplitMix64.testSeed(default: 0x7A26_0002)
        var g = SplitMix64(seed: seed)
        var (replica, _) = divergedPair(&g, shared: 3000, k: 0)
        var edges: [AlignmentIndex] = []
        for _ in 0..<4 {
            var (edge, other) = divergedPair(&g, shared: 0, k: 0)
            for e in replica.entries where g.int(0...9) != 0 { _ = edge.apply(e) }
            for i in 0..<g.int(1...300) { _ = edge.apply(randomEntry(&g, key: "site/pi7/edge\(edges.count)/\(i)", maxAge: 60, minAge: 2)) }
            _ = other
            edges.append(edge)
        }
        var initiators = edges.map { AlignmentInitiator(index: $0, peerScope: replica.scope, now: testNow, eras: [.hot]) }
        var queries: [[UInt8]?] = initiators.indices.map { initiators[$0].firstMessage() }
        var results: [AlignmentDifference?] = Array(repeating: nil, count: edges.count)
        let frozen = replica   // every conversation sees the same responder state
        while results.contains(where: { $0 == nil }) {
            for i in initiators.indices.shuffled(using: &g) {
                guard let q = queries[i] else { continue }
                switch try initiators[i].receive(try AlignmentResponder.reply(to: q, index: frozen, now: testNow)) {
                case .send(let next): queries[i] = next
                case .done(let diff): results[i] = diff; queries[i] = nil
                }
            }
        }
        for i in edges.indices {
            var edge = edges[i]
            apply(results[i]!, local: &edge, remote: &replica)
            edges[i] = edge
        }
        for edge in edges {
            for (key, e) in state(edge) { #expect(replica.latest(forKey: key) == e, "seed \(seed): \(key)") }
        }
        #expect(state(replica).keys.allSatisfy { k in edges.allSatisfy { $0.latest(forKey: k) != nil || k.contains("edge") } },
                "seed \(seed): an edge misses a replica key")
    }
}

@Suite("Alignment: all eras between replicas")
struct AllErasTests {
    @Test("20,000 keys over a day, 300 divergent in every era: hot+warm+cold reconcile to identical stores; hot-only leaves older ones alone")
    func allEras() throws {
        let seed = SplitMix64.testSeed(default: 0xA11E_0001)
        var g = SplitMix64(seed: seed)
        var a = AlignmentIndex(layout: .default, scope: kx("site/**"))
        var b = a
        for i in 0..<20_000 {
            let e = randomEntry(&g, key: "site/r/\(i)", maxAge: 86_400, minAge: 2, tombstone: g.int(0...19) == 0)
            _ = a.apply(e)
            _ = b.apply(e)
        }
        for j in 0..<300 {
            let e = randomEntry(&g, key: "site/r/\(g.int(0...25_000))", maxAge: 86_400, minAge: 2)
            if j % 2 == 0 { _ = a.apply(e) } else { _ = b.apply(e) }
        }
        let all: Set<AlignmentEra> = [.hot, .warm, .cold]
        let (hotOnly, _) = try reconcile(initiator: a, responder: b, eras: [.hot])
        let hotWindow = a.layout.window(eras: [.hot], now: testNow)
        #expect((hotOnly.toFetch + hotOnly.toSend).allSatisfy { hotWindow.contains(subInterval: a.layout.subInterval(of: $0.timestamp.time)) })
        let (diff, stats) = try reconcile(initiator: a, responder: b, eras: all)
        #expect(stats.roundTrips <= 3, "seed \(seed): \(stats.roundTrips) round trips")
        apply(diff, local: &a, remote: &b)
        #expect(state(a, eras: all) == state(b, eras: all), "seed \(seed)")
        #expect(a.digest(now: testNow) == b.digest(now: testNow), "seed \(seed)")
    }
}
