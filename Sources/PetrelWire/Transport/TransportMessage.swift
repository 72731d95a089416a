/// A transport message (zenoh-wire.md §6): what a batch is made of.
///
/// The handshake, Join and OAM messages are boxed (`indirect`) so that the
/// batch reader's items stay small: see `NetworkMessage`.
public enum TransportMessage: Equatable, Sendable {
    indirect case initSyn(InitSyn)
    indirect case initAck(InitAck)
    indirect case openSyn(OpenSyn)
    indirect case openAck(OpenAck)
    case close(Close)
    case keepAlive(KeepAlive)
    indirect case frame(Frame)
    case fragment(Fragment)
    indirect case join(Join)
    indirect case oam(TransportOAM)

    /// The protocol version of Zenoh 1.x, carried by Init, Join, Scout and Hello.
    public static let protocolVersion: UInt8 = 0x09

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .initSyn(let m): try m.encode(into: &w)
        case .initAck(let m): try m.encode(into: &w)
        case .openSyn(let m): try m.encode(into: &w)
        case .openAck(let m): try m.encode(into: &w)
        case .close(let m): try m.encode(into: &w)
        case .keepAlive(let m): try m.encode(into: &w)
        case .frame(let m): try m.encode(into: &w)
        case .fragment(let m): try m.encode(into: &w)
        case .join(let m): try m.encode(into: &w)
        case .oam(let m): try m.encode(into: &w)
        }
    }

    /// Reads a header byte and the message it starts. A Frame takes the
    /// network messages that follow; a Fragment takes the rest of the input.
    public static func decode(from r: inout WireReader) throws(DecodeError) -> TransportMessage {
        let header = try r.readByte("transport message header")
        return try decode(header: header, from: &r)
    }

    /// Decodes the message `header` (already read) starts. An id that is not a
    /// transport id (e.g. a network message outside a frame) is `.unexpectedMessageID`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> TransportMessage {
        // The A flag (0x20) tells Syn from Ack for INIT and OPEN.
        let isAck = header & 0x20 != 0
        switch Header.id(header) {
        case InitSyn.id: return isAck ? .initAck(try InitAck.decode(header: header, from: &r))
                                      : .initSyn(try InitSyn.decode(header: header, from: &r))
        case OpenSyn.id: return isAck ? .openAck(try OpenAck.decode(header: header, from: &r))
                                      : .openSyn(try OpenSyn.decode(header: header, from: &r))
        case Close.id: return .close(try Close.decode(header: header, from: &r))
        case KeepAlive.id: return .keepAlive(try KeepAlive.decode(header: header, from: &r))
        case Frame.id: return .frame(try Frame.decode(header: header, from: &r))
        case Fragment.id: return .fragment(try Fragment.decode(header: header, from: &r))
        case Join.id: return .join(try Join.decode(header: header, from: &r))
        case TransportOAM.id: return .oam(try TransportOAM.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, "transport message", value: UInt64(header))
        }
    }

    /// Every message of one batch (no TCP length prefix), in order. Allocates
    /// an array; the receive path should use `BatchReader`.
    public static func decodeBatch(_ batch: ZBytes) throws(DecodeError) -> [TransportMessage] {
        var r = WireReader(batch)
        var out: [TransportMessage] = []
        while !r.isAtEnd {
            out.append(try decode(from: &r))
        }
        return out
    }
}
