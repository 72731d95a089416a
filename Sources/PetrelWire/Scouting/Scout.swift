import PetrelTime

/// SCOUT (zenoh-wire.md §15): "who is there?", sent raw in a UDP datagram
/// (usually multicast to 224.0.0.224:7446).
///
///   header 0x01 (+Z) | version u8 | flags | [zid] | [Z: extensions]
///
/// flags: bits 0-2 the `what` bitmap, bit 3 (0x08) I = a ZID follows,
/// bits 4-7 ZID length - 1.
public struct Scout: Equatable, Sendable {
    public static let id: UInt8 = 0x01
    static let flagZID: UInt8 = 0x08

    public var version: UInt8
    /// Which kinds should answer: a bitmap of `WhatAmI.matcherBit` (1 router,
    /// 2 peer, 4 client), bits 0-2 only. Unlike whatami in Init/Hello, a bitmap.
    public var what: UInt8
    /// The scouting node's id, if it tells it.
    public var zid: ZenohID?
    public var unknownExtensions: [ZExtension]

    public init(version: UInt8 = TransportMessage.protocolVersion, what: UInt8, zid: ZenohID? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.version = version
        self.what = what
        self.zid = zid
        self.unknownExtensions = unknownExtensions
    }

    /// Scouts for the given kinds, e.g. `[.router, .peer]`.
    public init(version: UInt8 = TransportMessage.protocolVersion, looking kinds: [WhatAmI], zid: ZenohID? = nil) {
        self.init(version: version, what: kinds.reduce(0) { $0 | $1.matcherBit }, zid: zid)
    }

    /// Whether a node of kind `kind` should answer.
    public func matches(_ kind: WhatAmI) -> Bool { what & kind.matcherBit != 0 }

    /// Throws `.invalidValue` when `what` has bits above 0-2.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        guard what <= 0x07 else { throw .invalidValue("SCOUT.what") }
        var exts = try w.writeHeader(Self.id)
        try w.writeByte(version)
        if let zid {
            try w.writeByte(zid.lengthNibble | Self.flagZID | what)
            try w.writeZIDBytes(zid)
        } else {
            try w.writeByte(what)
        }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the body after `header` (already read). The ZID length nibble is
    /// ignored when I is clear.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Scout {
        let version = try r.readByte("SCOUT.version")
        let flags = try r.readByte("SCOUT.flags")
        var m = Scout(version: version, what: flags & 0x07)
        if flags & flagZID != 0 {
            m.zid = try r.readZIDBytes(count: Int(flags >> 4) + 1, "SCOUT.zid")
        }
        try r.readUnknownExtensions(header: header, "SCOUT.extension", into: &m.unknownExtensions)
        return m
    }
}
