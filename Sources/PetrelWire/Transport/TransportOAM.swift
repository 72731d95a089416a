/// Transport OAM (zenoh-wire.md §6.8): operations and management between
/// transports. `header(0x00 | ENC<<5 | Z) | id zint (u16) | [exts: QoS 31] | body`
/// where ENC (bits 5-6) gives the body's shape as for an extension.
/// Not used by unicast clients; carried so a batch holding one still decodes.
public struct TransportOAM: Equatable, Sendable {
    public static let id: UInt8 = 0x00

    public enum Body: Equatable, Sendable {
        /// ENC 00: no body.
        case none
        /// ENC 01.
        case zint(UInt64)
        /// ENC 10: zint length + bytes.
        case bytes(ZBytes)
    }

    /// What the OAM is about (a u16 on the wire). Not to be confused with the
    /// static `TransportOAM.id`, the message id.
    public var id: UInt16
    /// Ext `31`, as `FrameHeader.priority`.
    public var priority: Priority?
    public var unknownExtensions: [ZExtension]
    public var body: Body

    public init(id: UInt16, body: Body = .none, priority: Priority? = nil, unknownExtensions: [ZExtension] = []) {
        self.id = id
        self.body = body
        self.priority = priority
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        switch body {
        case .none: header |= ZExtension.encodingUnit
        case .zint: header |= ZExtension.encodingZInt
        case .bytes: header |= ZExtension.encodingBytes
        }
        var exts = try w.writeHeader(header)
        try w.writeZInt(UInt64(id))
        if let priority { try exts.write(TransportExtension.qos, UInt64(priority.rawValue), into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        switch body {
        case .none: break
        case .zint(let v): try w.writeZInt(v)
        case .bytes(let b): try w.writeSlice(b)
        }
    }

    /// Decodes the body after `header` (already read). ENC `11` (reserved) is `.invalidValue`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> TransportOAM {
        var m = TransportOAM(id: try r.readZInt(UInt16.self, "OAM.id"))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("OAM.extension")
            more = e.more
            switch e.key {
            case TransportExtension.qos: m.priority = Priority(channelExtension: e)
            default: try WireReader.unknownExtension(e, "OAM", into: &m.unknownExtensions)
            }
        }
        switch header & 0x60 {
        case ZExtension.encodingUnit: m.body = .none
        case ZExtension.encodingZInt: m.body = .zint(try r.readZInt("OAM.body"))
        case ZExtension.encodingBytes: m.body = .bytes(try r.readSlice("OAM.body"))
        default: throw DecodeError(.invalidValue, "OAM.encoding", value: UInt64(header))
        }
        return m
    }
}
