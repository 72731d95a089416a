import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelTime
import Synchronization

/// A key-value store that takes part in alignment: the samples themselves in a
/// `HotStore` (with their payloads, on disk when it is persistent) and, beside
/// it, the alignment metadata (key → latest timestamp, tombstones included) in
/// an `AlignmentIndex` whose fingerprints are updated on every stored change.
///
/// Every sample, from a subscriber or from alignment, goes through `apply`:
/// - timestamps further in the future than the allowed drift are refused
///   (`ClockGuard`);
/// - last writer wins by timestamp; a delete is a tombstone (the store keeps it
///   like a value, so an older put arriving late cannot resurrect the key);
/// - a delete on a wildcard key expression (`site/a/*`) tombstones every
///   matching key held, at the delete's timestamp, and is remembered so that
///   an older put on a matching key that arrives later is superseded too.
///
/// Peers whose scope is a strict part of ours (an edge's `site/pi7/**` under
/// our `site/**`) are reconciled on an extra index for that scope, built once
/// from the store on first contact and then updated on every change like the
/// main one (fingerprints are only cheap for the set they were kept for).
public final class AlignedStore: Sendable {
    public let store: HotStore
    public let scope: KeyExpr
    public let layout: AlignmentLayout
    public let clockGuard: ClockGuard
    /// The eras this side keeps: all of them on a replica, the hot window on an edge.
    public let eras: Set<AlignmentEra>
    let now: @Sendable () -> NTP64

    struct Counters: Sendable {
        var applied: UInt64 = 0
        var stale: UInt64 = 0
        var wildcardDeletes: UInt64 = 0
        var outsideHotWindow: UInt64 = 0
        var wildcardLogErrors: UInt64 = 0
    }

    struct State: Sendable {
        var main: AlignmentIndex
        var extra: [KeyExpr: AlignmentIndex] = [:]
        /// Wildcard deletes seen, newest timestamp per expression.
        var wildcardDeletes: [KeyExpr: Timestamp] = [:]
        var counters = Counters()
    }

    private let state: Mutex<State>
    private let wildcardLog: WildcardDeleteLog?

    /// A store whose wildcard deletes live in memory (an edge, which keeps the hot window only).
    public convenience init(store: HotStore, layout: AlignmentLayout, eras: Set<AlignmentEra>, clockGuard: ClockGuard,
                            now: @escaping @Sendable () -> NTP64) {
        self.init(store: store, layout: layout, eras: eras, clockGuard: clockGuard, wildcardLog: nil, wildcards: [], now: now)
    }

    /// A store whose wildcard deletes are kept in the file `wildcardLogPath` (a replica).
    ///
    /// - Throws: `SystemCallError` when the file cannot be opened or read.
    public convenience init(store: HotStore, layout: AlignmentLayout, eras: Set<AlignmentEra>, clockGuard: ClockGuard,
                            wildcardLogPath: String, now: @escaping @Sendable () -> NTP64) throws {
        let log = try WildcardDeleteLog(path: wildcardLogPath)
        self.init(store: store, layout: layout, eras: eras, clockGuard: clockGuard, wildcardLog: log, wildcards: try log.readAll(), now: now)
    }

    private init(store: HotStore, layout: AlignmentLayout, eras: Set<AlignmentEra>, clockGuard: ClockGuard,
                 wildcardLog: WildcardDeleteLog?, wildcards: [(KeyExpr, Timestamp)], now: @escaping @Sendable () -> NTP64) {
        self.store = store
        self.scope = store.keyExpr
        self.layout = layout
        self.eras = eras
        self.clockGuard = clockGuard
        self.now = now
        self.wildcardLog = wildcardLog
        var index = AlignmentIndex(layout: layout, scope: store.keyExpr)
        for s in store.latestEntries() {
            _ = index.apply(AlignmentEntry(key: s.key, timestamp: s.timestamp, isTombstone: s.kind == .delete))
        }
        var st = State(main: index)
        for (expr, ts) in wildcards where (st.wildcardDeletes[expr].map { $0 < ts } ?? true) {
            st.wildcardDeletes[expr] = ts
        }
        state = Mutex(st)
    }

