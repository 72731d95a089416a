import PetrelKeyExpr
import PetrelTime

/// Everything one concrete key holds in a hot store.
struct KeyRecord {
    // Fields ordered largest first, so the record packs into 104 bytes.
    var key: String
    /// Key-value mode: the latest value or tombstone.
    var latest: Entry?
    /// Time-series mode: samples in timestamp order from `head` on (entries
    /// before `head` are evicted slots, dropped in batches).
    var series: [Entry] = []
    /// The entries' payload bytes. Key-value: the latest payload itself (the
    /// sample's own buffer, not a copy). Time series: payloads appended one
    /// after another; `deadBytes` of them belong to entries that are gone,
    /// and are squeezed out when they are half the arena.
    var arena: [UInt8] = []
    /// Bumped when the slot is freed, and on every key-value replacement, so
    /// older heap items are recognised as stale.
    var generation: UInt32 = 0
    var head: Int32 = 0
    var deadBytes: UInt32 = 0
    var treeID: KeyExprTree<Int32>.EntryID?
    var isLive = false

    init(key: String) {
        self.key = key
    }

    static let free = KeyRecord(key: "")
}

/// The hot store's data and rules, without locking (`HotStore` holds it in a mutex).
struct HotStoreState {
    let keyExpr: KeyExpr
    let mode: HotStore.Mode
    /// The hot window in NTP64 units.
    let hotWindow: UInt64?
    let maxEntries: Int?
    let maxBytes: Int?

    var records: [KeyRecord] = []
    private var freeRecords: [Int32] = []
    /// Concrete key → record: a query for one key looks nothing else up.
    var index: [String: Int32] = [:]
    /// Key expressions of the records, for wildcard queries.
    var tree = KeyExprTree<Int32>()
    private var heap = EvictionHeap()

    private(set) var entryCount = 0
    private(set) var tombstoneCount = 0
    private(set) var bytes = 0
    var counters = HotStoreSnapshot.Counters()

    var log: HotStoreLog?
    /// Set while rebuilding from the log: nothing is written back.
    var replaying = false
    var persistence = HotStoreSnapshot.Persistence()

    /// A log is compacted when it is larger than twice its live records and than this.
    static let minimumCompactionBytes = 64 * 1024

