import PetrelKeyExpr
import PetrelTime

/// The set one side aligns: last writer wins per key (a tombstone is an entry), with
/// order-independent fingerprints kept per sub-interval, per interval and for the whole
/// set, each updated in O(1) per change. Era and window fingerprints are sums of interval
/// and sub-interval fingerprints, never recomputed from entries.
public struct AlignmentIndex: Sendable {
    public let layout: AlignmentLayout
    public let scope: KeyExpr
    /// The scope is `**`: every key is in it, no per-apply inclusion test.
    private let scopeIsEverything: Bool

    /// Each key's latest entry.
    private var latestByKey: [String: AlignmentEntry] = [:]
    /// The key of each entry, by ID (IDs of entries that are not their key's latest are absent).
    private var keyByID: [UInt64: String] = [:]
    /// Per sub-interval: its fingerprint and the IDs in it.
    private var subIntervals: [UInt64: SubInterval] = [:]
    private var intervals: [UInt64: AlignmentFingerprint] = [:]
    private var total = AlignmentFingerprint()
    /// Newest sub-interval that ever held an entry (bounds scans of the current era).
    private var newestSubInterval: UInt64 = 0

    struct SubInterval: Sendable {
        var fingerprint = AlignmentFingerprint()
        var ids: Set<UInt64> = []
    }

    public init(layout: AlignmentLayout, scope: KeyExpr) {
        self.layout = layout
        self.scope = scope
        self.scopeIsEverything = scope.string == "**"
    }

    /// An index of `entries` (last writer wins among them; keys outside `scope` left out).
    public init(layout: AlignmentLayout, scope: KeyExpr, entries: some Sequence<AlignmentEntry>) {
        self.init(layout: layout, scope: scope)
        for e in entries { _ = apply(e) }
    }

    /// A new index of this one's entries inside a narrower scope: what a replica keeps for a
    /// peer whose scope its own includes (built once, then updated on every change).
    public func narrowed(to narrower: KeyExpr) -> AlignmentIndex {
        AlignmentIndex(layout: layout, scope: narrower, entries: latestByKey.values)
    }

    /// Keys held (tombstones included).
    public var count: Int { latestByKey.count }

    /// The fingerprint of every entry held.
    public var totalFingerprint: AlignmentFingerprint { total }

    /// Whether `key` is a concrete key inside the scope (what `apply` accepts).
    public func accepts(key: String) -> Bool {
        if scopeIsEverything { return !key.isEmpty && !key.contains("*") && (try? KeyExpr(key)) != nil }
        guard !key.contains("*"), let k = try? KeyExpr(key) else { return false }
        return scope.includes(k)
    }

    /// Last writer wins. `.applied(replaced:)` when it is newer than what the key had (the
    /// entry it replaced, if any), `.stale` otherwise — and also, without any change, when the
    /// key is not a concrete key inside `scope` or when the entry's 64-bit ID collides with
    /// another key's entry (probability ~n/2^64).
    public mutating func apply(_ entry: AlignmentEntry) -> AlignmentApplyOutcome {
        let old = latestByKey[entry.key]
        if let old, !entry.supersedes(old) { return .stale }
        if old == nil && !accepts(key: entry.key) { return .stale }
        let id = entry.id
        if keyByID[id.rawValue] != nil { return .stale }
        if let old { remove(old) }
        insert(entry, id: id)
        return .applied(replaced: old)
    }

    /// The latest entry of `key`, tombstone included, or `nil` when the key is unknown.
    public func latest(forKey key: String) -> AlignmentEntry? { latestByKey[key] }

    /// The entry with this ID if it is its key's latest, else `nil`.
    public func entry(withID id: AlignmentEntryID) -> AlignmentEntry? {
        guard let key = keyByID[id.rawValue], let e = latestByKey[key] else { return nil }
        return e
    }