    /// Whether this side keeps every era (a replica) or the hot window only (an edge).
    public var keepsAllEras: Bool { eras.contains(.cold) }

    public enum ApplyResult: Sendable, Equatable {
        case stored
        case stale
        case rejectedClock
        case rejected(String)
    }

    /// Stores `sample` by the rules above; `checkClock`: false for samples this
    /// process stamped itself.
    @discardableResult
    public func apply(_ sample: StoredSample, checkClock: Bool = true) -> ApplyResult {
        if checkClock && !clockGuard.admit(sample.timestamp) { return .rejectedClock }
        guard let key = try? KeyExpr(sample.key) else { return .rejected("invalid key") }
        if key.isWild {
            guard sample.kind == .delete else { return .rejected("a put on a wildcard key expression") }
            return applyWildcardDelete(key, sample)
        }
        guard scope.includes(key) else { return .rejected("outside the store's key expression") }
        if !keepsAllEras && layout.era(of: sample.timestamp.time, now: now()).isOlderThanHot {
            state.withLock { $0.counters.outsideHotWindow += 1 }
            return .stale
        }
        return state.withLock { s -> ApplyResult in
            var sample = sample
            // A wildcard delete newer than this sample supersedes it.
            for (expr, ts) in s.wildcardDeletes where ts > sample.timestamp && expr.includes(key) {
                sample = StoredSample(key: sample.key, kind: .delete, timestamp: ts)
            }
            return Self.store(sample, key: key, store: store, state: &s)
        }
    }

    private static func store(_ sample: StoredSample, key: KeyExpr, store: HotStore, state s: inout State) -> ApplyResult {
        guard store.store(sample).isKept else {
            s.counters.stale += 1
            return .stale
        }
        let entry = AlignmentEntry(key: sample.key, timestamp: sample.timestamp, isTombstone: sample.kind == .delete)
        _ = s.main.apply(entry)
        for (scope, _) in s.extra where scope.includes(key) { _ = s.extra[scope]!.apply(entry) }
        s.counters.applied += 1
        return .stored
    }

    private func applyWildcardDelete(_ expr: KeyExpr, _ sample: StoredSample) -> ApplyResult {
        guard scope.intersects(expr) else { return .rejected("outside the store's key expression") }
        return state.withLock { s -> ApplyResult in
            // Read under our lock (the store's is taken inside it, as in `apply`): no put slips between.
            let matching = store.latestEntries().filter { expr.includes((try? KeyExpr($0.key)) ?? expr) }
            s.counters.wildcardDeletes += 1
            if let old = s.wildcardDeletes[expr], old >= sample.timestamp { return .stale }
            s.wildcardDeletes[expr] = sample.timestamp
            do {
                try wildcardLog?.append(expr, sample.timestamp)
            } catch {
                s.counters.wildcardLogErrors += 1
            }
            for m in matching where m.timestamp < sample.timestamp {
                guard let k = try? KeyExpr(m.key) else { continue }
                _ = Self.store(StoredSample(key: m.key, kind: .delete, timestamp: sample.timestamp), key: k, store: store, state: &s)
            }
            return .stored
        }
    }

    /// The wildcard deletes held (newest timestamp per expression), as deletes to re-apply.
    public func wildcardDeletes() -> [StoredSample] {
        state.withLock { s in s.wildcardDeletes.map { StoredSample(key: $0.key.string, kind: .delete, timestamp: $0.value) } }
            .sorted { $0.key < $1.key }
    }

    /// An order-independent hash of the wildcard deletes held: peers holding
    /// the same set publish the same value with their digests. Each delete is
    /// hashed as the tombstone entry it is, with the index's own entry hash.
    public var wildcardDeletesHash: UInt64 {
        state.withLock { s in
            s.wildcardDeletes.reduce(UInt64(0)) { acc, e in
                acc ^ AlignmentEntry(key: e.key.string, timestamp: e.value, isTombstone: true).id.rawValue
            }
        }
    }

