/// CLOSE (zenoh-wire.md §6.3): `header(0x03 | S 0x20 | Z) | reason u8 | [exts]`.
/// The sender closes the link right after; the receiver does not answer.
///
/// 1.10.2 sends S=0 even for a user close or a router shutdown, so on a
/// single-link session any CLOSE ends the session.
public struct Close: Equatable, Sendable {
    public static let id: UInt8 = 0x03
    static let flagSession: UInt8 = 0x20

    // Reasons (§6.3). `reason` stays a raw byte: an unknown reason is still a close.
    public static let generic: UInt8 = 0
    public static let unsupported: UInt8 = 1
    /// Also what a router answers to a wrong protocol version or a bad cookie.
    public static let invalid: UInt8 = 2
    public static let maxSessions: UInt8 = 3
    public static let maxLinks: UInt8 = 4
    public static let expired: UInt8 = 5
    public static let unresponsive: UInt8 = 6
    public static let connectionToSelf: UInt8 = 7

    public var reason: UInt8
    /// S: close the whole session rather than only this link.
    public var closesSession: Bool
    public var unknownExtensions: [ZExtension]

    public init(reason: UInt8 = Close.generic, closesSession: Bool = false, unknownExtensions: [ZExtension] = []) {
        self.reason = reason
        self.closesSession = closesSession
        self.unknownExtensions = unknownExtensions
    }

    /// Zenoh's name of a reason, e.g. "INVALID"; "UNKNOWN(n)" otherwise.
    public static func reasonName(_ reason: UInt8) -> String {
        switch reason {
        case generic: return "GENERIC"
        case unsupported: return "UNSUPPORTED"
        case invalid: return "INVALID"
        case maxSessions: return "MAX_SESSIONS"
        case maxLinks: return "MAX_LINKS"
        case expired: return "EXPIRED"
        case unresponsive: return "UNRESPONSIVE"
        case connectionToSelf: return "CONNECTION_TO_SELF"
        default: return "UNKNOWN(\(reason))"
        }
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if closesSession { header |= Self.flagSession }
        var exts = try w.writeHeader(header)
        try w.writeByte(reason)
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Close {
        var m = Close(reason: try r.readByte("CLOSE.reason"), closesSession: header & flagSession != 0)
        try r.readUnknownExtensions(header: header, "CLOSE.extension", into: &m.unknownExtensions)
        return m
    }
}

extension WireReader {
    /// Reads the extensions of a message that knows none: optional ones are
    /// kept, a mandatory one is `.unknownMandatoryExtension`.
    mutating func readUnknownExtensions(header: UInt8, _ field: StaticString, into unknown: inout [ZExtension]) throws(DecodeError) {
        var more = header & Header.z != 0
        while more {
            let e = try readExtension(field)
            more = e.more
            try WireReader.unknownExtension(e, field, into: &unknown)
        }
    }
}
