/// How a link carries batches (zenoh-wire.md §5, §16). It decides how a batch
/// is laid out in the link's bytes, how large one may be, whether sending
/// must be paced, and when a connector may start Zenoh's handshake.
enum LinkFraming: Sendable, Equatable {
    /// TCP: a byte stream, so each batch is preceded by its length (2 bytes,
    /// little-endian); `StreamBatchFramer` splits the stream on receive.
    case stream
    /// UDP: one datagram is one batch, nothing before it.
    case datagram
    /// Zenoh's serial link: one COBS frame is one batch. The frames are made
    /// below the transport (`SerialFrameCodec`), after the link's own handshake.
    case serial

    /// Bytes the transport writes before each batch it sends.
    var prefixLength: Int {
        switch self {
        case .stream: return 2
        case .datagram, .serial: return 0
        }
    }

    /// The largest batch the link can carry; the handshake offers no more.
    var mtu: Int {
        switch self {
        // The length prefix is 16 bits.
        case .stream: return 65535
        // Linux UDP: 65535 - 8 (UDP header) - 40 (IPv6 header), as Zenoh uses.
        case .datagram: return 65487
        case .serial: return SerialLink.mtu
        }
    }

    /// Datagrams have no flow control, so bursts must be paced; a serial port
    /// and TCP push back through the channel's writability instead.
    var isPaced: Bool { self == .datagram }
}
