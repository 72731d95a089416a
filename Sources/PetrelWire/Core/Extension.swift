/// A message extension (zenoh-wire.md §4): a header byte
/// `Z | encoding(2 bits) | M | id(4 bits)` and a body whose shape the encoding gives.
///
/// Known extensions are decoded into typed fields of their message; this type
/// carries the ones a message does not know, so they can be skipped (optional)
/// or re-encoded unchanged.
public struct ZExtension: Equatable, Sendable {
    public enum Body: Equatable, Sendable {
        case unit
        case zint(UInt64)
        case bytes(ZBytes)
    }

    /// Extension id, 0...15.
    public var id: UInt8
    /// M: a receiver that does not understand it must reject the message.
    public var isMandatory: Bool
    public var body: Body

    
    public init(id: UInt8, isMandatory: Bool = false, body: Body) {
        self.id = id & 0x0F
        self.isMandatory = isMandatory
        self.body = body
    }

    public static let mandatoryFlag: UInt8 = 0x10
    public static let encodingUnit: UInt8 = 0x00
    public static let encodingZInt: UInt8 = 0x20
    public static let encodingBytes: UInt8 = 0x40

    /// The header byte without the Z flag. An extension is identified by this
    /// (id, M and encoding together), e.g. 0x21 = zint id 1.
    
    public var key: UInt8 {
        var h = id | (isMandatory ? Self.mandatoryFlag : 0)
        switch body {
        case .unit: h |= Self.encodingUnit
        case .zint: h |= Self.encodingZInt
        case .bytes: h |= Self.encodingBytes
        }
        return h
    }

    /// Writes the body; the header byte and its Z are `ExtensionChain`'s.
    func encodeBody(into w: inout WireWriter) throws(EncodeError) {
        switch body {
        case .unit: break
        case .zint(let v): try w.writeZInt(v)
        case .bytes(let b): try w.writeSlice(b)
        }
    }
}

/// One extension as read off the wire: its key (header without Z), its body,
/// and whether another extension follows.
public struct ExtensionRead {
    public var key: UInt8
    public var body: ZExtension.Body
    public var more: Bool

    public var id: UInt8 { key & 0x0F }
    public var isMandatory: Bool { key & ZExtension.mandatoryFlag != 0 }

    /// The zint body; a wrong encoding for a known key cannot happen because the
    /// key includes the encoding bits.
    public var zint: UInt64 {
        if case .zint(let v) = body { return v }
        return 0
    }

    public var bytes: ZBytes {
        if case .bytes(let b) = body { return b }
        return []
    }

    public var asExtension: ZExtension {
        ZExtension(id: id, isMandatory: isMandatory, body: body)
    }
}

extension WireReader {
    /// Reads one extension header and body.
    
    public mutating func readExtension(_ field: StaticString) throws(DecodeError) -> ExtensionRead {
        let h = try readByte(field)
        let key = h & 0x7F
        let body: ZExtension.Body
        switch h & 0x60 {
        case ZExtension.encodingUnit: body = .unit
        case ZExtension.encodingZInt: body = .zint(try readZInt(field))
        case ZExtension.encodingBytes: body = .bytes(try readSlice(field))
        default: throw DecodeError(.invalidValue, field, value: UInt64(h))
        }
        return ExtensionRead(key: key, body: body, more: h & Header.z != 0)
    }

    /// Handles an extension the message does not know: a mandatory one makes the
    /// message invalid; an optional one is kept in `unknown` (so it can be
    /// re-encoded) — callers on the hot path may pass a throwaway array.
    
    public static func unknownExtension(_ e: ExtensionRead, _ field: StaticString, into unknown: inout [ZExtension]) throws(DecodeError) {
        if e.isMandatory {
            throw DecodeError(.unknownMandatoryExtension, field, value: UInt64(e.key))
        }
        unknown.append(e.asExtension)
    }
}