    init(keyExpr: KeyExpr, mode: HotStore.Mode, hotWindow: Duration?, maxEntries: Int?, maxBytes: Int?) {
        self.keyExpr = keyExpr
        self.mode = mode
        self.hotWindow = hotWindow.map { NTP64(duration: $0).rawValue }
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    var keyCount: Int { index.count }

    /// Times below this are outside the hot window at `now`.
    private func cutoff(_ now: NTP64) -> UInt64? {
        hotWindow.map { now.rawValue >= $0 ? now.rawValue - $0 : 0 }
    }

    // MARK: storing

    mutating func store(_ sample: StoredSample, now: NTP64) -> StoreOutcome {
        let outcome = insert(sample, now: now)
        switch outcome {
        case .stored: counters.stored += 1
        case .replaced: counters.replaced += 1
        case .ignoredOlder: counters.ignoredOlder += 1
        case .duplicate: counters.duplicates += 1
        case .expired: counters.expired += 1
        case .rejected: counters.rejected += 1
        }
        if outcome.isKept {
            enforceLimits(now: now)
            if !replaying { compactIfNeeded() }
        }
        return outcome
    }

    private mutating func insert(_ sample: StoredSample, now: NTP64) -> StoreOutcome {
        let existing = index[sample.key]
        var newKey: KeyExpr?
        if existing == nil {
            // Only keys not seen before need checking: the index holds valid ones.
            guard let k = try? KeyExpr(sample.key) else { return .rejected(.invalidKey) }
            guard !k.isWild else { return .rejected(.wildcardKey) }
            guard keyExpr.intersects(k) else { return .rejected(.outsideStorage) }
            newKey = k
        }
        guard let entry = Entry(sample) else { return .rejected(.tooLarge) }
        // A payload's offset in its key's arena is a UInt32.
        if let r = existing, mode == .timeSeries,
           records[Int(r)].arena.count - Int(records[Int(r)].deadBytes) + sample.payload.count > Int(UInt32.max) {
            return .rejected(.tooLarge)
        }
        if let maxBytes, Int(entry.size) > maxBytes { return .rejected(.tooLarge) }
        if let cutoff = cutoff(now), entry.time.rawValue < cutoff { return .expired }

        let outcome: StoreOutcome
        let r: Int32
        switch (mode, existing) {
        case (.keyValue, let found?):
            r = found
            let old = records[Int(r)].latest! // a live key-value record always holds one
            let ts = entry.timestamp, oldTS = old.timestamp
            if ts == oldTS { return .duplicate }
            if ts < oldTS { return .ignoredOlder }
            records[Int(r)].latest = entry
            records[Int(r)].arena = sample.payload
            records[Int(r)].generation &+= 1
            bytes += Int(entry.size) - Int(old.size)
            tombstoneCount += (entry.kind == .delete ? 1 : 0) - (old.kind == .delete ? 1 : 0)
            outcome = .replaced
        case (.timeSeries, let found?):
            r = found
            let headBefore = records[Int(r)].series[Int(records[Int(r)].head)].timestamp
            let change = Self.insert(entry, payload: sample.payload, into: &records[Int(r)])
            switch change.outcome {
            case .stored: break
            default: return change.outcome
            }
            entryCount += 1 - change.removedEntries
            bytes += Int(entry.size) - change.removedBytes
            tombstoneCount += (entry.kind == .delete ? 1 : 0) - change.removedTombstones
            counters.removedByDelete += change.removedEntries
            outcome = .stored
            if records[Int(r)].series[Int(records[Int(r)].head)].timestamp != headBefore {
                // A new first sample: the key's place in the eviction order moved.
                heap.push(.init(time: entry.time.rawValue, record: r, generation: records[Int(r)].generation))
            }
        case (_, nil):
            guard let k = newKey else { return .rejected(.invalidKey) }
            r = newRecord(sample.key, k)
            var placed = entry
            if mode == .keyValue {
                records[Int(r)].latest = entry
                records[Int(r)].arena = sample.payload
            } else {
                placed.payloadOffset = 0
                records[Int(r)].series = [placed]
                records[Int(r)].arena = sample.payload
            }
            entryCount += 1
            bytes += Int(entry.size)
            tombstoneCount += entry.kind == .delete ? 1 : 0
            outcome = .stored
            heap.push(.init(time: entry.time.rawValue, record: r, generation: records[Int(r)].generation))
        }
        if mode == .keyValue, case .replaced = outcome {
            heap.push(.init(time: entry.time.rawValue, record: r, generation: records[Int(r)].generation))
        }
        if log != nil && !replaying {
            var record: [UInt8] = []
            record.reserveCapacity(Int(entry.size))
            var logged = entry
            logged.payloadOffset = 0
            logged.encodeRecord(key: sample.key, arena: sample.payload, into: &record)
            do throws(HotStoreError) {
                try log!.append(record)
            } catch {
                // The sample stays in memory; the failure shows in the snapshot.
                persistence.errors += 1
                persistence.lastError = error
            }
        }
        return outcome
    }

    private struct SeriesChange {
        var outcome: StoreOutcome
        var removedEntries = 0
        var removedBytes = 0
        var removedTombstones = 0
    }

    /// Adds `e` (payload `payload`) to a time series in timestamp order. A
    /// delete removes every sample at or before its timestamp and stays as the
    /// series' first entry (its tombstone), so later-arriving older samples
    /// are refused.
    private static func insert(_ e: Entry, payload: [UInt8], into rec: inout KeyRecord) -> SeriesChange {
        var e = e
        let ts = e.timestamp
        let head = Int(rec.head)
        let first = rec.series[head]
        if first.kind == .delete && ts <= first.timestamp {
            return SeriesChange(outcome: ts == first.timestamp ? .duplicate : .ignoredOlder)
        }
        var change = SeriesChange(outcome: .stored)
        var position: Int
        if e.kind == .delete {
            // Everything up to and including ts goes; the tombstone takes the first slot.
            let cut = firstIndex(in: rec.series, from: head) { $0.timestamp > ts }
            for i in head..<cut {
                change.removedEntries += 1
                change.removedBytes += Int(rec.series[i].size)
                if rec.series[i].kind == .delete { change.removedTombstones += 1 }
                rec.deadBytes += rec.series[i].payloadLength
            }
            if cut > head {
                rec.series.removeSubrange(head..<(cut - 1))
                position = head
            } else {
                position = -1 // before the head
            }
        } else if let last = rec.series.last, last.timestamp < ts {
            position = rec.series.count // samples mostly arrive in order
        } else {
            position = firstIndex(in: rec.series, from: head) { $0.timestamp >= ts }
            if position < rec.series.count && rec.series[position].timestamp == ts {
                return SeriesChange(outcome: .duplicate)
            }
            if position == head { position = -1 }
        }
        // Payload into the arena (squeezing out dead bytes first if it would pass 4 GiB).
        if rec.arena.count + payload.count > Int(UInt32.max) { squeezeArena(&rec) }
        e.payloadOffset = UInt32(rec.arena.count)
        rec.arena.append(contentsOf: payload)
        if e.kind == .delete && position == head {
            rec.series[head] = e
        } else if position == -1 {
            if head > 0 {
                rec.head -= 1
                rec.series[head - 1] = e
            } else {
                rec.series.insert(e, at: 0)
            }
        } else if position == rec.series.count {
            rec.series.append(e)
        } else {
            rec.series.insert(e, at: position)
        }
        squeezeArenaIfHalfDead(&rec)
        return change
    }

    /// Rewrites a series' arena without the bytes of entries that are gone,
    /// once they are at least half of it.
    private static func squeezeArenaIfHalfDead(_ rec: inout KeyRecord) {
        if rec.deadBytes >= 1024 && Int(rec.deadBytes) * 2 >= rec.arena.count { squeezeArena(&rec) }
    }

    private static func squeezeArena(_ rec: inout KeyRecord) {
        var arena: [UInt8] = []
        arena.reserveCapacity(max(0, rec.arena.count - Int(rec.deadBytes)))
        for i in Int(rec.head)..<rec.series.count {
            let range = rec.series[i].payloadRange
            rec.series[i].payloadOffset = UInt32(arena.count)
            arena.append(contentsOf: rec.arena[range])
        }
        rec.arena = arena
        rec.deadBytes = 0
    }

    /// The first index in `from..<series.count` where `isAfter` holds (it must
    /// hold for a suffix), by binary search; `series.count` if none.
    private static func firstIndex(in series: [Entry], from start: Int, where isAfter: (Entry) -> Bool) -> Int {
        var lo = start, hi = series.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if isAfter(series[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// `firstIndex(in:from:where:)` found by galloping back from the end
    /// (1, 2, 4... entries) and then bisecting: O(log d) for an answer d
    /// entries from the end, touching memory near the end only.
    static func firstIndexSearchingFromEnd(in series: [Entry], from start: Int,
                                                   where isAfter: (Entry) -> Bool) -> Int {
        var hi = series.count // isAfter holds from hi on
        var step = 1
        while hi > start {
            let probe = max(hi - step, start)
            if !isAfter(series[probe]) {
                // The answer is in probe+1...hi.
                var lo = probe + 1
                while lo < hi {
                    let mid = lo + (hi - lo) / 2
                    if isAfter(series[mid]) { hi = mid } else { lo = mid + 1 }
                }
                return hi
            }
            hi = probe
            step *= 2
        }
        return hi
    }

    private mutating func newRecord(_ key: String, _ k: KeyExpr) -> Int32 {
        let r: Int32
        if let free = freeRecords.popLast() {
            r = free
            records[Int(r)].key = key
        } else {
            r = Int32(records.count)
            records.append(KeyRecord(key: key))
        }
        records[Int(r)].isLive = true
        records[Int(r)].head = 0
        records[Int(r)].treeID = tree.insert(k, r)
        index[key] = r
        return r
    }

    private mutating func removeRecord(_ r: Int) {
        index[records[r].key] = nil
        if let id = records[r].treeID { tree.remove(id) }
        let generation = records[r].generation &+ 1
        records[r] = .free
        records[r].generation = generation
        freeRecords.append(Int32(r))
    }

    // MARK: eviction

    /// Evicts what fell out of the hot window, then the oldest entries until
    /// the count and byte quotas hold.
    mutating func enforceLimits(now: NTP64) {
        if let cutoff = cutoff(now) {
            while let top = heap.top, top.time < cutoff {
                heap.pop()
                if evict(top) { counters.evictedByAge += 1 }
            }
        }
        if let maxEntries {
            while entryCount > maxEntries, evictOldest() { counters.evictedByCount += 1 }
        }
        if let maxBytes {
            while bytes > maxBytes, evictOldest() { counters.evictedByBytes += 1 }
        }
        if heap.count > 2 * index.count + 1024 { rebuildHeap() }
    }

    private mutating func evictOldest() -> Bool {
        while let item = heap.pop() {
            if evict(item) { return true }
        }
        return false
    }

    /// Evicts the entry `item` stands for; false if the item is stale.
    private mutating func evict(_ item: EvictionHeap.Item) -> Bool {
        let r = Int(item.record)
        guard r < records.count, records[r].isLive, records[r].generation == item.generation else { return false }
        switch mode {
        case .keyValue:
            guard let e = records[r].latest else { return false }
            account(removing: e)
            removeRecord(r)
        case .timeSeries:
            let h = Int(records[r].head)
            let e = records[r].series[h]
            // The oldest entry of a series is its first; an item whose time
            // differs was pushed for an earlier first entry.
            guard e.time.rawValue == item.time else { return false }
            account(removing: e)
            if h + 1 == records[r].series.count {
                removeRecord(r)
                return true
            }
            records[r].deadBytes += e.payloadLength
            records[r].head = Int32(h + 1)
            if h + 1 >= 32 && 2 * (h + 1) >= records[r].series.count {
                records[r].series.removeFirst(h + 1)
                records[r].head = 0
            }
            Self.squeezeArenaIfHalfDead(&records[r])
            let next = records[r].series[Int(records[r].head)]
            heap.push(.init(time: next.time.rawValue, record: item.record, generation: records[r].generation))
        }
        return true
    }

    private mutating func account(removing e: Entry) {
        entryCount -= 1
        bytes -= Int(e.size)
        if e.kind == .delete { tombstoneCount -= 1 }
    }

    private mutating func rebuildHeap() {
        var items: [EvictionHeap.Item] = []
        items.reserveCapacity(index.count)
        for (r, rec) in records.enumerated() where rec.isLive {
            // One item per key: its value (key-value) or its first sample (time series).
            guard let e = rec.latest ?? rec.series[Int(rec.head)...].first else { continue }
            items.append(.init(time: e.time.rawValue, record: Int32(r), generation: rec.generation))
        }
        heap.rebuild(items)
    }
}
