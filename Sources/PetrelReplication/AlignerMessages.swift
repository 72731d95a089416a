import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelTime

/// What an aligner is: published with every digest and answered on `info`,
/// so a peer knows which set it aligns and which eras it keeps.
public struct AlignerDescriptor: Sendable, Equatable {
    public enum Role: UInt8, Sendable {
        /// Keeps every era (`petrel replica`).
        case replica = 0
        /// Keeps the hot window only (an agent's storage on a board).
        case edge = 1
    }

    public var role: Role
    public var scope: KeyExpr
    /// The eras it keeps, hence the only ones anyone reconciles with it.
    public var eras: Set<AlignmentEra>

    public init(role: Role, scope: KeyExpr, eras: Set<AlignmentEra>) {
        self.role = role
        self.scope = scope
        self.eras = eras
    }

    static let version: UInt8 = 1

    func encode(into w: inout ByteWriter) {
        w.u8(Self.version)
        w.u8(role.rawValue)
        w.u8(AlignerMessages.mask(eras))
        w.string16(scope.string)
    }

    static func decode(from r: inout ByteReader) throws -> AlignerDescriptor {
        let v = try r.u8("version")
        guard v == version else { throw ReplicationMessageError("version \(v), expected \(version)") }
        guard let role = Role(rawValue: try r.u8("role")) else { throw ReplicationMessageError("unknown role") }
        let eras = AlignerMessages.eras(try r.u8("eras"))
        let text = try r.string16("scope")
        guard let scope = try? KeyExpr(text) else { throw ReplicationMessageError("scope '\(text)' is not a key expression") }
        return AlignerDescriptor(role: role, scope: scope, eras: eras)
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(ReplicationMessageError) {
        self = try ReplicationMessageError.reading {
            var r = ByteReader(bytes)
            return try Self.decode(from: &r)
        }
    }
}

/// The aligner's own framing around PetrelAlignment's messages (docs/alignment.md,
/// "Keys and framing").
public enum AlignerMessages {
    static func mask(_ eras: Set<AlignmentEra>) -> UInt8 {
        eras.reduce(0) { $0 | (1 << $1.rawValue) }
    }

    static func eras(_ mask: UInt8) -> Set<AlignmentEra> {
        Set((0..<8).compactMap { i in mask & (1 << i) != 0 ? AlignmentEra(rawValue: UInt8(i)) : nil })
    }

    /// A digest publication: the descriptor, the hash of the wildcard deletes
    /// held (u64), then PetrelAlignment's digest.
    public static func digest(_ d: AlignerDescriptor, wildcardHash: UInt64, _ digest: AlignmentDigest) -> [UInt8] {
        var w = ByteWriter()
        d.encode(into: &w)
        w.u64(wildcardHash)
        w.raw(digest.encoded())
        return w.bytes
    }

    public static func readDigest(_ bytes: [UInt8]) throws -> (AlignerDescriptor, UInt64, AlignmentDigest) {
        var r = ByteReader(bytes)
        let d = try AlignerDescriptor.decode(from: &r)
        let hash = try r.u64("wildcard hash")
        return (d, hash, try AlignmentDigest(decoding: r.rest))
    }

    /// An `align` query: who asks (so a peer being reconciled does not start
    /// the same reconciliation the other way at once), the scope both sides
    /// reconcile (the responder picks its index for it), the eras, then the
    /// initiator's message.
    public static func alignQuery(from initiator: ZenohID, scope: KeyExpr, eras: Set<AlignmentEra>, _ message: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.u8(AlignerDescriptor.version)
        let zid = initiator.wireBytes
        w.u8(UInt8(zid.count))
        w.raw(zid)
        w.string16(scope.string)
        w.u8(mask(eras))
        w.raw(message)
        return w.bytes
    }

    public static func readAlignQuery(_ bytes: [UInt8]) throws(ReplicationMessageError)
        -> (initiator: ZenohID, scope: KeyExpr, eras: Set<AlignmentEra>, message: [UInt8]) {
        try ReplicationMessageError.reading {
            var r = ByteReader(bytes)
            guard try r.u8("version") == AlignerDescriptor.version else { throw ReplicationMessageError("unknown version") }
            let n = Int(try r.u8("zid length"))
            guard let initiator = ZenohID(wireBytes: try r.raw("zid", count: n)) else { throw ReplicationMessageError("invalid zid") }
            let text = try r.string16("scope")
            guard let scope = try? KeyExpr(text) else { throw ReplicationMessageError("scope '\(text)' is not a key expression") }
            let eras = eras(try r.u8("eras"))
            return (initiator, scope, eras, r.rest)
        }
    }

    /// An `entries` query: the concrete keys whose latest entries are wanted.
    public static func entriesQuery(_ keys: [String]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(keys.count))
        for k in keys { w.string16(k) }
        return w.bytes
    }

    public static func readEntriesQuery(_ bytes: [UInt8]) throws(ReplicationMessageError) -> [String] {
        try ReplicationMessageError.reading {
            var r = ByteReader(bytes)
            let n = Int(try r.u32("count"))
            // Each key takes at least its two length bytes: a count the message cannot hold is a lie.
            guard n <= r.remaining / 2 else { throw ReplicationMessageError("\(n) keys announced in \(r.remaining) bytes") }
            var keys: [String] = []
            keys.reserveCapacity(n)
            for _ in 0..<n { keys.append(try r.string16("key")) }
            return keys
        }
    }

    /// A batch of records: an `entries` reply, or a `push` query.
    public static func records(_ samples: [StoredSample]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(samples.count))
        for s in samples { ReplicationRecord.encode(s, into: &w) }
        return w.bytes
    }

    public static func readRecords(_ bytes: [UInt8]) throws(ReplicationMessageError) -> [StoredSample] {
        try ReplicationMessageError.reading {
            var r = ByteReader(bytes)
            let n = Int(try r.u32("count"))
            guard n <= r.remaining / 20 else { throw ReplicationMessageError("\(n) records announced in \(r.remaining) bytes") }
            var out: [StoredSample] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try ReplicationRecord.decode(from: &r)) }
            guard r.remaining == 0 else { throw ReplicationMessageError("\(r.remaining) bytes after the records") }
            return out
        }
    }
}
