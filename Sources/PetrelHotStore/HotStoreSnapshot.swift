/// A hot store's size and what it has done since it was opened.
public struct HotStoreSnapshot: Equatable, Sendable {
    /// Concrete keys held.
    public var keys: Int
    /// Entries held, tombstones included (what `maxEntries` bounds).
    public var entries: Int
    /// Tombstones among `entries`.
    public var tombstones: Int
    /// Bytes held, counted as the entries' log record sizes (what `maxBytes` bounds).
    public var bytes: Int
    public var counters: Counters
    /// nil for a store that is not persisted.
    public var persistence: Persistence?

    /// Monotonic counters since the store was created or opened (rebuilding
    /// from the log is not counted).
    public struct Counters: Equatable, Sendable {
        public var stored = 0
        public var replaced = 0
        public var ignoredOlder = 0
        public var duplicates = 0
        public var expired = 0
        public var rejected = 0
        /// Entries evicted because they fell out of the hot window.
        public var evictedByAge = 0
        /// Entries evicted (oldest first) to stay within `maxEntries`.
        public var evictedByCount = 0
        /// Entries evicted (oldest first) to stay within `maxBytes`.
        public var evictedByBytes = 0
        /// Time-series samples removed by a later delete of their key.
        public var removedByDelete = 0
        public var queries = 0
        /// Keys looked at by queries: one per matching key, never the whole store.
        public var keysVisited = 0
        /// Entries looked at by queries (after the time-range binary search).
        public var entriesVisited = 0

        public init() {}

        /// All evictions.
        public var evicted: Int { evictedByAge + evictedByCount + evictedByBytes }
    }

    /// The log file of a persistent store.
    public struct Persistence: Equatable, Sendable {
        public var path = ""
        /// The file's current size.
        public var fileBytes = 0
        /// Samples read back from the file at start (before quotas applied).
        public var recoveredSamples = 0
        /// Bytes of a torn or corrupt tail cut off at start.
        public var droppedTailBytes = 0
        public var compactions = 0
        /// Appends or compactions that failed (the store kept working in memory).
        public var errors = 0
        public var lastError: HotStoreError?

        public init() {}
    }
}
