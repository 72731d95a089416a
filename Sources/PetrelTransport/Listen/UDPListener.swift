import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// UDP has no connections: the first datagram of a new peer (its InitSyn)
/// arrives on the listening socket. The listener then opens a socket of its
/// own for that peer, bound to the same address (SO_REUSEADDR) and connected
/// to the peer, so the kernel delivers that peer's later datagrams to it, and
/// hands it the first datagram. Each peer's session then runs on its own
/// channel exactly like a client's.
enum UDPListener {
    static func start(_ endpoint: Endpoint, accept: SessionAcceptor, group: EventLoopGroup) async throws -> TransportListener {
        let peers = UDPPeerTable()
        let demux = UDPAcceptHandler(endpoint: endpoint, accept: accept, group: group, peers: peers)
        let channel: Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(demux) }
                }
                .bind(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw TransportError.link("cannot listen on \(endpoint): \(error)")
        }
        demux.localAddress.withLockedValue { $0 = channel.localAddress }
        accept.logger.info("listening", metadata: ["endpoint": "\(endpoint)"])
        return TransportListener(endpoint: endpoint, localAddress: channel.localAddress) {
            try? await channel.close()
        }
    }
}

/// The peers that have a socket of their own, by address.
final class UDPPeerTable: Sendable {
    private let peers = NIOLockedValueBox<[SocketAddress: Channel]>([:])

    func channel(for address: SocketAddress) -> Channel? { peers.withLockedValue { $0[address] } }

    /// Records `channel` for `address` unless one is already there; returns the one in use.
    func claim(_ address: SocketAddress, _ channel: Channel) -> Channel {
        peers.withLockedValue { p in
            if let existing = p[address] { return existing }
            p[address] = channel
            return channel
        }
    }

    func release(_ address: SocketAddress, _ channel: Channel) {
        peers.withLockedValue { p in if p[address] === channel { p[address] = nil } }
    }
}

final class UDPAcceptHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let endpoint: Endpoint
    let accept: SessionAcceptor
    let group: EventLoopGroup
    let peers: UDPPeerTable
    let localAddress = NIOLockedValueBox<SocketAddress?>(nil)

    init(endpoint: Endpoint, accept: SessionAcceptor, group: EventLoopGroup, peers: UDPPeerTable) {
        self.endpoint = endpoint
        self.accept = accept
        self.group = group
        self.peers = peers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let remote = envelope.remoteAddress
        // A datagram that raced the peer's own socket: hand it over.
        if let existing = peers.channel(for: remote) {
            existing.pipeline.fireChannelRead(envelope)
            return
        }
        guard let local = localAddress.withLockedValue({ $0 }) else { return }
        let peerEndpoint = Endpoint(proto: .udp, host: remote.ipAddress ?? "?", port: remote.port ?? 0)
        let accept = self.accept
        let peers = self.peers
        let bootstrap = DatagramBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(DatagramReceiveBuffer.bytes))
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    DatagramReceiveBuffer.raise(ch)
                    try ch.pipeline.syncOperations.addHandler(DatagramBatchCodec(remote: remote))
                    try ch.pipeline.syncOperations.addHandler(accept.handler(for: ch, endpoint: peerEndpoint, framing: .datagram))
                }
            }
        bootstrap.bind(to: local).flatMap { ch in
            ch.connect(to: remote).map { ch }
        }.whenComplete { result in
            switch result {
            case .success(let ch):
                let inUse = peers.claim(remote, ch)
                if inUse !== ch {
                    ch.close(promise: nil)
                } else {
                    ch.closeFuture.whenComplete { _ in peers.release(remote, ch) }
                }
                inUse.pipeline.fireChannelRead(envelope)
            case .failure(let error):
                accept.logger.warning("cannot open a UDP socket for a new peer", metadata: ["peer": "\(remote)", "error": "\(error)"])
            }
        }
    }
}
