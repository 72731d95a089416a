import PetrelTime

/// Who answered a query (RESPONSE ext `43`): the responder's session and the
/// queryable's entity id. Same layout as SourceInfo without the sequence number.
public struct ResponderID: Equatable, Hashable, Sendable, ExtensionBody {
    public var zid: ZenohID
    public var entityID: UInt32

    public init(zid: ZenohID, entityID: UInt32) {
        self.zid = zid
        self.entityID = entityID
    }

    /// `flags ((zid_len-1)<<4) | zid | zint entity id`.
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        try w.writeByte(zid.lengthNibble)
        try w.writeZIDBytes(zid)
        try w.writeZInt(UInt64(entityID))
    }

    /// Decodes the extension's bytes: `flags ((zid_len-1)<<4) | zid | zint entity id`.
    static func decodeExtensionBody(_ body: ZBytes) throws(DecodeError) -> ResponderID {
        var r = WireReader(body)
        let flags = try r.readByte("RESPONSE.responderID")
        let zid = try r.readZIDBytes(count: Int(flags >> 4) + 1, "RESPONSE.responderID.zid")
        let eid = try r.readZInt(UInt32.self, "RESPONSE.responderID.entityID")
        return ResponderID(zid: zid, entityID: eid)
    }
}

/// What a RESPONSE carries: a REPLY (a value) or an ERR.
public enum ResponseBody: Equatable, Sendable {
    case reply(Reply)
    case err(Err)

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .reply(let m): try m.encode(into: &w)
        case .err(let m): try m.encode(into: &w)
        }
    }

    /// Reads the header and the message; any id but REPLY or ERR is `unexpectedMessageID`.
    public static func decode(from r: inout WireReader, _ field: StaticString) throws(DecodeError) -> ResponseBody {
        let header = try r.readByte(field)
        switch Header.id(header) {
        case Reply.id: return .reply(try Reply.decode(header: header, from: &r))
        case Err.id: return .err(try Err.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, field, value: UInt64(header))
        }
    }
}

/// RESPONSE (§9.4): one answer to the REQUEST with the same `requestID`. The
/// key is the reply's own key, not the query's expression.
public struct Response: Equatable, Sendable {
    public static let id: UInt8 = 0x1B

    public var requestID: UInt32
    public var wireExpr: WireExpr
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    public var responderID: ResponderID?
    /// Latency instrumentation (1.10+); carried, not interpreted.
    public var tsStack: ZBytes?
    public var unknownExtensions: [ZExtension]
    public var body: ResponseBody

    public init(requestID: UInt32, wireExpr: WireExpr, body: ResponseBody, qos: NetworkQoS = .default,
                timestamp: Timestamp? = nil, responderID: ResponderID? = nil, tsStack: ZBytes? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.requestID = requestID
        self.wireExpr = wireExpr
        self.body = body
        self.qos = qos
        self.timestamp = timestamp
        self.responderID = responderID
        self.tsStack = tsStack
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if wireExpr.hasSuffix { header |= Header.flag5 }
        if wireExpr.mapping == .sender { header |= Header.flag6 }
        var exts = try w.writeHeader(header)
        try w.writeZInt(UInt64(requestID))
        try w.writeWireExprBody(wireExpr)
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        if let responderID { try exts.write(ResponseExtension.responderID, responderID, into: &w) }
        if let tsStack { try exts.write(NetworkExtension.tsStack, tsStack, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try body.encode(into: &w)
    }

    /// Decodes the message after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Response {
        let requestID = try r.readZInt(UInt32.self, "RESPONSE.requestID")
        let wireExpr = try r.readWireExpr(hasSuffix: header & Header.flag5 != 0,
                                          mapping: header & Header.flag6 != 0 ? .sender : .receiver, "RESPONSE.key")
        var qos = NetworkQoS.default
        var timestamp: Timestamp?
        var responderID: ResponderID?
        var tsStack: ZBytes?
        var unknown: [ZExtension] = []
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("RESPONSE.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: qos = try NetworkQoS.decode(e, "RESPONSE.qos")
            case NetworkExtension.timestamp: timestamp = try Timestamp.decodeExtensionBody(e.bytes, "RESPONSE.timestamp")
            case ResponseExtension.responderID: responderID = try ResponderID.decodeExtensionBody(e.bytes)
            case NetworkExtension.tsStack: tsStack = e.bytes
            default: try WireReader.unknownExtension(e, "RESPONSE", into: &unknown)
            }
        }
        let body = try ResponseBody.decode(from: &r, "RESPONSE.body")
        return Response(requestID: requestID, wireExpr: wireExpr, body: body, qos: qos, timestamp: timestamp,
                        responderID: responderID, tsStack: tsStack, unknownExtensions: unknown)
    }
}
