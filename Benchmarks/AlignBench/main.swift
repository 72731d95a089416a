// Alignment costs (issue #14): rateless reconciliation against the naive scheme (every
// mismatching sub-interval's entries listed) on the same indexes in the same run; the bytes
// of an idle in-sync check; fingerprint update cost per put; digest and sketch build times.
//
//   swift build -c release --product align-bench && .build/release/align-bench [--runs N] [--quick]
#if canImport(Glibc)
import Glibc
#endif
import PetrelAlignment
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime

var runs = 10
var quick = false
var verbose = false
var argv = CommandLine.arguments.dropFirst()
while let a = argv.popFirst() {
    switch a {
    case "--runs": runs = Int(argv.popFirst() ?? "") ?? runs
    case "--quick": quick = true; runs = 3
    case "--verbose": verbose = true
    default: print("usage: align-bench [--runs N] [--quick] [--verbose]"); exit(2)
    }
}

/// The seeded generator the tests use, so a benchmark run replays from its seed.
typealias Rng = SplitMix64

let now = NTP64(seconds: 1_796_385_600, nanoseconds: 0)
let layout = AlignmentLayout.default
let scope = try! KeyExpr("site/pi7/**")
let clockIDs = (1...3).map { ZenohID(high: 0x7E57_0000_0000_0000 | UInt64($0), low: 0x1234_5678 * UInt64($0))! }
/// The hot era at `now`: times inside it, clear of its edges.
let hot = layout.window(eras: [.hot], now: now)
let hotStart = layout.startTime(ofSubInterval: hot.from).rawValue
let hotSpan = layout.startTime(ofSubInterval: hot.to).rawValue - hotStart

func randomTime(_ g: inout Rng) -> NTP64 { NTP64(rawValue: hotStart + UInt64.random(in: 0..<hotSpan, using: &g)) }
func key(_ i: Int) -> String { "site/pi7/sensor/" + String(i) }

/// Two indexes with `n` keys in the hot era, diverging by `k` keys: 10 % deletes (a tombstone
/// newer than the other side's put), 45 % updates of an existing key, 45 % keys only one side
/// has; each on a random side.
func divergedPair(n: Int, k: Int, seed: UInt64) -> (AlignmentIndex, AlignmentIndex) {
    var g = Rng(seed: seed)
    var a = AlignmentIndex(layout: layout, scope: scope)
    var b = a
    let shared = n - k / 2
    for i in 0..<shared {
        let e = AlignmentEntry(key: key(i), timestamp: Timestamp(time: randomTime(&g), id: clockIDs[i % 3]), isTombstone: false)
        _ = a.apply(e)
        _ = b.apply(e)
    }
    var used = Set<Int>()
    for j in 0..<k {
        let side = Bool.random(using: &g)
        let entry: AlignmentEntry
        if j % 20 < 11 {   // 10 % deletes, 45 % updates
            var i = Int.random(in: 0..<shared, using: &g)
            while !used.insert(i).inserted { i = Int.random(in: 0..<shared, using: &g) }
            let old = a.latest(forKey: key(i))!
            let t = NTP64(rawValue: old.timestamp.time.rawValue + UInt64.random(in: 1...(hotStart + hotSpan - old.timestamp.time.rawValue), using: &g))
            entry = AlignmentEntry(key: key(i), timestamp: Timestamp(time: t, id: clockIDs[j % 3]), isTombstone: j % 20 < 2)
        } else {
            entry = AlignmentEntry(key: key(1_000_000 + j), timestamp: Timestamp(time: randomTime(&g), id: clockIDs[j % 3]), isTombstone: false)
        }
        if side { _ = a.apply(entry) } else { _ = b.apply(entry) }
    }
    return (a, b)
}

struct Outcome {
    var roundTrips = 0
    var bytes = 0
    var seconds = 0.0
    var differences = 0
}

