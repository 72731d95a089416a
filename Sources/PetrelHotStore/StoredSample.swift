import PetrelTime

/// A sample as a hot store keeps and returns it: what a Zenoh PUT or DEL
/// carries, with the timestamp the store orders it by.
public struct StoredSample: Equatable, Sendable {
    /// PUT or DEL.
    public enum Kind: UInt8, Sendable {
        case put = 0
        case delete = 1
    }

    /// A Zenoh encoding: a numeric id and an optional schema (`text/plain;charset=utf-8`
    /// is id 10 with schema `charset=utf-8`).
    public struct Encoding: Hashable, Sendable {
        public var id: UInt16
        public var schema: String?

        public init(id: UInt16, schema: String? = nil) {
            self.id = id
            self.schema = schema
        }

        /// Zenoh's default encoding (`zenoh/bytes`, id 0, no schema).
        public static let bytes = Encoding(id: 0)
    }

    /// The concrete key (no wildcards).
    public var key: String
    public var kind: Kind
    /// Empty for a delete.
    public var payload: [UInt8]
    public var encoding: Encoding
    /// Orders samples: last writer wins, time series are kept in this order.
    public var timestamp: Timestamp
    public var attachment: [UInt8]?

    public init(key: String, kind: Kind = .put, payload: [UInt8] = [], encoding: Encoding = .bytes,
                timestamp: Timestamp, attachment: [UInt8]? = nil) {
        self.key = key
        self.kind = kind
        self.payload = payload
        self.encoding = encoding
        self.timestamp = timestamp
        self.attachment = attachment
    }
}

/// What `HotStore.store` did with a sample.
public enum StoreOutcome: Equatable, Sendable {
    /// Kept: the first entry of its key (key-value), or one more sample (time series).
    case stored
    /// Key-value: newer than the key's value or tombstone, which it replaced.
    case replaced
    /// Not kept: older than the key's current value or tombstone (key-value),
    /// or older than the key's tombstone (time series).
    case ignoredOlder
    /// Not kept: the key already holds a sample with this exact timestamp (a replay).
    case duplicate
    /// Not kept: older than the hot window already.
    case expired
    /// Not kept: the sample cannot go in this store.
    case rejected(Rejection)

    /// Why a sample cannot go in a store.
    public enum Rejection: Equatable, Sendable {
        /// The key is not a key expression in canonical form.
        case invalidKey
        /// The key holds wildcards; a store keeps concrete keys only.
        case wildcardKey
        /// The key is not under the store's key expression.
        case outsideStorage
        /// The sample alone is larger than the byte quota, or its key or
        /// encoding schema is longer than 65,535 bytes.
        case tooLarge
    }

    /// Whether the sample is now held by the store (it may still be the first
    /// to be evicted when the store is over quota).
    public var isKept: Bool { self == .stored || self == .replaced }
}