    /// Removes entries older than `time` (all of them, or tombstones only): an edge keeps the
    /// hot window only; a replica expires tombstones once nothing older can arrive. Visits
    /// only the sub-intervals that hold entries older than `time`.
    public mutating func removeEntries(olderThan time: NTP64, tombstonesOnly: Bool) {
        let limit = layout.subInterval(of: time)
        let candidates = subIntervals.keys.filter { $0 <= limit }
        for s in candidates {
            guard let ids = subIntervals[s]?.ids else { continue }
            for id in ids {
                guard let key = keyByID[id], let e = latestByKey[key] else { continue }
                if e.timestamp.time < time && (!tombstonesOnly || e.isTombstone) {
                    remove(e)
                    latestByKey[key] = nil
                }
            }
        }
    }

    /// Every entry held, in no particular order.
    public var entries: some Collection<AlignmentEntry> { latestByKey.values }

    // MARK: Fingerprints

    /// The fingerprint of one sub-interval (empty when it holds nothing).
    public func fingerprint(ofSubInterval s: UInt64) -> AlignmentFingerprint {
        subIntervals[s]?.fingerprint ?? .empty
    }

    /// The fingerprint of one interval (the sum of its sub-intervals').
    public func fingerprint(ofInterval i: UInt64) -> AlignmentFingerprint { intervals[i] ?? .empty }

    /// The entries of one sub-interval (what a naive aligner lists on a mismatch).
    public func entries(inSubInterval s: UInt64) -> [AlignmentEntry] {
        guard let ids = subIntervals[s]?.ids else { return [] }
        return ids.compactMap { keyByID[$0].flatMap { latestByKey[$0] } }
    }

    /// The sub-intervals that hold entries inside `window`, in ascending order.
    public func nonEmptySubIntervals(in window: AlignmentWindow) -> [UInt64] {
        let to = min(window.to, newestSubInterval &+ 1)
        guard window.from < to else { return [] }
        if to - window.from <= UInt64(subIntervals.count) {
            return (window.from..<to).filter { subIntervals[$0] != nil }
        }
        return subIntervals.keys.filter { window.contains(subInterval: $0) }.sorted()
    }

    /// The intervals that hold entries inside `window`, in ascending order (a scan of the
    /// non-empty intervals, never of entries): what the aligner lists when asked for an era's intervals.
    public func nonEmptyIntervals(in window: AlignmentWindow) -> [UInt64] {
        guard !window.isEmpty else { return [] }
        let first = layout.interval(ofSubInterval: window.from), last = layout.interval(ofSubInterval: window.to - 1)
        return intervals.keys.filter { $0 >= first && $0 <= last }.sorted()
    }

    /// The fingerprint of a window: whole intervals from the interval fingerprints, the
    /// partial ones at either end from sub-interval fingerprints. Cost: the number of
    /// intervals and sub-intervals spanned, or of non-empty ones if that is smaller; never
    /// the number of entries.
    public func fingerprint(of window: AlignmentWindow) -> AlignmentFingerprint {
        let to = min(window.to, newestSubInterval &+ 1)
        guard window.from < to else { return .empty }
        if window.from == 0 && to == newestSubInterval &+ 1 { return total }
        let spi = layout.spi
        let firstWhole = (window.from + spi - 1) / spi
        let endWhole = to / spi
        guard firstWhole < endWhole else { return subIntervalSum(window.from, to) }
        var fp = subIntervalSum(window.from, firstWhole * spi) + subIntervalSum(endWhole * spi, to)
        if endWhole - firstWhole <= UInt64(intervals.count) {
            for i in firstWhole..<endWhole { fp += intervals[i] ?? .empty }
        } else {
            for (i, f) in intervals where i >= firstWhole && i < endWhole { fp += f }
        }
        return fp
    }

    private func subIntervalSum(_ from: UInt64, _ to: UInt64) -> AlignmentFingerprint {
        guard from < to else { return .empty }
        var fp = AlignmentFingerprint()
        if to - from <= UInt64(subIntervals.count) {
            for s in from..<to { fp += subIntervals[s]?.fingerprint ?? .empty }
        } else {
            for (s, b) in subIntervals where s >= from && s < to { fp += b.fingerprint }
        }
        return fp
    }

