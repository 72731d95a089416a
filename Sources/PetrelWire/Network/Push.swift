import PetrelTime

/// PUSH (§9.2): a publication (PUT or DEL) on a key expression.
public struct Push: Equatable, Sendable {
    public static let id: UInt8 = 0x1D

    public var wireExpr: WireExpr
    public var qos: NetworkQoS
    public var body: PushBody
    /// The extensions a client almost never sees, out of line: every received
    /// sample passes through this struct by value, and a small struct is
    /// cheap to move. Nil when all are at their defaults.
    private var rare: Rare?

    /// Network-level timestamp (ext `42`); the sample's own is in the PUT/DEL.
    public var timestamp: Timestamp? {
        get { rare?.timestamp }
        set { rare = Rare.make(timestamp: newValue, nodeID: nodeID, tsStack: tsStack, unknownExtensions: unknownExtensions) }
    }
    /// Router-to-router only; 0 (the origin) is never sent.
    public var nodeID: UInt16 {
        get { rare?.nodeID ?? 0 }
        set { rare = Rare.make(timestamp: timestamp, nodeID: newValue, tsStack: tsStack, unknownExtensions: unknownExtensions) }
    }
    /// Latency instrumentation (1.10+); carried, not interpreted.
    public var tsStack: ZBytes? {
        get { rare?.tsStack }
        set { rare = Rare.make(timestamp: timestamp, nodeID: nodeID, tsStack: newValue, unknownExtensions: unknownExtensions) }
    }
    public var unknownExtensions: [ZExtension] {
        get { rare?.unknownExtensions ?? [] }
        set { rare = Rare.make(timestamp: timestamp, nodeID: nodeID, tsStack: tsStack, unknownExtensions: newValue) }
    }

    /// Immutable: a change makes a new one, so copies of a Push stay independent.
    private final class Rare: Sendable {
        let timestamp: Timestamp?
        let nodeID: UInt16
        let tsStack: ZBytes?
        let unknownExtensions: [ZExtension]

        private init(timestamp: Timestamp?, nodeID: UInt16, tsStack: ZBytes?, unknownExtensions: [ZExtension]) {
            self.timestamp = timestamp
            self.nodeID = nodeID
            self.tsStack = tsStack
            self.unknownExtensions = unknownExtensions
        }

        static func make(timestamp: Timestamp?, nodeID: UInt16, tsStack: ZBytes?, unknownExtensions: [ZExtension]) -> Rare? {
            if timestamp == nil && nodeID == 0 && tsStack == nil && unknownExtensions.isEmpty { return nil }
            return Rare(timestamp: timestamp, nodeID: nodeID, tsStack: tsStack, unknownExtensions: unknownExtensions)
        }
    }

    public init(wireExpr: WireExpr, body: PushBody, qos: NetworkQoS = .default, timestamp: Timestamp? = nil,
                nodeID: UInt16 = 0, tsStack: ZBytes? = nil, unknownExtensions: [ZExtension] = []) {
        self.wireExpr = wireExpr
        self.body = body
        self.qos = qos
        self.rare = Rare.make(timestamp: timestamp, nodeID: nodeID, tsStack: tsStack, unknownExtensions: unknownExtensions)
    }

    public static func == (a: Push, b: Push) -> Bool {
        a.wireExpr == b.wireExpr && a.qos == b.qos && a.body == b.body && a.timestamp == b.timestamp
            && a.nodeID == b.nodeID && a.tsStack == b.tsStack && a.unknownExtensions == b.unknownExtensions
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if wireExpr.hasSuffix { header |= Header.flag5 }
        if wireExpr.mapping == .sender { header |= Header.flag6 }
        var exts = try w.writeHeader(header)
        try w.writeWireExprBody(wireExpr)
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        if nodeID != 0 { try exts.write(NetworkExtension.nodeID, UInt64(nodeID), into: &w) }
        if let tsStack { try exts.write(NetworkExtension.tsStack, tsStack, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try body.encode(into: &w)
    }

    
    // Inlined into the batch reader so a sample is built where it ends up
    // instead of being copied through each level.
    @inline(__always)
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Push {
        let wireExpr = try r.readWireExpr(hasSuffix: header & Header.flag5 != 0,
                                          mapping: header & Header.flag6 != 0 ? .sender : .receiver, "PUSH.key")
        // Fields gather in locals and the struct is built once at the end: a
        // struct built early and then mutated was copied on return, with a
        // retain and release per reference field (visible in profiles).
        var qos = NetworkQoS.default
        var timestamp: Timestamp?
        var nodeID: UInt16 = 0
        var tsStack: ZBytes?
        var unknown: [ZExtension] = []
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("PUSH.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: qos = try NetworkQoS.decode(e, "PUSH.qos")
            case NetworkExtension.timestamp: timestamp = try Timestamp.decodeExtensionBody(e.bytes, "PUSH.timestamp")
            case NetworkExtension.nodeID:
                guard e.zint <= UInt64(UInt16.max) else { throw DecodeError(.valueOutOfRange, "PUSH.nodeID", value: e.zint) }
                nodeID = UInt16(e.zint)
            case NetworkExtension.tsStack: tsStack = e.bytes
            default: try WireReader.unknownExtension(e, "PUSH", into: &unknown)
            }
        }
        let body = try PushBody.decode(from: &r, "PUSH.body")
        return Push(wireExpr: wireExpr, body: body, qos: qos, timestamp: timestamp, nodeID: nodeID, tsStack: tsStack,
                    unknownExtensions: unknown)
    }
}
