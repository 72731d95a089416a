/// A network message (§9): what travels inside a Frame, or inside a
/// reassembled run of Fragments.
public enum NetworkMessage: Equatable, Sendable {
    case push(Push)

    /// Network ids are 0x19...0x1F; a Frame ends at the first byte whose id is not one.
    
    public static func isNetworkID(_ header: UInt8) -> Bool {
        Header.id(header) >= 0x19
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .push(let m): try m.encode(into: &w)
        }
    }

    
    public static func decode(from r: inout WireReader) throws(DecodeError) -> NetworkMessage {
        let header = try r.readByte("network message header")
        switch Header.id(header) {
        case Push.id: return .push(try Push.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, "network message", value: UInt64(header))
        }
    }
}
