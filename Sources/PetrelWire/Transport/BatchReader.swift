/// One step of reading a batch: a transport message, the start of a frame, or
/// one network message of the current frame.
public enum BatchItem: Equatable, Sendable {
    /// Any transport message but a Frame (frames come as `.frame` then `.network`s).
    case transport(TransportMessage)
    /// A frame starts; its messages follow as `.network` items.
    case frame(FrameHeader)
    /// A network message of the frame last announced by `.frame`.
    case network(NetworkMessage)
}

/// Reads a batch (no TCP length prefix) item by item, without building arrays:
/// the receive path's decoder.
///
/// After `.frame(h)` come the frame's network messages as `.network(m)` until
/// the batch ends or a byte that is not a network id starts the next transport
/// message. Fragments come whole as `.transport(.fragment(f))` (their payload
/// is a slice of the batch, to reassemble).
public struct BatchReader {
    var reader: WireReader
    var inFrame = false

    public init(_ batch: ZBytes) {
        reader = WireReader(batch)
    }

    /// Bytes not read yet.
    public var remaining: Int { reader.remaining }

    /// The next item, or `nil` at the end of the batch. After an error the
    /// rest of the batch cannot be trusted: there are no lengths to resync on.
    public mutating func next() throws(DecodeError) -> BatchItem? {
        guard let byte = reader.peekByte() else { return nil }
        if inFrame {
            if NetworkMessage.isNetworkID(byte) {
                return .network(try NetworkMessage.decode(from: &reader))
            }
            inFrame = false
        }
        let header = try reader.readByte("transport message header")
        if Header.id(header) == FrameHeader.id {
            let h = try FrameHeader.decode(header: header, from: &reader)
            inFrame = true
            return .frame(h)
        }
        return .transport(try TransportMessage.decode(header: header, from: &reader))
    }
}
