import PetrelTime

/// PUSH (§9.2): a publication (PUT or DEL) on a key expression.
public struct Push: Equatable, Sendable {
    public static let id: UInt8 = 0x1D

    public var wireExpr: WireExpr
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    /// Router-to-router only; 0 (the origin) is never sent.
    public var nodeID: UInt16
    /// Latency instrumentation (1.10+); carried, not interpreted.
    public var tsStack: ZBytes?
    public var unknownExtensions: [ZExtension]
    public var body: PushBody

    
    public init(wireExpr: WireExpr, body: PushBody, qos: NetworkQoS = .default, timestamp: Timestamp? = nil,
                nodeID: UInt16 = 0, tsStack: ZBytes? = nil, unknownExtensions: [ZExtension] = []) {
        self.wireExpr = wireExpr
        self.body = body
        self.qos = qos
        self.timestamp = timestamp
        self.nodeID = nodeID
        self.tsStack = tsStack
        self.unknownExtensions = unknownExtensions
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        let extCount = (qos.isDefault ? 0 : 1) + (timestamp == nil ? 0 : 1) + (nodeID == 0 ? 0 : 1)
            + (tsStack == nil ? 0 : 1) + unknownExtensions.count
        var header = Self.id
        if wireExpr.hasSuffix { header |= Header.flag5 }
        if wireExpr.mapping == .sender { header |= Header.flag6 }
        if extCount > 0 { header |= Header.z }
        try w.writeByte(header)
        try w.writeWireExprBody(wireExpr)
        var exts = ExtensionCountdown(extCount)
        if !qos.isDefault { try ZExtension(id: 1, body: .zint(UInt64(qos.rawValue))).encode(into: &w, more: exts.more()) }
        if let timestamp { try w.writeTimestampExtension(id: 2, timestamp, more: exts.more()) }
        if nodeID != 0 { try ZExtension(id: 3, isMandatory: true, body: .zint(UInt64(nodeID))).encode(into: &w, more: exts.more()) }
        if let tsStack { try ZExtension(id: 7, body: .bytes(tsStack)).encode(into: &w, more: exts.more()) }
        for e in unknownExtensions { try e.encode(into: &w, more: exts.more()) }
        try body.encode(into: &w)
    }

    
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Push {
        let wireExpr = try r.readWireExpr(hasSuffix: header & Header.flag5 != 0,
                                          mapping: header & Header.flag6 != 0 ? .sender : .receiver, "PUSH.key")
        var push = Push(wireExpr: wireExpr, body: .del(Del()))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("PUSH.extension")
            more = e.more
            switch e.key {
            case 0x21: push.qos = try NetworkQoS.decode(e, "PUSH.qos")
            case 0x42: push.timestamp = try Timestamp.decodeExtensionBody(e.bytes, "PUSH.timestamp")
            case 0x33:
                guard e.zint <= UInt64(UInt16.max) else { throw DecodeError(.valueOutOfRange, "PUSH.nodeID", value: e.zint) }
                push.nodeID = UInt16(e.zint)
            case 0x47: push.tsStack = e.bytes
            default: try WireReader.unknownExtension(e, "PUSH", into: &push.unknownExtensions)
            }
        }
        push.body = try PushBody.decode(from: &r, "PUSH.body")
        return push
    }
}
