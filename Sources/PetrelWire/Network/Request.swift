import PetrelTime

/// Which queryables a query goes to (REQUEST ext `34`, §13.3).
public enum QueryTarget: UInt8, Sendable, CaseIterable {
    /// One complete queryable if there is one, else all matching (the default, never sent).
    case bestMatching = 0
    case all = 1
    case allComplete = 2
}

/// REQUEST (§9.3): a query on a key expression. Its answers come back as
/// RESPONSEs and one RESPONSE_FINAL carrying the same `requestID`.
public struct Request: Equatable, Sendable {
    public static let id: UInt8 = 0x1C

    /// Chosen by the sender, per session (zint bounded to u32).
    public var requestID: UInt32
    public var wireExpr: WireExpr
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    /// Router-to-router only; 0 (the origin) is never sent.
    public var nodeID: UInt16
    /// Ext `34`, mandatory; omitted when `.bestMatching`.
    public var target: QueryTarget
    /// Ext `25`: the maximum number of replies wanted.
    public var budget: UInt32?
    /// Ext `26`: how long the querier waits, in milliseconds (Rust always sends it).
    public var timeoutMilliseconds: UInt64?
    /// Latency instrumentation (1.10+); carried, not interpreted.
    public var tsStack: ZBytes?
    public var unknownExtensions: [ZExtension]
    public var body: Query

    public init(requestID: UInt32, wireExpr: WireExpr, body: Query = Query(), qos: NetworkQoS = .default,
                timestamp: Timestamp? = nil, nodeID: UInt16 = 0, target: QueryTarget = .bestMatching,
                budget: UInt32? = nil, timeoutMilliseconds: UInt64? = nil, tsStack: ZBytes? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.requestID = requestID
        self.wireExpr = wireExpr
        self.body = body
        self.qos = qos
        self.timestamp = timestamp
        self.nodeID = nodeID
        self.target = target
        self.budget = budget
        self.timeoutMilliseconds = timeoutMilliseconds
        self.tsStack = tsStack
        self.unknownExtensions = unknownExtensions
    }

    /// Writes the message; extensions in Rust's order (QoS, Timestamp, Target,
    /// Budget, Timeout, NodeId, TsStack, then unknown ones).
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if wireExpr.hasSuffix { header |= Header.flag5 }
        if wireExpr.mapping == .sender { header |= Header.flag6 }
        var exts = try w.writeHeader(header)
        try w.writeZInt(UInt64(requestID))
        try w.writeWireExprBody(wireExpr)
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        if target != .bestMatching { try exts.write(RequestExtension.target, UInt64(target.rawValue), into: &w) }
        if let budget { try exts.write(RequestExtension.budget, UInt64(budget), into: &w) }
        if let timeoutMilliseconds { try exts.write(RequestExtension.timeout, timeoutMilliseconds, into: &w) }
        if nodeID != 0 { try exts.write(NetworkExtension.nodeID, UInt64(nodeID), into: &w) }
        if let tsStack { try exts.write(NetworkExtension.tsStack, tsStack, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try body.encode(into: &w)
    }

    /// Decodes the message after `header` (already read). A target other than
    /// 0...2 is rejected (as Rust does), so is a body that is not a QUERY.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Request {
        let requestID = try r.readZInt(UInt32.self, "REQUEST.requestID")
        let wireExpr = try r.readWireExpr(hasSuffix: header & Header.flag5 != 0,
                                          mapping: header & Header.flag6 != 0 ? .sender : .receiver, "REQUEST.key")
        var request = Request(requestID: requestID, wireExpr: wireExpr)
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("REQUEST.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: request.qos = try NetworkQoS.decode(e, "REQUEST.qos")
            case NetworkExtension.timestamp: request.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "REQUEST.timestamp")
            case RequestExtension.target:
                guard e.zint <= 2, let target = QueryTarget(rawValue: UInt8(e.zint)) else {
                    throw DecodeError(.invalidValue, "REQUEST.target", value: e.zint)
                }
                request.target = target
            case RequestExtension.budget:
                guard e.zint <= UInt64(UInt32.max) else { throw DecodeError(.valueOutOfRange, "REQUEST.budget", value: e.zint) }
                request.budget = UInt32(e.zint)
            case RequestExtension.timeout: request.timeoutMilliseconds = e.zint
            case NetworkExtension.nodeID:
                guard e.zint <= UInt64(UInt16.max) else { throw DecodeError(.valueOutOfRange, "REQUEST.nodeID", value: e.zint) }
                request.nodeID = UInt16(e.zint)
            case NetworkExtension.tsStack: request.tsStack = e.bytes
            default: try WireReader.unknownExtension(e, "REQUEST", into: &request.unknownExtensions)
            }
        }
        let bodyHeader = try r.readByte("REQUEST.body")
        guard Header.id(bodyHeader) == Query.id else {
            throw DecodeError(.unexpectedMessageID, "REQUEST.body", value: UInt64(bodyHeader))
        }
        request.body = try Query.decode(header: bodyHeader, from: &r)
        return request
    }
}
