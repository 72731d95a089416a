/// What a queryable tells routers about itself (D_QUERYABLE ext `21`):
/// whether it holds the complete data for its key, and its distance in hops.
/// The wire value is `bit 0 complete | distance << 8`; bits outside those are
/// dropped on decode, as Rust drops them.
public struct QueryableInfo: Equatable, Hashable, Sendable {
    public var complete: Bool
    public var distance: UInt16

    public init(complete: Bool = false, distance: UInt16 = 0) {
        self.complete = complete
        self.distance = distance
    }

    /// Not complete, distance 0: omitted on the wire.
    public static let `default` = QueryableInfo()
    public var isDefault: Bool { !complete && distance == 0 }

    var wireValue: UInt64 { (complete ? 1 : 0) | UInt64(distance) << 8 }

    init(wireValue v: UInt64) {
        complete = v & 1 != 0
        distance = UInt16(truncatingIfNeeded: v >> 8)
    }
}

/// One declaration (§9.5), the body of a DECLARE. Each has its own header byte
/// (id + its own N/M/Z flags) and may carry its own extensions; the unknown
/// ones live in `Declare.declarationUnknownExtensions`.
///
/// Entity ids (subscriber, queryable, token) are the declarer's, per kind and
/// per session; the undeclaration repeats the id. Key-expression ids are u16
/// and never 0 (scope 0 means "no prefix").
public enum Declaration: Equatable, Sendable {
    /// D_KEYEXPR: `id` now stands for `wireExpr` in the sender's id table. The
    /// header has no M flag (bit 6 is ignored on decode): Rust reads the key
    /// with the default mapping and so resolves a non-zero scope in the
    /// *receiver's* table (its `register_expr`). It therefore decodes as
    /// `.receiver`, and encoding a non-zero scope with `.sender` mapping is
    /// refused with `invalidValue`: that meaning cannot be expressed. Declare
    /// full keys (scope 0) and the mapping does not matter.
    case keyExpr(id: UInt16, wireExpr: WireExpr)
    /// U_KEYEXPR.
    case undeclareKeyExpr(id: UInt16)
    case subscriber(id: UInt32, wireExpr: WireExpr)
    /// U_SUBSCRIBER. `wireExpr` is the optional ext `5F` (1.10.2 sends none).
    case undeclareSubscriber(id: UInt32, wireExpr: WireExpr?)
    case queryable(id: UInt32, wireExpr: WireExpr, info: QueryableInfo)
    /// U_QUERYABLE. Rust always writes ext `5F`, usually empty: `WireExpr(scope: 0, suffix: "", mapping: .receiver)`.
    case undeclareQueryable(id: UInt32, wireExpr: WireExpr?)
    case token(id: UInt32, wireExpr: WireExpr)
    /// U_TOKEN. Rust always writes ext `5F`, usually empty, as U_QUERYABLE.
    case undeclareToken(id: UInt32, wireExpr: WireExpr?)
    /// D_FINAL: ends the "current" answer to an Interest.
    case final

    public enum ID {
        public static let keyExpr: UInt8 = 0x00
        public static let undeclareKeyExpr: UInt8 = 0x01
        public static let subscriber: UInt8 = 0x02
        public static let undeclareSubscriber: UInt8 = 0x03
        public static let queryable: UInt8 = 0x04
        public static let undeclareQueryable: UInt8 = 0x05
        public static let token: UInt8 = 0x06
        public static let undeclareToken: UInt8 = 0x07
        public static let final: UInt8 = 0x1A
    }

