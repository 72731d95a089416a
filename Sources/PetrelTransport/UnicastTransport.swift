import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PetrelTime
import PetrelWire

/// Receives what a session's transport delivers. Called on the link's event loop.
public protocol TransportDelegate: AnyObject, Sendable {
    /// A network message arrived (from a frame or a reassembled run of fragments).
    func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability)
    /// The session ended: closed by us, by the peer, by a lease expiry or a link error.
    func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?)
}

/// One client-side unicast session with a Zenoh router or peer over one link
/// (zenoh-wire.md §7): handshake, lease and keep-alive, tx batching, rx with
/// sequence-number checks and reassembly.
public final class UnicastTransport: @unchecked Sendable {
    public let endpoint: Endpoint
    public let parameters: TransportParameters
    let tx: TxPipeline
    let channel: Channel
    private let closed = NIOLockedValueBox(false)

    init(endpoint: Endpoint, parameters: TransportParameters, tx: TxPipeline, channel: Channel) {
        self.endpoint = endpoint
        self.parameters = parameters
        self.tx = tx
        self.channel = channel
    }

    public var eventLoop: EventLoop { channel.eventLoop }
    public var isOpen: Bool { !closed.withLockedValue { $0 } }

    /// Queues `message`; returns false when the session is closed. With
    /// `block`, waits while the tx queue is over its watermark.
    @discardableResult
    public func send<M: WireEncodable>(_ message: M, priority: Priority = .data, reliability: Reliability = .reliable,
                                       express: Bool = false) -> Bool {
        tx.send(message, priority: priority, reliability: reliability, express: express) != .closed
    }

    /// What became of a message handed to `enqueue`.
    public enum EnqueueOutcome: Sendable {
        case queued
        /// Queued, but the queue is over its high watermark: a Block publisher waits (`waitForRoom`).
        case congested
        case closed
    }

    /// Queues `message` and says whether the queue is congested, without
    /// suspending: the fast path of a Block publisher, which only awaits
    /// `waitForRoom()` when told so.
    public func enqueue<M: WireEncodable>(_ message: M, priority: Priority = .data, reliability: Reliability = .reliable,
                                          express: Bool = false) -> EnqueueOutcome {
        switch tx.send(message, priority: priority, reliability: reliability, express: express) {
        case .queued: return .queued
        case .congested: return .congested
        case .closed: return .closed
        }
    }

    /// Waits until the tx queue is under its high watermark again (or the link closed).
    public func waitForRoom() async {
        await tx.waitForRoom()
    }

    /// Stops reading from the link until `resume` returns; meanwhile the
    /// peer's bytes wait in its own buffers (TCP's flow control holds it back).
    /// The gateway does this to a device while the uplink is congested.
    public func holdReads(until resume: @escaping @Sendable () async -> Void) {
        let channel = self.channel
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in
            Task {
                await resume()
                // Fails harmlessly if the link closed meanwhile.
                channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            }
        }
    }

    /// Like `send`, but waits for room when the queue is congested (congestion control Block).
    nonisolated(nonsending) public func sendBlocking<M: WireEncodable>(_ message: M, priority: Priority = .data, reliability: Reliability = .reliable,
                                               express: Bool = false) async -> Bool {
        switch enqueue(message, priority: priority, reliability: reliability, express: express) {
        case .queued: return true
        case .closed: return false
        case .congested:
            await waitForRoom()
            return isOpen
        }
    }

    /// Waits until everything queued so far has been handed to the socket, or
    /// `timeout` passes, or the link closes. Returns whether it was flushed.
    public func waitUntilFlushed(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        // Only what was queued before this call: later traffic does not delay it.
        let mark = tx.flushMark()
        while !tx.hasWritten(through: mark) {
            if !isOpen || ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return isOpen
    }

    /// Sends Close (reason generic) and closes the link.
    public func close(reason: UInt8 = Close.generic) async {
        guard markClosed() else { return }
        tx.sendTransport(.close(Close(reason: reason, closesSession: true)))
        // What was queued before the Close goes out before the link closes
        // (paced datagrams may still be waiting), within a bound.
        let deadline = ContinuousClock.now + .seconds(2)
        while tx.pendingBytes > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        tx.close()
        try? await channel.eventLoop.flatSubmit { self.channel.close() }.get()
    }

    /// Closes without a Close message (link already broken, or malformed input).
    func abort() {
        guard markClosed() else { return }
        tx.close()
        channel.close(promise: nil)
    }

    @discardableResult
    func markClosed() -> Bool {
        closed.withLockedValue { c in
            if c { return false }
            c = true
            return true
        }
    }

    /// A future that completes when the link is gone.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
}