func elapsed(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// The rateless reconciliation, initiator and responder in one process, bytes counted both ways.
func rateless(_ a: AlignmentIndex, _ b: AlignmentIndex, verbose: Bool = false) -> Outcome {
    var out = Outcome()
    let clock = ContinuousClock()
    let start = clock.now
    var initiator = AlignmentInitiator(index: a, peerScope: b.scope, now: now, eras: [.hot])
    var query = initiator.firstMessage()
    while true {
        let reply = try! AlignmentResponder.reply(to: query, index: b, now: now)
        switch try! initiator.receive(reply) {
        case .send(let next): query = next
        case .done(let diff):
            out.seconds = elapsed(clock.now - start)
            out.roundTrips = initiator.stats.roundTrips
            out.bytes = initiator.stats.totalBytes
            out.differences = diff.toFetch.count + diff.toSend.count
            if verbose {
                let s = initiator.stats
                let trueDifference = Set(a.entries.map(\.id)).symmetricDifference(Set(b.entries.map(\.id))).count
                print("    d=\(trueDifference) estimate=\(s.estimatedDifference) symbols in/out=\(s.symbolsReceived)/\(s.symbolsSent) RT=\(s.roundTrips) bytes=\(s.totalBytes) fetch/send=\(diff.toFetch.count)/\(diff.toSend.count)")
            }
            return out
        }
    }
}

// MARK: The naive scheme (the talk's hot-era alignment, our encoding)

struct Writer {
    var bytes: [UInt8] = []
    mutating func zint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func fingerprint(_ f: AlignmentFingerprint) {
        zint(f.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: f.sum >> (UInt64(i) * 8))) }
    }
}

/// Round 1: the initiator sends the window and its fingerprint; the responder answers with
/// the fingerprint of each of its intervals in the window. Round 2: the initiator names the
/// mismatching intervals; the responder answers with their sub-intervals' fingerprints.
/// Round 3: the initiator names the mismatching sub-intervals; the responder lists all its
/// entries in them. The initiator then compares them with its own.
func naive(_ a: AlignmentIndex, _ b: AlignmentIndex) -> Outcome {
    var out = Outcome()
    let clock = ContinuousClock()
    let start = clock.now
    let spi = UInt64(layout.subIntervalsPerInterval)
    let scopeBytes = 1 + scope.string.utf8.count
    let header = 1 + scopeBytes + 2 + 5 + 1   // tag, scope, sub-interval length, window
    // Round 1.
    var q = Writer(); q.fingerprint(a.fingerprint(of: hot))
    out.bytes += header + q.bytes.count
    out.roundTrips += 1
    if b.fingerprint(of: hot) == a.fingerprint(of: hot) { out.bytes += 1; out.seconds = elapsed(clock.now - start); return out }
    let intervals = Array(hot.from / spi...(hot.to - 1) / spi)
    var r = Writer()
    for i in intervals { r.fingerprint(b.fingerprint(ofInterval: i)) }
    out.bytes += 1 + r.bytes.count
    // Round 2.
    let badIntervals = intervals.filter { a.fingerprint(ofInterval: $0) != b.fingerprint(ofInterval: $0) }
    out.roundTrips += 1
    var q2 = Writer(); q2.zint(UInt64(badIntervals.count)); for i in badIntervals { q2.zint(i - intervals[0]) }
    var r2 = Writer()
    var subs: [UInt64] = []
    for i in badIntervals { for s in i * spi..<(i + 1) * spi { subs.append(s); r2.fingerprint(b.fingerprint(ofSubInterval: s)) } }
    out.bytes += header + q2.bytes.count + 1 + r2.bytes.count
    // Round 3.
    let badSubs = subs.filter { a.fingerprint(ofSubInterval: $0) != b.fingerprint(ofSubInterval: $0) }
    out.roundTrips += 1
    var q3 = Writer(); q3.zint(UInt64(badSubs.count)); for s in badSubs { q3.zint(s - hot.from) }
    var listed: [AlignmentEntry] = []
    for s in badSubs { listed.append(contentsOf: b.entries(inSubInterval: s)) }
    let reply = AlignmentEntryList.encode(listed)
    out.bytes += header + q3.bytes.count + 1 + reply.count
    // The initiator's comparison.
    let theirs = try! AlignmentEntryList.decode(reply)
    let theirIDs = Set(theirs.map(\.id))
    var ours: [AlignmentEntry] = []
    for s in badSubs { ours.append(contentsOf: a.entries(inSubInterval: s)) }
    let ourIDs = Set(ours.map(\.id))
    out.differences = theirs.filter { !ourIDs.contains($0.id) }.count + ours.filter { !theirIDs.contains($0.id) }.count
    out.seconds = elapsed(clock.now - start)
    return out
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func fmt(_ v: Double, _ digits: Int = 1) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    return String(r)
}

print("align-bench: \(runs) runs per row, 10,000 keys in the hot era (\(hot.to - hot.from) sub-intervals of \(layout.subIntervalMillis) ms), divergence 10 % deletes / 45 % updates / 45 % new keys, random side")
print("")
print("reconciliation (mean / max over runs; bytes = all alignment messages both ways, no payloads)")
print(pad("k", 6) + pad("scheme", 10) + pad("RT mean", 9) + pad("RT max", 8) + pad("bytes mean", 12) + pad("bytes max", 11)
      + pad("budget", 8) + pad("ms mean", 9))
