import PetrelKeyExpr
import PetrelTime
import Synchronization

/// The hot era of a Zenoh storage on an edge board: the recent samples under
/// one key expression, bounded by age (the hot window), entry count and
/// bytes. Older data is evicted, oldest first, since cold history lives
/// upstream.
///
/// - Key-value mode keeps the latest sample per key: last writer wins by
///   timestamp (an older or equal timestamp is ignored); a delete becomes a
///   tombstone, kept (and counted) like a value until it leaves the hot
///   window, so an older put arriving late does not resurrect the key.
/// - Time-series mode keeps every sample per key in timestamp order; a sample
///   with a (key, timestamp) already held is a replay and is stored once. A
///   delete removes the key's samples up to its timestamp and stays as a
///   tombstone the same way.
///
/// `query` answers a Zenoh `get` on the store's queryable: matching keys are
/// found through an index (a dictionary for a concrete key, a key expression
/// tree for wildcards), never by scanning the store, and time-series samples
/// in a `_time` range by binary search.
///
/// `open(directory:...)` makes a store that survives restarts: every kept
/// sample is appended to a log file, which is replayed (under the same
/// quotas and the current time) when the store is opened again, and
/// compacted when it grows past twice the live data.
///
/// Thread-safe: all state sits behind one mutex.
public final class HotStore: Sendable {
    /// What a store keeps per key.
    public enum Mode: Sendable, Equatable {
        /// The latest sample per key.
        case keyValue
        /// Every sample per key.
        case timeSeries
    }

    /// When a persistent store flushes its log to stable storage.
    public enum SyncPolicy: Sendable, Equatable {
        /// Never (the default): the kernel writes the file back in its own
        /// time; a power loss may cost the last seconds of the hot era, which
        /// the durable offline buffer and upstream replicas still hold.
        case never
        /// After every appended record and around compaction (slow on flash).
        case everyRecord
    }

    /// The storage's key expression: only keys it matches are stored.
    public let keyExpr: KeyExpr
    public let mode: Mode
    /// How far back from now samples are kept (by their timestamps); nil: no age limit.
    public let hotWindow: Duration?
    /// At most this many entries (tombstones included); nil: no limit.
    public let maxEntries: Int?
    /// At most this many bytes (entries' log record sizes); nil: no limit.
    public let maxBytes: Int?

    private let clock: @Sendable () -> NTP64
    let state: Mutex<HotStoreState>  // internal: HotStore+Latest.swift reads it

    /// An in-memory store (nothing survives the process).
    ///
    /// - Parameter clock: the current time, for the hot window and `now(...)`
    ///   in time ranges; the wall clock by default.
    public init(keyExpr: KeyExpr, mode: Mode, hotWindow: Duration? = nil, maxEntries: Int? = nil,
                maxBytes: Int? = nil, clock: @escaping @Sendable () -> NTP64 = { SystemClock().now() }) {
        self.keyExpr = keyExpr
        self.mode = mode
        self.hotWindow = hotWindow
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.clock = clock
        state = Mutex(HotStoreState(keyExpr: keyExpr, mode: mode, hotWindow: hotWindow,
                                    maxEntries: maxEntries, maxBytes: maxBytes))
    }

    private init(state: consuming HotStoreState, keyExpr: KeyExpr, mode: Mode, hotWindow: Duration?,
                 maxEntries: Int?, maxBytes: Int?, clock: @escaping @Sendable () -> NTP64) {
        self.keyExpr = keyExpr
        self.mode = mode
        self.hotWindow = hotWindow
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.clock = clock
        self.state = Mutex(state)
    }

