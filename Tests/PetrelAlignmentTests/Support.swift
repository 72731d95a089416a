@testable import PetrelAlignment
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime

func kx(_ s: String) -> KeyExpr {
    do { return try KeyExpr(s) } catch { fatalError("\(error)") }
}

/// 2026-12-04 12:00:00 UTC, the tests' "now".
let testNow = NTP64(seconds: 1_796_385_600, nanoseconds: 0)

/// A time `secondsAgo` before `testNow`.
func timeAgo(_ secondsAgo: Double) -> NTP64 {
    NTP64(rawValue: testNow.rawValue - UInt64(secondsAgo * 4_294_967_296.0))
}

let clocks: [ZenohID] = (1...5).map { ZenohID(high: 0x1000 * UInt64($0), low: 0xABCDEF + UInt64($0))! }

func randomEntry(_ g: inout SplitMix64, key: String, maxAge: Double = 60, minAge: Double = 1, tombstone: Bool? = nil) -> AlignmentEntry {
    let age = Double.random(in: minAge..<maxAge, using: &g)
    return AlignmentEntry(key: key, timestamp: Timestamp(time: timeAgo(age), id: clocks[g.int(0...clocks.count - 1)]),
                          isTombstone: tombstone ?? (g.int(0...9) == 0))
}

/// Runs one reconciliation in process, passing every byte through the codecs. Returns the
/// difference and the initiator's stats; `transport` may drop (nil) or alter a message.
func reconcile(initiator local: AlignmentIndex, responder remote: AlignmentIndex, eras: Set<AlignmentEra> = [.hot],
               peerScope: KeyExpr? = nil, maxRounds: Int = 10) throws -> (AlignmentDifference, AlignmentStats) {
    var initiator = AlignmentInitiator(index: local, peerScope: peerScope ?? remote.scope, now: testNow, eras: eras)
    var query = initiator.firstMessage()
    for _ in 0..<maxRounds {
        let reply = try AlignmentResponder.reply(to: query, index: remote, now: testNow)
        switch try initiator.receive(reply) {
        case .send(let next): query = next
        case .done(let diff): return (diff, initiator.stats)
        }
    }
    struct TooManyRounds: Error {}
    throw TooManyRounds()
}

/// Applies a difference both ways, as the integration would after fetching and pushing samples.
func apply(_ diff: AlignmentDifference, local: inout AlignmentIndex, remote: inout AlignmentIndex) {
    for e in diff.toFetch { _ = local.apply(e) }
    for e in diff.toSend { _ = remote.apply(e) }
}

/// key → latest entry inside the window of `eras` at `testNow`, for comparing two sides.
func state(_ index: AlignmentIndex, eras: Set<AlignmentEra> = [.hot], scope: KeyExpr? = nil) -> [String: AlignmentEntry] {
    let window = index.layout.window(eras: eras, now: testNow)
    var out: [String: AlignmentEntry] = [:]
    for e in index.entries where window.contains(subInterval: index.layout.subInterval(of: e.timestamp.time)) {
        if let scope, !scope.includes(kx(e.key)) { continue }
        out[e.key] = e
    }
    return out
}

/// Test-only: the fingerprint of a window recomputed from the entries.
func recomputed(_ index: AlignmentIndex, window: AlignmentWindow) -> AlignmentFingerprint {
    var fp = AlignmentFingerprint()
    for e in index.entries where window.contains(subInterval: index.layout.subInterval(of: e.timestamp.time)) {
        fp.insert(e.id)
    }
    return fp
}
