/// KEEP_ALIVE (zenoh-wire.md §6.4): `header 0x04 (+Z) | [exts]`, one byte in
/// practice. Sent when nothing else went out for lease/4; never inside a Frame.
public struct KeepAlive: Equatable, Sendable {
    public static let id: UInt8 = 0x04

    public var unknownExtensions: [ZExtension]

    public init(unknownExtensions: [ZExtension] = []) {
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try w.writeHeader(Self.id)
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> KeepAlive {
        var m = KeepAlive()
        try r.readUnknownExtensions(header: header, "KEEP_ALIVE.extension", into: &m.unknownExtensions)
        return m
    }
}