    /// Runs `body` on the index for `scope` under the store's lock, without
    /// copying it: a copy alive while a sample is applied costs a full copy of
    /// the index (copy-on-write), so digests and responder replies, which are
    /// quick, are computed in place. nil when `scope` is not part of ours.
    public func withIndex<R>(for scope: KeyExpr, _ body: (borrowing AlignmentIndex) throws -> R) rethrows -> R? {
        if scope != self.scope, self.scope.includes(scope), state.withLock({ $0.extra[scope] == nil }) {
            _ = index(for: scope) // built once
        }
        return try state.withLock { s -> R? in
            if scope == self.scope { return try body(s.main) }
            guard let extra = s.extra[scope] else { return nil }
            return try body(extra)
        }
    }

    /// A copy of the index for `scope` (ours, or a part of it, built on first use).
    public func index(for scope: KeyExpr) -> AlignmentIndex? {
        if scope == self.scope { return state.withLock { $0.main } }
        guard self.scope.includes(scope) else { return nil }
        if let existing = state.withLock({ $0.extra[scope] }) { return existing }
        // Built once from the store (under our lock, so no change slips
        // between the read and the first update), then kept up to date by `apply`.
        return state.withLock { s in
            if let existing = s.extra[scope] { return existing }
            let entries = store.latestEntries()
            var index = AlignmentIndex(layout: layout, scope: scope)
            for e in entries {
                guard let k = try? KeyExpr(e.key), scope.includes(k) else { continue }
                _ = index.apply(AlignmentEntry(key: e.key, timestamp: e.timestamp, isTombstone: e.kind == .delete))
            }
            s.extra[scope] = index
            return index
        }
    }

    /// The main index (a copy: cheap, copy-on-write).
    public var mainIndex: AlignmentIndex { state.withLock { $0.main } }

    /// The stored sample behind a key's latest entry (payload included).
    public func latestSample(forKey key: String) -> StoredSample? { store.latest(forKey: key) }

    /// Edge side: forgets the alignment metadata older than the hot era, so
    /// digests and reconciliations cover the hot window only.
    public func pruneToHotWindow() {
        guard !keepsAllEras else { return }
        let start = layout.hotWindowStart(now: now())
        state.withLock { s in
            s.main.removeEntries(olderThan: start, tombstonesOnly: false)
            for k in s.extra.keys { s.extra[k]!.removeEntries(olderThan: start, tombstonesOnly: false) }
        }
    }

    /// Every key's latest timestamp, tombstones included, sorted by key: what
    /// `petrel replica --dump` and the aligner's `state` query report (an edge
    /// reports everything its store holds, so a test sees cold history that
    /// should not be there).
    public func stateEntries() -> [AlignmentEntry] {
        store.latestEntries()
            .map { AlignmentEntry(key: $0.key, timestamp: $0.timestamp, isTombstone: $0.kind == .delete) }
            .sorted { $0.key < $1.key }
    }

    public struct Statistics: Sendable {
        public var keys: Int
        public var applied: UInt64
        public var stale: UInt64
        public var wildcardDeletes: UInt64
        public var clockRejected: UInt64
        public var outsideHotWindow: UInt64
    }

    public var statistics: Statistics {
        state.withLock { s in
            Statistics(keys: s.main.count, applied: s.counters.applied, stale: s.counters.stale,
                       wildcardDeletes: s.counters.wildcardDeletes, clockRejected: clockGuard.rejected,
                       outsideHotWindow: s.counters.outsideHotWindow)
        }
    }
}

extension AlignmentEra {
    var isOlderThanHot: Bool { self == .warm || self == .cold }
}

extension AlignmentLayout {
    /// The earliest time still in the hot era (or the current one) at `now`.
    func hotWindowStart(now: NTP64) -> NTP64 {
        startTime(ofSubInterval: eraBounds(now: now).hotStart)
    }
}
