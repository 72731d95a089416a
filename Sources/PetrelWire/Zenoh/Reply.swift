/// REPLY (§10.4): one answer to a query, inside a RESPONSE: a PUT or a DEL.
public struct Reply: Equatable, Sendable {
    public static let id: UInt8 = 0x04
    static let flagC: UInt8 = 0x20

    /// The consolidation number exactly as it travels; `nil` when the C flag is
    /// clear (the normal case). Kept raw, as in `Query`.
    public var consolidationWireValue: UInt64?
    /// REPLY has no known extension; all are kept here.
    public var unknownExtensions: [ZExtension]
    public var body: PushBody

    public init(body: PushBody, consolidation: ConsolidationMode? = nil, unknownExtensions: [ZExtension] = []) {
        self.body = body
        self.consolidationWireValue = consolidation.map { UInt64($0.rawValue) }
        self.unknownExtensions = unknownExtensions
    }

    /// `nil` when the C flag is clear; an unknown number reads as `.auto`, as in Rust.
    public var consolidation: ConsolidationMode? {
        get { consolidationWireValue.map(ConsolidationMode.init(wireValue:)) }
        set { consolidationWireValue = newValue.map { UInt64($0.rawValue) } }
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if consolidationWireValue != nil { header |= Self.flagC }
        var exts = try w.writeHeader(header)
        if let consolidationWireValue { try w.writeZInt(consolidationWireValue) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try body.encode(into: &w)
    }

    /// Decodes the body after `header` (already read). Any mandatory extension
    /// is unknown here and makes the reply invalid.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Reply {
        var consolidation: UInt64?
        if header & flagC != 0 { consolidation = try r.readZInt("REPLY.consolidation") }
        var unknown: [ZExtension] = []
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("REPLY.extension")
            more = e.more
            try WireReader.unknownExtension(e, "REPLY", into: &unknown)
        }
        var reply = Reply(body: try PushBody.decode(from: &r, "REPLY.body"), unknownExtensions: unknown)
        reply.consolidationWireValue = consolidation
        return reply
    }
}
