/// How a querier merges the replies it receives (§13.2). Applied by the
/// querying session; routers do not consolidate.
///
/// Beware: `case none` shares its name with `Optional.none`. Where the type is
/// `ConsolidationMode?` write `ConsolidationMode.none` to mean "deliver every
/// reply", and `nil` to mean "no C flag".
public enum ConsolidationMode: UInt8, Sendable, CaseIterable {
    /// Resolved by Rust queriers before sending (to Latest, or None for time ranges); C flag clear.
    case auto = 0
    /// Deliver every reply as it arrives.
    case none = 1
    /// Per key, deliver a reply unless it is older than the newest delivered.
    case monotonic = 2
    /// Per key, keep only the newest reply; deliver when the final arrives.
    case latest = 3

    /// How a receiver reads a consolidation number: Rust maps values it does
    /// not know to Auto, and so do we.
    public init(wireValue: UInt64) {
        switch wireValue {
        case 1: self = .none
        case 2: self = .monotonic
        case 3: self = .latest
        default: self = .auto
        }
    }
}

/// The optional payload of a QUERY (ext `43`, §10.3): an encoding and the raw
/// bytes. Unlike PUT, the encoding is always written, and the payload has no
/// length of its own: it runs to the end of the extension.
public struct QueryBody: Equatable, Sendable, ExtensionBody {
    public var encoding: Encoding
    public var payload: ZBytes

    public init(encoding: Encoding = .zenohBytes, payload: ZBytes) {
        self.encoding = encoding
        self.payload = payload
    }

    /// `encoding | payload`, the payload running to the end of the extension.
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        try w.writeEncoding(encoding)
        try w.writeRaw(payload)
    }

    /// Decodes the extension's bytes; a malformed encoding is an error, any
    /// bytes after it are the payload.
    static func decodeExtensionBody(_ body: ZBytes) throws(DecodeError) -> QueryBody {
        var r = WireReader(body)
        let encoding = try r.readEncoding("QUERY.body.encoding")
        return QueryBody(encoding: encoding, payload: r.readRest())
    }
}

/// QUERY (§10.3): the body of a REQUEST. Its key expression is in the REQUEST.
public struct Query: Equatable, Sendable {
    public static let id: UInt8 = 0x03
    static let flagC: UInt8 = 0x20
    static let flagP: UInt8 = 0x40

    /// The consolidation number exactly as it travels; `nil` when the C flag is
    /// clear. Kept raw so a value this codec does not know (a newer Zenoh's)
    /// re-encodes unchanged; read it through `consolidation`.
    public var consolidationWireValue: UInt64?
    /// Selector parameters (the text after `?`, e.g. `x=1`); empty = no P flag.
    public var parameters: String
    public var sourceInfo: SourceInfo?
    public var body: QueryBody?
    public var attachment: ZBytes?
    public var unknownExtensions: [ZExtension]

    public init(consolidation: ConsolidationMode? = nil, parameters: String = "", body: QueryBody? = nil,
                sourceInfo: SourceInfo? = nil, attachment: ZBytes? = nil, unknownExtensions: [ZExtension] = []) {
        self.consolidationWireValue = consolidation.map { UInt64($0.rawValue) }
        self.parameters = parameters
        self.body = body
        self.sourceInfo = sourceInfo
        self.attachment = attachment
        self.unknownExtensions = unknownExtensions
    }

    /// The consolidation mode; `nil` when the C flag is clear (which means Auto).
    /// A number this codec does not know reads as `.auto`, as in Rust.
    public var consolidation: ConsolidationMode? {
        get { consolidationWireValue.map(ConsolidationMode.init(wireValue:)) }
        set { consolidationWireValue = newValue.map { UInt64($0.rawValue) } }
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if consolidationWireValue != nil { header |= Self.flagC }
        if !parameters.isEmpty { header |= Self.flagP }
        var exts = try w.writeHeader(header)
        if let consolidationWireValue { try w.writeZInt(consolidationWireValue) }
        // A plain zint length (zenoh-wire.md §19.4), not u16-bounded on the wire.
        if !parameters.isEmpty { try w.writeString(parameters) }
        if let sourceInfo { try exts.write(QueryExtension.sourceInfo, sourceInfo, into: &w) }
        if let body { try exts.write(QueryExtension.body, body, into: &w) }
        if let attachment { try exts.write(QueryExtension.attachment, attachment, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the body after `header` (already read). Throws on an unknown
    /// mandatory extension or malformed bytes.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Query {
        var query = Query()
        if header & flagC != 0 { query.consolidationWireValue = try r.readZInt("QUERY.consolidation") }
        if header & flagP != 0 { query.parameters = try r.readString("QUERY.parameters", maxLength: UInt64(UInt32.max)) }
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("QUERY.extension")
            more = e.more
            switch e.key {
            case QueryExtension.sourceInfo: query.sourceInfo = try SourceInfo.decodeBody(e.bytes)
            case QueryExtension.body: query.body = try QueryBody.decodeExtensionBody(e.bytes)
            case QueryExtension.attachment: query.attachment = e.bytes
            default: try WireReader.unknownExtension(e, "QUERY", into: &query.unknownExtensions)
            }
        }
        return query
    }
}
