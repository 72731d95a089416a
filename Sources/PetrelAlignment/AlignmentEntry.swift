import PetrelTime

/// One key's latest state, as both sides compare it. Payloads are not part of alignment
/// metadata: the integration layer fetches them once the difference is known.
public struct AlignmentEntry: Hashable, Sendable, CustomStringConvertible {
    /// A concrete key (no wildcards).
    public var key: String
    public var timestamp: Timestamp
    /// A delete: kept as an entry so that an older put elsewhere cannot resurrect the key.
    public var isTombstone: Bool

    public init(key: String, timestamp: Timestamp, isTombstone: Bool) {
        self.key = key
        self.timestamp = timestamp
        self.isTombstone = isTombstone
    }

    /// A 64-bit hash of (key, timestamp, isTombstone): what fingerprints sum and sketches carry.
    public var id: AlignmentEntryID {
        AlignmentEntryID(rawValue: EntryHash.entry(
            key: key, time: timestamp.time.rawValue, idLow: timestamp.id.low, idHigh: timestamp.id.high,
            tombstone: isTombstone))
    }

    /// Last writer wins: a later timestamp wins; at an equal timestamp a tombstone wins over a
    /// put (timestamps are unique per operation, so this only settles forged or buggy input).
    public func supersedes(_ other: AlignmentEntry) -> Bool {
        if timestamp != other.timestamp { return timestamp > other.timestamp }
        return isTombstone && !other.isTombstone
    }

    public var description: String {
        "\(isTombstone ? "DEL" : "PUT") \(key) @\(timestamp.decimalString)"
    }
}

/// The identity of an entry: a hash of its key, timestamp and tombstone flag.
/// Treat as opaque (the width may grow in a later protocol version).
public struct AlignmentEntryID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
