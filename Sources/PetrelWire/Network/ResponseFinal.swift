import PetrelTime

/// RESPONSE_FINAL (§9.4): no more RESPONSEs will come for `requestID`.
/// Exactly one per REQUEST.
public struct ResponseFinal: Equatable, Sendable {
    public static let id: UInt8 = 0x1A

    public var requestID: UInt32
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    public var unknownExtensions: [ZExtension]

    public init(requestID: UInt32, qos: NetworkQoS = .default, timestamp: Timestamp? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.requestID = requestID
        self.qos = qos
        self.timestamp = timestamp
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try w.writeHeader(Self.id)
        try w.writeZInt(UInt64(requestID))
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the message after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> ResponseFinal {
        var m = ResponseFinal(requestID: try r.readZInt(UInt32.self, "RESPONSE_FINAL.requestID"))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("RESPONSE_FINAL.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: m.qos = try NetworkQoS.decode(e, "RESPONSE_FINAL.qos")
            case NetworkExtension.timestamp: m.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "RESPONSE_FINAL.timestamp")
            default: try WireReader.unknownExtension(e, "RESPONSE_FINAL", into: &m.unknownExtensions)
            }
        }
        return m
    }
}
