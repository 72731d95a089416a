/// A network message (§9): what travels inside a Frame, or inside a
/// reassembled run of Fragments.
///
/// Every received sample moves through this enum by value, and an enum is as
/// large as its largest case: all but PUSH and RESPONSE_FINAL are boxed
/// (`indirect`), so the enum stays the size of a Push.
public enum NetworkMessage: Equatable, Sendable {
    case push(Push)
    indirect case request(Request)
    indirect case response(Response)
    case responseFinal(ResponseFinal)
    indirect case declare(Declare)
    indirect case interest(Interest)
    indirect case oam(NetworkOAM)

    /// Network ids are 0x19...0x1F; a Frame ends at the first byte whose id is not one.
    
    public static func isNetworkID(_ header: UInt8) -> Bool {
        Header.id(header) >= 0x19
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .push(let m): try m.encode(into: &w)
        case .request(let m): try m.encode(into: &w)
        case .response(let m): try m.encode(into: &w)
        case .responseFinal(let m): try m.encode(into: &w)
        case .declare(let m): try m.encode(into: &w)
        case .interest(let m): try m.encode(into: &w)
        case .oam(let m): try m.encode(into: &w)
        }
    }

    /// Reads one network message, header included. An id outside 0x19...0x1F
    /// is `unexpectedMessageID`.
    @inline(__always)
    public static func decode(from r: inout WireReader) throws(DecodeError) -> NetworkMessage {
        let header = try r.readByte("network message header")
        switch Header.id(header) {
        case Push.id: return .push(try Push.decode(header: header, from: &r))
        case Request.id: return .request(try Request.decode(header: header, from: &r))
        case Response.id: return .response(try Response.decode(header: header, from: &r))
        case ResponseFinal.id: return .responseFinal(try ResponseFinal.decode(header: header, from: &r))
        case Declare.id: return .declare(try Declare.decode(header: header, from: &r))
        case Interest.id: return .interest(try Interest.decode(header: header, from: &r))
        case NetworkOAM.id: return .oam(try NetworkOAM.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, "network message", value: UInt64(header))
        }
    }
}