extension UnicastTransport {
    /// Opens a link to `endpoint` and runs the Init/Open handshake.
    public static func connect(to endpoint: Endpoint, config: TransportConfig, group: EventLoopGroup,
                               delegate: TransportDelegate, logger: Logger) async throws -> UnicastTransport {
        let loop = group.next()
        let handshake = loop.makePromise(of: UnicastTransport.self)
        let timeout = TimeAmount.milliseconds(config.openTimeoutMilliseconds)
        let channel: Channel
        switch endpoint.proto {
        case .tcp, .tls:
            let handler = HandshakeHandler(endpoint: endpoint, config: config, framing: .stream,
                                           delegate: delegate, promise: handshake, logger: logger)
            // TLS is the same stream of length-prefixed batches, encrypted below them.
            let tls: NIOSSLContext?
            do {
                tls = endpoint.proto == .tls ? try TLSLink.clientContext(config.tls) : nil
            } catch {
                handshake.fail(error)
                throw error
            }
            let serverHostname = TLSLink.serverHostname(endpoint)
            do {
                channel = try await ClientBootstrap(group: loop)
                    .connectTimeout(timeout)
                    .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .channelOption(.writeBufferWaterMark, value: .init(low: 1 << 20, high: 4 << 20))
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            if let tls {
                                try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                                try ch.pipeline.syncOperations.addHandler(TLSUncleanShutdownFilter())
                            }
                            try ch.pipeline.syncOperations.addHandler(StreamBatchFramer())
                            try ch.pipeline.syncOperations.addHandler(handler)
                        }
                    }
                    .connect(host: endpoint.host, port: endpoint.port).get()
            } catch {
                handshake.fail(error)
                throw TransportError.link("cannot connect to \(endpoint): \(error)")
            }
        case .udp:
            let remote: SocketAddress
            do {
                remote = try SocketAddress.makeAddressResolvingHost(endpoint.host, port: endpoint.port)
            } catch {
                handshake.fail(error)
                throw TransportError.link("cannot resolve \(endpoint.host): \(error)")
            }
            let handler = HandshakeHandler(endpoint: endpoint, config: config, framing: .datagram,
                                           delegate: delegate, promise: handshake, logger: logger)
            do {
                let bindHost = remote.protocol == .inet6 ? "::" : "0.0.0.0"
                channel = try await DatagramBootstrap(group: loop)
                    .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(DatagramReceiveBuffer.bytes))
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            DatagramReceiveBuffer.raise(ch)
                            try ch.pipeline.syncOperations.addHandler(DatagramBatchCodec(remote: remote))
                            try ch.pipeline.syncOperations.addHandler(handler)
                        }
                    }
                    .bind(host: bindHost, port: 0).get()
                // Datagram channels are not "active" from a connect: start the handshake now.
                try await channel.eventLoop.submit { handler.startHandshake() }.get()
            } catch {
                handshake.fail(error)
                throw TransportError.link("cannot open UDP socket for \(endpoint): \(error)")
            }
        case .serial:
            // Zenoh's serial link: COBS frames with a CRC, batches of at most 1500
            // bytes, and a link handshake (Init/Ack) before Zenoh's own.
            let handler = HandshakeHandler(endpoint: endpoint, config: config, framing: .serial,
                                           delegate: delegate, promise: handshake, logger: logger)
            do {
                channel = try await SerialLink.openChannel(endpoint: endpoint, role: .connector, group: loop) { ch in
                    try ch.pipeline.syncOperations.addHandler(handler)
                }
            } catch {
                handshake.fail(error)
                throw TransportError.link("\(error)")
            }
        }
        let timeoutTask = loop.scheduleTask(in: timeout) {
            handshake.fail(TransportError.timeout("no answer to the handshake from \(endpoint) within \(config.openTimeoutMilliseconds) ms"))
            channel.close(promise: nil)
        }
        do {
            let t = try await handshake.futureResult.get()
            timeoutTask.cancel()
            return t
        } catch {
            timeoutTask.cancel()
            channel.close(promise: nil)
            throw error
        }
    }
}
