/// A scouting message (zenoh-wire.md §15): one per UDP datagram, with no
/// length prefix, batch, frame or SN.
public enum ScoutingMessage: Equatable, Sendable {
    case scout(Scout)
    case hello(Hello)

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .scout(let m): try m.encode(into: &w)
        case .hello(let m): try m.encode(into: &w)
        }
    }

    /// Reads the header and the message. Any other id is `.unexpectedMessageID`.
    /// Bytes after the message are left in `r` (a datagram holds one message).
    public static func decode(from r: inout WireReader) throws(DecodeError) -> ScoutingMessage {
        let header = try r.readByte("scouting message header")
        switch Header.id(header) {
        case Scout.id: return .scout(try Scout.decode(header: header, from: &r))
        case Hello.id: return .hello(try Hello.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, "scouting message", value: UInt64(header))
        }
    }

    /// Decodes one datagram.
    public static func decode(datagram: ZBytes) throws(DecodeError) -> ScoutingMessage {
        var r = WireReader(datagram)
        return try decode(from: &r)
    }
}
