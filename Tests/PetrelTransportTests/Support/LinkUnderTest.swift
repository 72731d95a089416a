import Logging
import NIOCore
import NIOEmbedded
import PetrelTestSupport
import PetrelWire
@testable import PetrelTransport

/// What a session handed its user, in order.
///
/// `@unchecked Sendable`: an EmbeddedChannel runs every handler on the
/// test's own thread, the only one that touches this.
final class RecordingDelegate: TransportDelegate, @unchecked Sendable {
    private(set) var received: [NetworkMessage] = []
    private(set) var reliabilities: [Reliability] = []
    /// One entry per close: the error the session ended with.
    private(set) var closes: [TransportError?] = []

    func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {
        received.append(message)
        reliabilities.append(reliability)
    }

    func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {
        closes.append(error)
    }
}

/// The agent's end of a link on an EmbeddedChannel, with the test playing the
/// router or device at the other end, one whole message at a time.
///
/// `@unchecked Sendable`: as `RecordingDelegate`, touched only on the test's thread.
final class LinkUnderTest: @unchecked Sendable {
    let channel: EmbeddedChannel
    let framing: LinkFraming
    let delegate = RecordingDelegate()
    let logs = LogLines()
    let handshake: HandshakeHandler
    /// How the handshake ended, once it has.
    private(set) var outcome: Result<UnicastTransport, Error>?

    static let endpoint = try! Endpoint("tcp/127.0.0.1:7447")
    /// A fresh ZID (from a config: this target does not import PetrelTime, where ZIDs live).
    static let routerZID = TransportConfig().zid

    /// A link with a handshake handler for `role` behind the framing a
    /// `framing` link has; not connected yet.
    convenience init(role: HandshakeHandler.Role, framing: LinkFraming = .stream, config: TransportConfig = TransportConfig()) throws {
        try self.init(framing: framing) { channel, delegate, logger in
            HandshakeHandler(endpoint: Self.endpoint, config: config, role: role, framing: framing, delegate: delegate,
                             promise: channel.eventLoop.makePromise(of: UnicastTransport.self), logger: logger)
        }
    }

    /// A TCP link accepted by the gateway: its handler made as the gateway's
    /// listeners make them, which hand each open session to `onSession`.
    convenience init(gateway config: TransportConfig, onSession: @escaping @Sendable (UnicastTransport) -> Void) throws {
        try self.init(framing: .stream) { channel, delegate, logger in
            SessionAcceptor(endpoint: Self.endpoint, config: config, delegate: delegate, logger: logger, onSession: onSession)
                .handler(for: channel, endpoint: Self.endpoint, framing: .stream)
        }
    }

    private init(framing: LinkFraming,
                 handler: (Channel, TransportDelegate, Logger) -> HandshakeHandler) throws {
        channel = EmbeddedChannel()
        self.framing = framing
        handshake = handler(channel, delegate, logs.logger("transport"))
        if framing == .stream { try channel.pipeline.syncOperations.addHandler(StreamBatchFramer()) }
        try channel.pipeline.syncOperations.addHandler(handshake)
        handshake.promise.futureResult.whenComplete { [weak self] in self?.outcome = $0 }
    }

    /// The link comes up (a TCP connection is made, a port opened).
    func connect() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7447)).wait()
    }

    var transport: UnicastTransport? { try? outcome?.get() }

    var failure: TransportError? {
        guard case .failure(let error) = outcome else { return nil }
        return error as? TransportError
    }

    /// Whether the handshake handler is still in the pipeline, and the session handler.
    var hasHandshakeHandler: Bool { (try? channel.pipeline.syncOperations.context(handlerType: HandshakeHandler.self)) != nil }
    var hasSessionHandler: Bool { (try? channel.pipeline.syncOperations.context(handlerType: SessionHandler.self)) != nil }

    // MARK: The other end sends

    /// The peer sends `batches`: on a stream link in one read, as a kernel
    /// may deliver them; otherwise one read (datagram, serial frame) each.
    func peerSends(_ batches: [UInt8]...) throws {
        if framing == .stream {
            try channel.writeInbound(ByteBuffer(bytes: batches.flatMap { [UInt8($0.count & 0xFF), UInt8($0.count >> 8)] + $0 }))
        } else {
            for b in batches { try channel.writeInbound(ByteBuffer(bytes: b)) }
        }
    }

    /// The peer sends one transport message in a batch of its own.
    func peerSends(_ message: TransportMessage) throws {
        try peerSends(Wire.batch(message))
    }

    // MARK: What the agent sent

    /// Every item of every batch sent since the last call, without link framing.
    func sentItems() throws -> [BatchItem] {
        var items: [BatchItem] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            if framing == .stream {
                let length = buffer.readInteger(endianness: .little, as: UInt16.self)
                precondition(Int(length ?? 0) == buffer.readableBytes, "a stream batch's length prefix is its size")
            }
            let bytes = buffer.readBytes(length: buffer.readableBytes)!
            var reader = BatchReader(bytes[...])
            while let item = try reader.next() { items.append(item) }
        }
        return items
    }

    /// The transport messages (no frames) sent since the last call.
    func sentTransportMessages() throws -> [TransportMessage] {
        try sentItems().compactMap { if case .transport(let t) = $0 { return t } else { return nil } }
    }

    // MARK: Whole handshakes

    /// Plays a router answering the connector: InitAck with `ack`'s settings,
    /// then OpenAck with `lease` and `initialSN`. Returns the open session.
    @discardableResult
    func routerAccepts(ack: InitAck = InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, cookie: [1, 2, 3][...]),
                       lease: UInt64 = 10_000, initialSN: UInt64 = 100) throws -> UnicastTransport? {
        if framing == .stream { try connect() } else { handshake.startHandshake() }
        _ = try sentTransportMessages()
        try peerSends(.initAck(ack))
        _ = try sentTransportMessages()
        try peerSends(.openAck(OpenAck(leaseMilliseconds: lease, initialSN: initialSN)))
        return transport
    }

    /// Ends the test: closes the link if the session has not.
    func finish() throws {
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}

/// Bytes the other end puts on the link.
enum Wire {
    static func batch(_ message: TransportMessage) -> [UInt8] {
        try! [UInt8].encoding { (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) }
    }

    /// A batch holding one frame of `messages`.
    static func frame(sn: UInt64, reliability: Reliability = .reliable, _ messages: NetworkMessage...) -> [UInt8] {
        try! [UInt8].encoding { (w: inout WireWriter) throws(EncodeError) in
            try Frame(reliability: reliability, sn: sn, messages: messages).encode(into: &w)
        }
    }

    static func fragment(sn: UInt64, more: Bool, first: Bool = false, _ payload: ArraySlice<UInt8>) -> [UInt8] {
        batch(.fragment(Fragment(reliability: .reliable, more: more, sn: sn, first: first, drop: false, payload: payload)))
    }

    /// A put on `key`, as a router forwards it.
    static func put(_ key: String, _ text: String) -> NetworkMessage {
        .push(Push(wireExpr: WireExpr(key), body: .put(Put(payload: Array(text.utf8)[...]))))
    }

    static func put(_ key: String, bytes count: Int) -> NetworkMessage {
        .push(Push(wireExpr: WireExpr(key), body: .put(Put(payload: Array(repeating: 0x5A, count: count)[...]))))
    }

    static func encoded(_ message: NetworkMessage) -> [UInt8] {
        try! [UInt8].encoding { (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) }
    }
}
