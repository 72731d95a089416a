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
        let extCount = (qos.isDefault ? 0 : 1) + (timestamp == nil ? 0 : 1) + unknownExtensions.count
        var header = Self.id
        if extCount > 0 { header |= Header.z }
        try w.writeByte(header)
        try w.writeZInt(UInt64(requestID))
        var exts = ExtensionCountdown(extCount)
        if !qos.isDefault { try ZExtension(id: 1, body: .zint(UInt64(qos.rawValue))).encode(into: &w, more: exts.more()) }
        if let timestamp { try w.writeTimestampExtension(id: 2, timestamp, more: exts.more()) }
        for e in unknownExtensions { try e.encode(into: &w, more: exts.more()) }
    }

    /// Decodes the message after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> ResponseFinal {
        var m = ResponseFinal(requestID: try r.readZInt(UInt32.self, "RESPONSE_FINAL.requestID"))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("RESPONSE_FINAL.extension")
            more = e.more
            switch e.key {
            case 0x21: m.qos = try NetworkQoS.decode(e, "RESPONSE_FINAL.qos")
            case 0x42: m.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "RESPONSE_FINAL.timestamp")
            default: try WireReader.unknownExtension(e, "RESPONSE_FINAL", into: &m.unknownExtensions)
            }
        }
        return m
    }
}