    /// Writes the declaration, then `unknownExtensions` after its known ones.
    public func encode(into w: inout WireWriter, unknownExtensions: [ZExtension] = []) throws(EncodeError) {
        var exts: ExtensionChain
        switch self {
        case .keyExpr(let id, let wireExpr):
            guard id != 0 else { throw .invalidValue("D_KEYEXPR.id") }
            guard wireExpr.scope == 0 || wireExpr.mapping == .receiver else { throw .invalidValue("D_KEYEXPR.wireExpr.mapping") }
            exts = try w.writeHeader(ID.keyExpr | (wireExpr.hasSuffix ? Header.flag5 : 0))
            try w.writeZInt(UInt64(id))
            try w.writeWireExprBody(wireExpr)
        case .undeclareKeyExpr(let id):
            guard id != 0 else { throw .invalidValue("U_KEYEXPR.id") }
            exts = try w.writeHeader(ID.undeclareKeyExpr)
            try w.writeZInt(UInt64(id))
        case .subscriber(let id, let wireExpr):
            exts = try Self.writeDeclared(ID.subscriber, id, wireExpr, into: &w)
        case .queryable(let id, let wireExpr, let info):
            exts = try Self.writeDeclared(ID.queryable, id, wireExpr, into: &w)
            if !info.isDefault { try exts.write(DeclarationExtension.queryableInfo, info.wireValue, into: &w) }
        case .token(let id, let wireExpr):
            exts = try Self.writeDeclared(ID.token, id, wireExpr, into: &w)
        case .undeclareSubscriber(let id, let wireExpr):
            exts = try Self.writeUndeclared(ID.undeclareSubscriber, id, wireExpr, into: &w)
        case .undeclareQueryable(let id, let wireExpr):
            exts = try Self.writeUndeclared(ID.undeclareQueryable, id, wireExpr, into: &w)
        case .undeclareToken(let id, let wireExpr):
            exts = try Self.writeUndeclared(ID.undeclareToken, id, wireExpr, into: &w)
        case .final:
            exts = try w.writeHeader(ID.final)
        }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// D_SUBSCRIBER / D_QUERYABLE / D_TOKEN: `header(N, M) | id | scope | [suffix]`;
    /// returns the chain the declaration's extensions continue.
    private static func writeDeclared(_ id: UInt8, _ entity: UInt32, _ e: WireExpr,
                                      into w: inout WireWriter) throws(EncodeError) -> ExtensionChain {
        var header = id
        if e.hasSuffix { header |= Header.flag5 }
        if e.mapping == .sender { header |= Header.flag6 }
        let exts = try w.writeHeader(header)
        try w.writeZInt(UInt64(entity))
        try w.writeWireExprBody(e)
        return exts
    }

    /// U_SUBSCRIBER / U_QUERYABLE / U_TOKEN: `header | id | [ext 5F]`;
    /// returns the chain the declaration's other extensions continue.
    private static func writeUndeclared(_ id: UInt8, _ entity: UInt32, _ e: WireExpr?,
                                        into w: inout WireWriter) throws(EncodeError) -> ExtensionChain {
        var exts = try w.writeHeader(id)
        try w.writeZInt(UInt64(entity))
        if let e {
            guard e.suffix.utf8.count <= Int(UInt16.max) else { throw .invalidValue("WireExpr.suffix") }
            try exts.write(DeclarationExtension.wireExpr, e, into: &w)
        }
        return exts
    }

    /// Reads a declaration (header included). Unknown optional extensions are
    /// appended to `unknownExtensions`; an unknown mandatory one, or an unknown
    /// declaration id, is an error.
    public static func decode(from r: inout WireReader, unknownExtensions: inout [ZExtension]) throws(DecodeError) -> Declaration {
        let header = try r.readByte("DECLARE.declaration")
        let hasSuffix = header & Header.flag5 != 0
        let mapping: WireExpr.Mapping = header & Header.flag6 != 0 ? .sender : .receiver
        switch Header.id(header) {
        case ID.keyExpr:
            let id = try r.readZInt(UInt16.self, "D_KEYEXPR.id")
            let e = try r.readWireExpr(hasSuffix: hasSuffix, mapping: .receiver, "D_KEYEXPR.key")
            _ = try readExtensions(header, "D_KEYEXPR", known: nil, from: &r, into: &unknownExtensions)
            return .keyExpr(id: id, wireExpr: e)
        case ID.undeclareKeyExpr:
            let id = try r.readZInt(UInt16.self, "U_KEYEXPR.id")
            _ = try readExtensions(header, "U_KEYEXPR", known: nil, from: &r, into: &unknownExtensions)
            return .undeclareKeyExpr(id: id)
        case ID.subscriber:
            let id = try r.readZInt(UInt32.self, "D_SUBSCRIBER.id")
            let e = try r.readWireExpr(hasSuffix: hasSuffix, mapping: mapping, "D_SUBSCRIBER.key")
            _ = try readExtensions(header, "D_SUBSCRIBER", known: nil, from: &r, into: &unknownExtensions)
            return .subscriber(id: id, wireExpr: e)
        case ID.queryable:
            let id = try r.readZInt(UInt32.self, "D_QUERYABLE.id")
            let e = try r.readWireExpr(hasSuffix: hasSuffix, mapping: mapping, "D_QUERYABLE.key")
            let info = try readExtensions(header, "D_QUERYABLE", known: DeclarationExtension.queryableInfo.key,
                                          from: &r, into: &unknownExtensions)
            return .queryable(id: id, wireExpr: e, info: info.map { QueryableInfo(wireValue: $0.zint) } ?? .default)
        case ID.token:
            let id = try r.readZInt(UInt32.self, "D_TOKEN.id")
            let e = try r.readWireExpr(hasSuffix: hasSuffix, mapping: mapping, "D_TOKEN.key")
            _ = try readExtensions(header, "D_TOKEN", known: nil, from: &r, into: &unknownExtensions)
            return .token(id: id, wireExpr: e)
        case ID.undeclareSubscriber:
            let id = try r.readZInt(UInt32.self, "U_SUBSCRIBER.id")
            let e = try readUndeclaredExpr(header, "U_SUBSCRIBER", from: &r, into: &unknownExtensions)
            return .undeclareSubscriber(id: id, wireExpr: e)
        case ID.undeclareQueryable:
            let id = try r.readZInt(UInt32.self, "U_QUERYABLE.id")
            let e = try readUndeclaredExpr(header, "U_QUERYABLE", from: &r, into: &unknownExtensions)
            return .undeclareQueryable(id: id, wireExpr: e)
        case ID.undeclareToken:
            let id = try r.readZInt(UInt32.self, "U_TOKEN.id")
            let e = try readUndeclaredExpr(header, "U_TOKEN", from: &r, into: &unknownExtensions)
            return .undeclareToken(id: id, wireExpr: e)
        case ID.final:
            _ = try readExtensions(header, "D_FINAL", known: nil, from: &r, into: &unknownExtensions)
            return .final
        default:
            throw DecodeError(.unexpectedMessageID, "DECLARE.declaration", value: UInt64(header))
        }
    }

    /// Reads the declaration's extensions (if its Z flag is set) and returns the
    /// last one whose key is `known`; the others go to `unknown` (or throw if mandatory).
    private static func readExtensions(_ header: UInt8, _ field: StaticString, known: UInt8?,
                                       from r: inout WireReader, into unknown: inout [ZExtension]) throws(DecodeError) -> ExtensionRead? {
        var found: ExtensionRead?
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension(field)
            more = e.more
            if e.key == known {
                found = e
            } else {
                try WireReader.unknownExtension(e, field, into: &unknown)
            }
        }
        return found
    }