    /// The IDs of the entries inside `window` (for sketches and estimators: O(entries in window)).
    func ids(in window: AlignmentWindow) -> [UInt64] {
        var out: [UInt64] = []
        for s in nonEmptySubIntervals(in: window) {
            if let b = subIntervals[s] { out.append(contentsOf: b.ids) }
        }
        return out
    }

    /// The entries inside `window` whose key is included in `scope` (a scan, for a scope
    /// narrower than the index's).
    func ids(in window: AlignmentWindow, narrowedTo narrower: KeyExpr) -> [UInt64] {
        ids(in: window).filter { id in
            guard let key = keyByID[id], let k = try? KeyExpr(key) else { return false }
            return narrower.includes(k)
        }
    }

    /// The small digest published periodically and compared on link-up (≤ 64 bytes encoded).
    public func digest(now: NTP64) -> AlignmentDigest {
        digest(settledEnd: layout.settledEnd(now: now))
    }

    /// The digest at a given settled boundary: what a peer compares its own digest with.
    public func digest(settledEnd: UInt64) -> AlignmentDigest {
        let spi = layout.spi
        let hotStart = AlignmentLayout.saturatingSub(settledEnd / spi, UInt64(max(0, layout.hotIntervals))) * spi
        let warmStart = AlignmentLayout.saturatingSub(hotStart, UInt64(max(0, layout.warmIntervals)) &* spi)
        let b = EraBounds(warmStart: warmStart, hotStart: min(hotStart, settledEnd), settledEnd: settledEnd)
        let hot = fingerprint(of: AlignmentWindow(from: b.hotStart, to: b.settledEnd))
        let warm = fingerprint(of: AlignmentWindow(from: b.warmStart, to: b.hotStart))
        let current = fingerprint(of: AlignmentWindow(from: b.settledEnd, to: .max))
        let cold = total - hot - warm - current
        return AlignmentDigest(layout: layout, settledEnd: settledEnd, hot: hot, warm: warm, cold: cold)
    }

    // MARK: Private

    private mutating func insert(_ entry: AlignmentEntry, id: AlignmentEntryID) {
        latestByKey[entry.key] = entry
        keyByID[id.rawValue] = entry.key
        let s = layout.subInterval(of: entry.timestamp.time)
        subIntervals[s, default: SubInterval()].fingerprint.insert(id)
        subIntervals[s, default: SubInterval()].ids.insert(id.rawValue)
        intervals[layout.interval(ofSubInterval: s), default: .empty].insert(id)
        total.insert(id)
        if s > newestSubInterval { newestSubInterval = s }
    }

    /// Takes an entry out of every fingerprint (not out of `latestByKey`: the caller replaces or clears it).
    private mutating func remove(_ entry: AlignmentEntry) {
        let id = entry.id
        keyByID[id.rawValue] = nil
        let s = layout.subInterval(of: entry.timestamp.time)
        // Mutated in place through the optional subscripts: copying the bucket out would
        // copy its ID set, O(entries in the sub-interval) per update.
        subIntervals[s]?.fingerprint.remove(id)
        subIntervals[s]?.ids.remove(id.rawValue)
        if subIntervals[s]?.ids.isEmpty == true { subIntervals[s] = nil }
        let i = layout.interval(ofSubInterval: s)
        intervals[i]?.remove(id)
        if intervals[i]?.count == 0 { intervals[i] = nil }
        total.remove(id)
    }
}

/// What `AlignmentIndex.apply` did.
public enum AlignmentApplyOutcome: Sendable, Equatable {
    /// The entry is now its key's latest; `replaced` is the entry it superseded, if any.
    case applied(replaced: AlignmentEntry?)
    /// Nothing changed: the key already has a newer (or the same) entry, or the key is not accepted.
    case stale
}
