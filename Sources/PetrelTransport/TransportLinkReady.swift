/// Fired up a pipeline by a link that runs its own handshake before Zenoh's
/// (the serial link's Init/Ack): the transport starts its InitSyn on it.
public struct TransportLinkReady: Sendable {
    public init() {}
}