    private static func readUndeclaredExpr(_ header: UInt8, _ field: StaticString,
                                           from r: inout WireReader, into unknown: inout [ZExtension]) throws(DecodeError) -> WireExpr? {
        guard let e = try readExtensions(header, field, known: DeclarationExtension.wireExpr.key, from: &r, into: &unknown) else {
            return nil
        }
        return try WireExpr.decodeExtensionBody(e.bytes)
    }
}

// The WireExpr extension of undeclarations (`DeclarationExtension.wireExpr`).
extension WireExpr: ExtensionBody {
    /// Decodes the body of ext `5F`: `flags (bit 0 suffix, bit 1 sender mapping) |
    /// scope zint | suffix as raw UTF-8 to the end`. Other flag bits are ignored,
    /// and bit 0 with nothing after the scope reads as "no suffix" (as Rust reads it).
    static func decodeExtensionBody(_ body: ZBytes) throws(DecodeError) -> WireExpr {
        var r = WireReader(body)
        let flags = try r.readByte("WireExpr extension flags")
        let scope = try r.readZInt(UInt16.self, "WireExpr extension scope")
        let suffix = flags & 0x01 != 0 ? try WireReader.string(r.readRest(), "WireExpr extension suffix") : ""
        return WireExpr(scope: scope, suffix: suffix, mapping: flags & 0x02 != 0 ? .sender : .receiver)
    }

    /// The body of ext `5F`, as `decodeExtensionBody` reads it. The "no key"
    /// form Rust sends, `5F 02 00 00`, is `WireExpr(scope: 0, suffix: "", mapping: .receiver)`.
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        try w.writeByte((hasSuffix ? 0x01 : 0) | (mapping == .sender ? 0x02 : 0))
        try w.writeZInt(UInt64(scope))
        if hasSuffix { try w.writeRaw(suffix.utf8) }
    }
}
