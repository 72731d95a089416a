import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PetrelWire

/// Accepts Zenoh sessions from devices on one endpoint (the agent's gateway
/// role): TCP connections, UDP peers (one connected socket each) or a serial
/// line. Every session that completes the handshake is handed to `onSession`
/// on its event loop, before any of its messages reach the delegate.
public final class TransportListener: Sendable {
    public let endpoint: Endpoint
    /// Where an IP listener is bound (useful with port 0).
    public let localAddress: SocketAddress?
    /// A serial listener's frame counters (dropped frames by reason), kept
    /// across the sessions it carries; nil for IP listeners.
    public let serialStatistics: SerialLinkStatistics?
    private let stopAction: @Sendable () async -> Void

    init(endpoint: Endpoint, localAddress: SocketAddress?, serialStatistics: SerialLinkStatistics? = nil,
         stop: @escaping @Sendable () async -> Void) {
        self.endpoint = endpoint
        self.localAddress = localAddress
        self.serialStatistics = serialStatistics
        self.stopAction = stop
    }

    /// Stops accepting; sessions already open stay until they close.
    public func close() async {
        await stopAction()
    }

    /// Starts listening on `endpoint`.
    ///
    /// - Throws: `TransportError.link` naming the endpoint when it cannot be bound or opened.
    public static func listen(on endpoint: Endpoint, config: TransportConfig, group: EventLoopGroup,
                              delegate: TransportDelegate, logger: Logger,
                              onSession: @escaping @Sendable (UnicastTransport) -> Void) async throws -> TransportListener {
        let accept = SessionAcceptor(endpoint: endpoint, config: config, delegate: delegate, logger: logger, onSession: onSession)
        switch endpoint.proto {
        case .tcp:
            return try await listenTCP(endpoint, accept: accept, group: group)
        case .tls:
            return try await listenTCP(endpoint, accept: accept, group: group, tls: try TLSLink.serverContext(config.tls))
        case .udp:
            return try await UDPListener.start(endpoint, accept: accept, group: group)
        case .serial:
            return try await SerialListener.start(endpoint, accept: accept, group: group)
        }
    }

    private static func listenTCP(_ endpoint: Endpoint, accept: SessionAcceptor, group: EventLoopGroup,
                                  tls: NIOSSLContext? = nil) async throws -> TransportListener {
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        if let tls {
                            try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                            try ch.pipeline.syncOperations.addHandler(TLSUncleanShutdownFilter())
                        }
                        try ch.pipeline.syncOperations.addHandler(StreamBatchFramer())
                        // The session is named after the device's address, not ours.
                        let peer = ch.remoteAddress.map { Endpoint(proto: endpoint.proto, host: $0.ipAddress ?? "?", port: $0.port ?? 0) } ?? endpoint
                        try ch.pipeline.syncOperations.addHandler(accept.handler(for: ch, endpoint: peer, framing: .stream))
                    }
                }
                .bind(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw TransportError.link("cannot listen on \(endpoint): \(error)")
        }
        accept.logger.info("listening", metadata: ["endpoint": "\(endpoint)"])
        return TransportListener(endpoint: endpoint, localAddress: channel.localAddress) {
            try? await channel.close()
        }
    }
}

/// Builds the listener-side handshake handler for each new link and reports
/// the sessions that open on them.
struct SessionAcceptor: Sendable {
    let endpoint: Endpoint
    let config: TransportConfig
    let delegate: TransportDelegate
    let logger: Logger
    let onSession: @Sendable (UnicastTransport) -> Void

    /// The handshake handler for one link; a link that does not finish the
    /// handshake within the open timeout is closed.
    func handler(for channel: Channel, endpoint linkEndpoint: Endpoint, framing: LinkFraming,
                 handshakeTimeout: Bool = true) -> HandshakeHandler {
        let promise = channel.eventLoop.makePromise(of: UnicastTransport.self)
        var linkLogger = logger
        linkLogger[metadataKey: "link"] = "\(linkEndpoint)"
        // A constant, so the completion closure below may capture it.
        let log = linkLogger
        let handler = HandshakeHandler(endpoint: linkEndpoint, config: config, role: .listener, framing: framing,
                                       delegate: delegate, promise: promise, logger: log)
        // A serial line waits for its device as long as it takes; sockets that
        // do not finish the handshake in time are dropped.
        let timeout = handshakeTimeout ? channel.eventLoop.scheduleTask(in: .milliseconds(config.openTimeoutMilliseconds)) {
            promise.fail(TransportError.timeout("no complete handshake from \(linkEndpoint)"))
        } : nil
        let onSession = self.onSession
        promise.futureResult.whenComplete { result in
            timeout?.cancel()
            switch result {
            case .success(let t): onSession(t)
            case .failure(let e):
                log.info("link refused", metadata: ["reason": "\(e)"])
                channel.close(promise: nil)
            }
        }
        return handler
    }
}