    /// Opens the persistent store kept in `directory` (created if missing),
    /// rebuilding its contents from the log there: samples are replayed in
    /// the order they were stored, under these quotas and the current time,
    /// so what is outside the hot window or over quota now is dropped.
    ///
    /// A torn or corrupt record (a crash mid-append, a bad sector) ends the
    /// replay: it and everything after it are cut off the file, and counted
    /// in `snapshot().persistence.droppedTailBytes`.
    ///
    /// - Throws: `HotStoreError` when the directory or file cannot be created
    ///   or read, or the file is not a hot store log (it is left untouched).
    public static func open(directory: String, keyExpr: KeyExpr, mode: Mode, hotWindow: Duration? = nil,
                            maxEntries: Int? = nil, maxBytes: Int? = nil, sync: SyncPolicy = .never,
                            clock: @escaping @Sendable () -> NTP64 = { SystemClock().now() }) throws(HotStoreError) -> HotStore {
        let (log, recovery) = try HotStoreLog.openLog(directory: directory, sync: sync)
        var state = HotStoreState(keyExpr: keyExpr, mode: mode, hotWindow: hotWindow,
                                  maxEntries: maxEntries, maxBytes: maxBytes)
        state.log = log
        state.replaying = true
        let now = clock()
        var reader = RecordReader(recovery.bytes, from: recovery.recordsStart)
        var recovered = 0
        while let sample = reader.next() {
            _ = state.store(sample, now: now)
            recovered += 1
        }
        state.replaying = false
        state.counters = .init()
        state.persistence.path = log.path
        state.persistence.recoveredSamples = recovered
        if reader.offset < recovery.bytes.count {
            state.persistence.droppedTailBytes = recovery.bytes.count - reader.offset
            do throws(HotStoreError) {
                try state.log!.truncate(to: reader.offset)
            } catch {
                state.log!.close()
                throw error
            }
        }
        if state.log!.fileBytes > 2 * (state.bytes + HotStoreLog.header.count)
            && state.log!.fileBytes > HotStoreState.minimumCompactionBytes {
            do throws(HotStoreError) {
                try state.compact()
            } catch {
                state.persistence.errors += 1
                state.persistence.lastError = error
            }
        }
        return HotStore(state: state, keyExpr: keyExpr, mode: mode, hotWindow: hotWindow,
                        maxEntries: maxEntries, maxBytes: maxBytes, clock: clock)
    }

    deinit {
        state.withLock { $0.log?.close() }
    }

    /// Stores `sample` by the store's rules (see the type's documentation),
    /// appends it to the log if the store is persistent, then evicts what the
    /// quotas and hot window require (possibly the sample itself, if it is the
    /// oldest).
    ///
    /// A failed append does not fail the store: the sample is kept in memory
    /// and the failure counted in `snapshot().persistence`.
    @discardableResult
    public func store(_ sample: StoredSample) -> StoreOutcome {
        let now = clock()
        return state.withLock { $0.store(sample, now: now) }
    }

    /// The samples a Zenoh `get` on `keyExpr` should receive, tombstones
    /// excluded: in key-value mode the latest sample of each matching key (in
    /// no particular order), in time-series mode every matching sample, in
    /// timestamp order (ties by key). With a `timeRange`, only samples whose
    /// timestamps are in it (resolved at the store's clock), as Zenoh's
    /// `TimeRange::contains` decides.
    public func query(_ keyExpr: KeyExpr, timeRange: TimeRange? = nil) -> [StoredSample] {
        let now = clock()
        let range = timeRange?.resolved(now: now)
        return state.withLock { $0.query(keyExpr, range: range, now: now) }
    }

    /// `query` for a selector's parameters (the text after `?`), honouring
    /// Zenoh's `_time` parameter.
    ///
    /// - Throws: `TimeRangeError` when `_time` is present but invalid (Zenoh
    ///   storages answer such a query with an error).
    public func query(_ keyExpr: KeyExpr, parameters: String) throws(TimeRangeError) -> [StoredSample] {
        query(keyExpr, timeRange: try TimeRange.fromSelectorParameters(parameters))
    }

    /// Evicts what has fallen out of the hot window (stores and queries do it
    /// too; call this periodically to free memory in a quiet store). Returns
    /// the number of entries evicted.
    @discardableResult
    public func evictExpired() -> Int {
        let now = clock()
        return state.withLock { s in
            let before = s.entryCount
            s.enforceLimits(now: now)
            return before - s.entryCount
        }
    }

    /// Current size and counters.
    public func snapshot() -> HotStoreSnapshot {
        state.withLock { s in
            var persistence: HotStoreSnapshot.Persistence?
            if let log = s.log {
                persistence = s.persistence
                persistence?.fileBytes = log.fileBytes
            }
            return HotStoreSnapshot(keys: s.keyCount, entries: s.entryCount, tombstones: s.tombstoneCount,
                                    bytes: s.bytes, counters: s.counters, persistence: persistence)
        }
    }

    /// Flushes the log to stable storage now (whatever the sync policy).
    /// Does nothing for an in-memory store.
    ///
    /// - Throws: `HotStoreError` if fsync fails or the store is closed.
    public func sync() throws(HotStoreError) {
        try state.withLock { (s: inout HotStoreState) throws(HotStoreError) in
            try s.log?.sync()
        }
    }

    /// Rewrites the log with the live entries only (it also happens by itself
    /// when the log passes twice the live bytes). Does nothing for an
    /// in-memory store.
    ///
    /// - Throws: `HotStoreError` if the new file cannot be written; the old
    ///   one is then kept.
    public func compact() throws(HotStoreError) {
        try state.withLock { (s: inout HotStoreState) throws(HotStoreError) in
            try s.compact()
        }
    }

    /// Closes the log file; later samples are kept in memory only (their
    /// appends fail and are counted). Also done when the store is released.
    public func close() {
        state.withLock { $0.log?.close() }
    }
}
