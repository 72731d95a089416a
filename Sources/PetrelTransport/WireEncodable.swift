import PetrelWire

/// Anything the tx pipeline can put in a frame: every network message.
public protocol WireEncodable {
    func encode(into w: inout WireWriter) throws(EncodeError)
}

extension NetworkMessage: WireEncodable {}
extension Push: WireEncodable {}
extension Request: WireEncodable {}
extension Response: WireEncodable {}
extension ResponseFinal: WireEncodable {}
extension Declare: WireEncodable {}
extension Interest: WireEncodable {}