for k in [1, 10, 100, 1000] {
    var rs: [Outcome] = [], ns: [Outcome] = []
    for run in 0..<runs {
        let (a, b) = divergedPair(n: 10_000, k: k, seed: UInt64(k * 1000 + run))
        rs.append(rateless(a, b, verbose: verbose))
        ns.append(naive(a, b))
    }
    for (name, os) in [("rateless", rs), ("naive", ns)] {
        let rtMean = Double(os.map(\.roundTrips).reduce(0, +)) / Double(os.count)
        let bMean = Double(os.map(\.bytes).reduce(0, +)) / Double(os.count)
        let msMean = os.map(\.seconds).reduce(0, +) / Double(os.count) * 1000
        print(pad(String(k), 6) + pad(name, 10) + pad(fmt(rtMean, 2), 9) + pad(String(os.map(\.roundTrips).max()!), 8)
              + pad(String(Int(bMean)), 12) + pad(String(os.map(\.bytes).max()!), 11) + pad(String(64 * k + 512), 8)
              + pad(fmt(msMean, 2), 9))
    }
}

do {
    let (a, b) = divergedPair(n: 10_000, k: 0, seed: 1)
    var initiator = AlignmentInitiator(index: a, peerScope: b.scope, now: now, eras: [.hot])
    let q = initiator.firstMessage()
    let r = try! AlignmentResponder.reply(to: q, index: b, now: now)
    let digest = a.digest(now: now).encoded()
    print("")
    print("idle in-sync check (scope \(scope)): query \(q.count) B + reply \(r.count) B = \(q.count + r.count) B; published digest \(digest.count) B")
    let rl = rateless(a, b), nv = naive(a, b)
    print("  rateless \(rl.bytes) B in \(rl.roundTrips) RT; naive \(nv.bytes) B in \(nv.roundTrips) RT")
}

// MARK: Fingerprint update cost and digest build time

print("")
print("index costs (entries spread over the last 24 h; the hot era holds ~1/1440 of them)")
print(pad("entries", 9) + pad("build ms", 10) + pad("put ns", 8) + pad("update ns", 11) + pad("digest µs", 11) + pad("hot open ms", 13))
let sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
for n in sizes {
    var g = Rng(seed: UInt64(n))
    let day = NTP64.duration(milliseconds: 86_400_000)
    let entries = (0..<n).map { i in
        AlignmentEntry(key: key(i), timestamp: Timestamp(time: NTP64(rawValue: now.rawValue - UInt64.random(in: 0..<day, using: &g)), id: clockIDs[i % 3]),
                       isTombstone: i % 10 == 0)
    }
    let clock = ContinuousClock()
    var index = AlignmentIndex(layout: layout, scope: scope)
    var t0 = clock.now
    for e in entries { _ = index.apply(e) }
    let build = elapsed(clock.now - t0)
    // New keys into a full index, then updates of existing keys (remove the old hash, add the new).
    let extra = 20_000
    let fresh = (0..<extra).map { i in AlignmentEntry(key: key(n + i), timestamp: Timestamp(time: randomTime(&g), id: clockIDs[0]), isTombstone: false) }
    t0 = clock.now
    for e in fresh { _ = index.apply(e) }
    let put = elapsed(clock.now - t0) / Double(extra)
    let updates = (0..<extra).map { i in AlignmentEntry(key: key(Int.random(in: 0..<n, using: &g)), timestamp: Timestamp(time: NTP64(rawValue: now.rawValue + UInt64(i)), id: clockIDs[1]), isTombstone: false) }
    t0 = clock.now
    for e in updates { _ = index.apply(e) }
    let update = elapsed(clock.now - t0) / Double(extra)
    t0 = clock.now
    var sink = 0
    for _ in 0..<100 { sink &+= Int(truncatingIfNeeded: index.digest(now: now).hot.sum) }
    let digest = elapsed(clock.now - t0) / 100
    var initiator = AlignmentInitiator(index: index, peerScope: scope, now: now, eras: [.hot])
    t0 = clock.now
    sink &+= initiator.firstMessage().count
    let sketch = elapsed(clock.now - t0)
    print(pad(String(n), 9) + pad(fmt(build * 1000), 10) + pad(String(Int(put * 1e9)), 8) + pad(String(Int(update * 1e9)), 11)
          + pad(fmt(digest * 1e6, 1), 11) + pad(fmt(sketch * 1000, 2), 13) + (sink == 42 ? " " : ""))
}
