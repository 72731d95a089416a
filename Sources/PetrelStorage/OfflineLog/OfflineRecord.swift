import PetrelTime

/// One sample that could not go upstream while the uplink was down, as the
/// offline log keeps it: everything needed to publish it later exactly as it
/// would have been published then (same key, payload, encoding, attachment and,
/// above all, the original timestamp).
public struct OfflineRecord: Equatable, Hashable, Sendable {
    /// Whether the sample was a put or a delete.
    public enum Kind: UInt8, Sendable, Hashable {
        case put = 0
        case delete = 1
    }

    /// Position in the log, assigned by `OfflineLog.append` (1, 2, 3, ...; never
    /// reused while a record with that number can still be replayed). The value
    /// passed to `append` is ignored.
    public var sequence: UInt64
    /// The key expression the sample was published on.
    public var key: String
    public var payload: [UInt8]
    /// Zenoh encoding id (see PetrelWire's `Encoding`); 0 is `zenoh/bytes`.
    public var encodingID: UInt16
    /// Zenoh encoding schema, if any.
    public var encodingSchema: String?
    /// The timestamp the sample was given when it was produced; replay sends it
    /// unchanged so receivers see when the sample really happened.
    public var timestamp: Timestamp
    public var attachment: [UInt8]?
    public var kind: Kind

    public init(
        sequence: UInt64 = 0, key: String, payload: [UInt8], encodingID: UInt16 = 0,
        encodingSchema: String? = nil, timestamp: Timestamp, attachment: [UInt8]? = nil, kind: Kind = .put
    ) {
        self.sequence = sequence
        self.key = key
        self.payload = payload
        self.encodingID = encodingID
        self.encodingSchema = encodingSchema
        self.timestamp = timestamp
        self.attachment = attachment
        self.kind = kind
    }

    /// Orders records for replay: by timestamp, ties (same time and clock) by
    /// sequence, so the result is deterministic and keeps append order where
    /// timestamps do not decide.
    ///
    /// Records stamped by one hybrid logical clock are appended in timestamp
    /// order already; sorting matters when samples stamped elsewhere (a bridge,
    /// another producer) are interleaved. `OfflineReplayer` applies it to each
    /// batch it reads, so replay is in timestamp order within a batch and across
    /// batches as far as the log is in order (see `OfflineReplayer`).
    public static func sortedForReplay(_ records: [OfflineRecord]) -> [OfflineRecord] {
        records.sorted { a, b in
            a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence
        }
    }
}
