import PetrelTime

/// HELLO (zenoh-wire.md §15): the answer to a Scout, unicast back to the
/// Scout's source address.
///
///   header 0x02 | L 0x20 | Z 0x80 | version u8 | flags ((zid_len-1)<<4 | whatami)
///   zid | [L: zint count, count x string (length <= 255)] | [Z: extensions]
///
/// Without locators the receiver uses the datagram's source address.
public struct Hello: Equatable, Sendable {
    public static let id: UInt8 = 0x02
    static let flagLocators: UInt8 = 0x20
    /// Longest locator string on the wire.
    public static let maxLocatorLength = 255

    public var version: UInt8
    public var whatAmI: WhatAmI
    public var zid: ZenohID
    /// Where the node listens, e.g. `tcp/127.0.0.1:7447`. L is set iff non-empty.
    public var locators: [String]
    public var unknownExtensions: [ZExtension]

    public init(version: UInt8 = TransportMessage.protocolVersion, whatAmI: WhatAmI, zid: ZenohID,
                locators: [String] = [], unknownExtensions: [ZExtension] = []) {
        self.version = version
        self.whatAmI = whatAmI
        self.zid = zid
        self.locators = locators
        self.unknownExtensions = unknownExtensions
    }

    /// Throws `.invalidValue` for a locator longer than 255 bytes.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if !locators.isEmpty { header |= Self.flagLocators }
        var exts = try w.writeHeader(header)
        try w.writeByte(version)
        try w.writeNodeIdentity(whatAmI: whatAmI, zid: zid)
        if !locators.isEmpty {
            try w.writeZInt(UInt64(locators.count))
            for l in locators {
                guard l.utf8.count <= Self.maxLocatorLength else { throw .invalidValue("HELLO.locator") }
                try w.writeString(l)
            }
        }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the body after `header` (already read). Whatami bits `11` are
    /// `.invalidValue`; a locator count larger than the bytes left is `.truncated`.
    /// L with a count of 0 decodes as no locators.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Hello {
        let version = try r.readByte("HELLO.version")
        let (whatAmI, zid) = try r.readNodeIdentity("HELLO.zid")
        var m = Hello(version: version, whatAmI: whatAmI, zid: zid)
        if header & flagLocators != 0 {
            let count = try r.readZInt("HELLO.locators")
            // Each locator takes at least its length byte: refuse counts the input cannot hold.
            guard count <= UInt64(r.remaining) else { throw DecodeError(.truncated, "HELLO.locators", value: count) }
            m.locators.reserveCapacity(Int(count))
            for _ in 0..<count {
                m.locators.append(try r.readString("HELLO.locator", maxLength: UInt64(maxLocatorLength)))
            }
        }
        try r.readUnknownExtensions(header: header, "HELLO.extension", into: &m.unknownExtensions)
        return m
    }
}
