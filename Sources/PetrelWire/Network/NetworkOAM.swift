import PetrelTime

/// Network OAM (§9.7): operations and management between routers (id 1 is
/// link-state). A client has no use for one; it is decoded so a Frame that
/// carries it can still be read past.
///
/// Wire order: `header(0x1F + ENC << 5 + Z) | id zint (u16) | [extensions] | body`,
/// where ENC (bits 5-6) gives the body's shape: 0 none, 1 zint, 2 bytes (3 is invalid).
public struct NetworkOAM: Equatable, Sendable {
    public static let id: UInt8 = 0x1F

    public enum Body: Equatable, Sendable {
        case none
        case zint(UInt64)
        case bytes(ZBytes)
    }

    /// The OAM's own id (what it is about; 1 = link-state), not the message id.
    public var id: UInt16
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    public var unknownExtensions: [ZExtension]
    public var body: Body

    public init(id: UInt16, body: Body = .none, qos: NetworkQoS = .default, timestamp: Timestamp? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.id = id
        self.body = body
        self.qos = qos
        self.timestamp = timestamp
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        switch body {
        case .none: break
        case .zint: header |= ZExtension.encodingZInt
        case .bytes: header |= ZExtension.encodingBytes
        }
        var exts = try w.writeHeader(header)
        try w.writeZInt(UInt64(id))
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        switch body {
        case .none: break
        case .zint(let v): try w.writeZInt(v)
        case .bytes(let b): try w.writeSlice(b)
        }
    }

    /// Decodes the message after `header` (already read). ENC 3 is `invalidValue`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> NetworkOAM {
        let encoding = header & 0x60
        guard encoding != 0x60 else { throw DecodeError(.invalidValue, "NETWORK_OAM.encoding", value: UInt64(header)) }
        var oam = NetworkOAM(id: try r.readZInt(UInt16.self, "NETWORK_OAM.id"))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("NETWORK_OAM.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: oam.qos = try NetworkQoS.decode(e, "NETWORK_OAM.qos")
            case NetworkExtension.timestamp: oam.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "NETWORK_OAM.timestamp")
            default: try WireReader.unknownExtension(e, "NETWORK_OAM", into: &oam.unknownExtensions)
            }
        }
        switch encoding {
        case ZExtension.encodingZInt: oam.body = .zint(try r.readZInt("NETWORK_OAM.body"))
        case ZExtension.encodingBytes: oam.body = .bytes(try r.readSlice("NETWORK_OAM.body"))
        default: oam.body = .none
        }
        return oam
    }
}
