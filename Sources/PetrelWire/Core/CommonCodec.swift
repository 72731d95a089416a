import PetrelTime

// Codecs of the small values many messages share: ZIDs, timestamps.

extension WireWriter {
    /// Writes the ZID bytes only (its length travels elsewhere, e.g. a flags nibble).
    
    public mutating func writeZIDBytes(_ id: ZenohID) throws(EncodeError) {
        let n = id.wireLength
        guard remaining >= n else { throw .doesNotFit }
        for i in 0..<n { try writeByte(id.byte(i)) }
    }

    /// Writes `zint length | ZID bytes`.
    
    public mutating func writeZIDWithLength(_ id: ZenohID) throws(EncodeError) {
        try writeZInt(UInt64(id.wireLength))
        try writeZIDBytes(id)
    }

    /// Writes a timestamp (§2.5): zint time, then the ZID with a zint length.
    
    public mutating func writeTimestamp(_ t: Timestamp) throws(EncodeError) {
        try writeZInt(t.time.rawValue)
        try writeZIDWithLength(t.id)
    }
}

extension WireReader {
    /// Reads `count` ZID bytes (1...16).
    
    public mutating func readZIDBytes(count: Int, _ field: StaticString) throws(DecodeError) -> ZenohID {
        guard (1...16).contains(count) else { throw DecodeError(.valueOutOfRange, field, value: UInt64(count)) }
        guard count <= remaining else { throw DecodeError(.truncated, field, value: UInt64(count)) }
        // Straight from the batch: every timestamped sample carries a ZID, and
        // a slice per ZID (retain, release, generic walk) showed in profiles.
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<count {
            let b = UInt64(bytes[index + k])
            if k < 8 { low |= b << UInt64(k * 8) } else { high |= b << UInt64((k - 8) * 8) }
        }
        index += count
        guard let id = ZenohID(high: high, low: low) else { throw DecodeError(.invalidValue, field) }
        return id
    }

    /// Reads `zint length | ZID bytes`.
    
    public mutating func readZIDWithLength(_ field: StaticString) throws(DecodeError) -> ZenohID {
        let n = try readZInt(field)
        guard n >= 1 && n <= 16 else { throw DecodeError(.valueOutOfRange, field, value: n) }
        return try readZIDBytes(count: Int(n), field)
    }

    
    public mutating func readTimestamp(_ field: StaticString) throws(DecodeError) -> Timestamp {
        let time = try readZInt(field)
        let id = try readZIDWithLength(field)
        return Timestamp(time: NTP64(rawValue: time), id: id)
    }
}

extension ZenohID {
    /// The high nibble `(length - 1) << 4` used by Init, Join, Hello, Scout,
    /// SourceInfo and ResponderId flags bytes.
    public var lengthNibble: UInt8 { UInt8(wireLength - 1) << 4 }
}

/// Source info (§10.6): who produced a message. Body of ext `41` of PUT, DEL, QUERY and ERR.
public struct SourceInfo: Equatable, Hashable, Sendable {
    public var zid: ZenohID
    public var entityID: UInt32
    public var sequenceNumber: UInt32

    public init(zid: ZenohID, entityID: UInt32, sequenceNumber: UInt32) {
        self.zid = zid
        self.entityID = entityID
        self.sequenceNumber = sequenceNumber
    }

    
    public static func decodeBody(_ body: ZBytes) throws(DecodeError) -> SourceInfo {
        var r = WireReader(body)
        let flags = try r.readByte("SourceInfo.flags")
        let zid = try r.readZIDBytes(count: Int(flags >> 4) + 1, "SourceInfo.zid")
        let eid = try r.readZInt(UInt32.self, "SourceInfo.entityID")
        let sn = try r.readZInt(UInt32.self, "SourceInfo.sequenceNumber")
        return SourceInfo(zid: zid, entityID: eid, sequenceNumber: sn)
    }
}

extension SourceInfo: ExtensionBody {
    /// `flags ((zid_len-1)<<4) | zid | zint entity id | zint sequence number`.
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        try w.writeByte(zid.lengthNibble)
        try w.writeZIDBytes(zid)
        try w.writeZInt(UInt64(entityID))
        try w.writeZInt(UInt64(sequenceNumber))
    }
}

/// The network timestamp extension (`42`) is a bytes extension whose body is
/// a Timestamp (§2.5).
extension Timestamp: ExtensionBody {
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        try w.writeTimestamp(self)
    }
}

extension Timestamp {
    /// Decodes the body of a timestamp extension.
    
    public static func decodeExtensionBody(_ body: ZBytes, _ field: StaticString) throws(DecodeError) -> Timestamp {
        var r = WireReader(body)
        return try r.readTimestamp(field)
    }
}
