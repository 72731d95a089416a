import PetrelTime

/// What an INTEREST asks for (bits 5-6 of its header).
public enum InterestMode: UInt8, Sendable, CaseIterable {
    /// Stop the interest with this id (no options, no key).
    case final = 0
    /// Declarations matching now, then D_FINAL.
    case current = 1
    /// Changes from now on, until a Final.
    case future = 2
    /// Both.
    case currentFuture = 3
}

/// The options byte of an INTEREST. Bits 5 (N) and 6 (M) belong to the
/// interest's key and are derived from `Interest.wireExpr`; they are never
/// members of this set.
public struct InterestOptions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// K: key-expression declarations.
    public static let keyExprs = InterestOptions(rawValue: 0x01)
    /// S.
    public static let subscribers = InterestOptions(rawValue: 0x02)
    /// Q.
    public static let queryables = InterestOptions(rawValue: 0x04)
    /// T: liveliness tokens.
    public static let tokens = InterestOptions(rawValue: 0x08)
    /// R: only declarations intersecting `Interest.wireExpr` (present iff set).
    public static let restricted = InterestOptions(rawValue: 0x10)
    /// A: aggregate replies.
    public static let aggregate = InterestOptions(rawValue: 0x80)

    /// The bits of the key's N and M flags, which are not options.
    static let keyFlags: UInt8 = 0x60
}

/// INTEREST (§9.6): ask the peer for declarations (current, future or both),
/// optionally restricted to a key expression; mode Final ends it.
///
/// Wire order: `header(0x19 + mode << 5 + Z) | id | [options | [key]] | [extensions]`:
/// the extensions come *after* the key.
public struct Interest: Equatable, Sendable {
    public static let id: UInt8 = 0x19

    /// Chosen by the sender; declarations answering it carry it back.
    public var id: UInt32
    public var mode: InterestMode
    /// Empty for mode Final (no options byte on the wire).
    public var options: InterestOptions
    /// Present exactly when `options` contains `.restricted` (mode Final: always nil).
    public var wireExpr: WireExpr?
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    /// Router-to-router only; 0 (the origin) is never sent.
    public var nodeID: UInt16
    public var unknownExtensions: [ZExtension]

    public init(id: UInt32, mode: InterestMode, options: InterestOptions = [], wireExpr: WireExpr? = nil,
                qos: NetworkQoS = .default, timestamp: Timestamp? = nil, nodeID: UInt16 = 0,
                unknownExtensions: [ZExtension] = []) {
        self.id = id
        self.mode = mode
        self.options = options
        self.wireExpr = wireExpr
        self.qos = qos
        self.timestamp = timestamp
        self.nodeID = nodeID
        self.unknownExtensions = unknownExtensions
    }

    /// Writes the message. Throws `invalidValue` when `wireExpr` and the R
    /// option disagree, or when a Final carries options or a key.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        if mode == .final {
            guard options.isEmpty && wireExpr == nil else { throw .invalidValue("INTEREST.options") }
        } else {
            guard options.contains(.restricted) == (wireExpr != nil) else { throw .invalidValue("INTEREST.wireExpr") }
        }
        var exts = try w.writeHeader(Self.id | mode.rawValue << 5)
        try w.writeZInt(UInt64(id))
        if mode != .final {
            var byte = options.rawValue & ~InterestOptions.keyFlags
            if let wireExpr {
                if wireExpr.hasSuffix { byte |= Header.flag5 }
                if wireExpr.mapping == .sender { byte |= Header.flag6 }
            }
            try w.writeByte(byte)
            if let wireExpr { try w.writeWireExprBody(wireExpr) }
        }
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        if nodeID != 0 { try exts.write(NetworkExtension.nodeID, UInt64(nodeID), into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the message after `header` (already read). N/M option bits
    /// without R are ignored (there is no key for them to describe).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Interest {
        let id = try r.readZInt(UInt32.self, "INTEREST.id")
        // Two bits: every value is a mode.
        let mode = InterestMode(rawValue: (header >> 5) & 0x03) ?? .final
        var interest = Interest(id: id, mode: mode)
        if mode != .final {
            let byte = try r.readByte("INTEREST.options")
            interest.options = InterestOptions(rawValue: byte & ~InterestOptions.keyFlags)
            if interest.options.contains(.restricted) {
                interest.wireExpr = try r.readWireExpr(hasSuffix: byte & Header.flag5 != 0,
                                                       mapping: byte & Header.flag6 != 0 ? .sender : .receiver, "INTEREST.key")
            }
        }
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("INTEREST.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: interest.qos = try NetworkQoS.decode(e, "INTEREST.qos")
            case NetworkExtension.timestamp: interest.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "INTEREST.timestamp")
            case NetworkExtension.nodeID:
                guard e.zint <= UInt64(UInt16.max) else { throw DecodeError(.valueOutOfRange, "INTEREST.nodeID", value: e.zint) }
                interest.nodeID = UInt16(e.zint)
            default: try WireReader.unknownExtension(e, "INTEREST", into: &interest.unknownExtensions)
            }
        }
        return interest
    }
}
