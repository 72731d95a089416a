import Logging
import NIOCore
import PetrelWire

/// Opens a session on a fresh link: Zenoh's Init/Open handshake
/// (zenoh-wire.md §7), as the connector (sends InitSyn and OpenSyn) or as the
/// listener (the agent's gateway role: answers them).
///
/// Once both sides agree it puts a `SessionHandler` for the open session
/// right after itself, leaves the pipeline and completes `promise` with the
/// transport. It handles batches one at a time, so a batch read together with
/// the last handshake message (two batches in one TCP read) goes to the
/// session handler: nothing read is held here. A handshake that fails closes
/// the link and fails `promise` with the reason.
///
/// `@unchecked Sendable`: the connector's bootstrap hands it across to the
/// event loop (`startHandshake`); it is only ever touched on that loop.
final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// Which side of the handshake this end plays: the connector sends InitSyn
    /// and OpenSyn; the listener (the agent's gateway role) answers them.
    enum Role {
        case connector
        case listener
    }

    /// What a listener agreed in its InitAck, kept until the OpenSyn returns the cookie.
    struct Offer {
        var syn: InitSyn
        var cookie: [UInt8]
        var resolution: UInt8
        var batchSize: Int
        var qos: Bool
        var patch: Bool
        /// The user/password challenge sent in the InitAck, when this listener requires it.
        var nonce: UInt64? = nil
    }

    private enum Phase {
        /// A connector whose link cannot carry batches yet.
        case idle
        case waitingInitAck
        case waitingOpenAck(InitAck, localInitialSN: UInt64)
        case waitingInitSyn
        case waitingOpenSyn(Offer)
        /// The session handler has taken over.
        case open
        case closed
    }

    let endpoint: Endpoint
    let config: TransportConfig
    let role: Role
    let framing: LinkFraming
    weak var delegate: TransportDelegate?
    let promise: EventLoopPromise<UnicastTransport>
    var logger: Logger

    private var phase: Phase
    private var context: ChannelHandlerContext?
    private var space = SequenceNumberSpace(resolution: 0x0A)
    private var closeError: TransportError?

    init(endpoint: Endpoint, config: TransportConfig, role: Role = .connector, framing: LinkFraming,
         delegate: TransportDelegate, promise: EventLoopPromise<UnicastTransport>, logger: Logger) {
        self.endpoint = endpoint
        self.config = config
        self.role = role
        self.phase = role == .listener ? .waitingInitSyn : .idle
        self.framing = framing
        self.delegate = delegate
        self.promise = promise
        self.logger = logger
    }

    /// Our OpenSyn is out: a Close now answers it (and its credentials).
    var isWaitingOpenAck: Bool {
        if case .waitingOpenAck = phase { return true }
        return false
    }

    var isWaitingInitAck: Bool {
        if case .waitingInitAck = phase { return true }
        return false
    }

    private var offeredBatchSize: Int { min(config.batchSize, framing.mtu) }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Starting

    /// A TCP connection can carry batches once it is connected.
    func channelActive(context: ChannelHandlerContext) {
        if framing == .stream && role == .connector { startHandshake() }
        context.fireChannelActive()
    }

    /// The serial link runs its own handshake first and says when Zenoh's may start.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? SerialLinkEvent, e == .linkReady, role == .connector { startHandshake() }
        context.fireUserInboundEventTriggered(event)
    }

    /// Sends the InitSyn. Called by the link's own signal (above), or by whoever
    /// set up a UDP socket: a datagram channel is not "connected" to anyone.
    func startHandshake() {
        guard case .idle = phase, let context else { return }
        var syn = InitSyn(whatAmI: config.whatAmI, zid: config.zid)
        syn.resolution = config.resolution
        syn.batchSize = UInt16(clamping: offeredBatchSize)
        syn.qos = config.qos
        syn.patch = config.patch > 0 ? config.patch : nil
        if config.usrpwd != nil {
            syn.auth = AuthExtension([ZExtension(id: AuthExtension.Method.userPassword, body: .unit)]).encoded()
        }
        phase = .waitingInitAck
        write(.initSyn(syn), context: context)
    }

    func write(_ m: TransportMessage, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 512)
        buffer.moveWriterIndex(forwardBy: framing.prefixLength)
        let n = buffer.withUnsafeMutableWritableBytes { p -> Int in
            var w = WireWriter(p)
            do throws(EncodeError) { try m.encode(into: &w) } catch { return 0 }
            return w.count
        }
        buffer.moveWriterIndex(forwardBy: n)
        if framing == .stream { buffer.setInteger(UInt16(n), at: 0, endianness: .little) }
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .waitingInitAck, .waitingOpenAck, .waitingInitSyn, .waitingOpenSyn:
            break
        case .idle, .open, .closed:
            return
        }
        // Once per handshake message: no need for the session's array reuse.
        let batch = Array(unwrapInboundIn(data).readableBytesView)
        do {
            try handle(batch, context: context)
        } catch let error as TransportError {
            fail(error)
        } catch {
            fail(.malformed("\(error)"))
        }
    }

    /// Handles the first message of `batch` (the handshake sends one per batch).
    private func handle(_ batch: [UInt8], context: ChannelHandlerContext) throws {
        var r = WireReader(batch)
        let message: TransportMessage
        do throws(DecodeError) { message = try TransportMessage.decode(from: &r) } catch {
            throw TransportError.malformed("\(error)")
        }
        switch (phase, message) {
        case (_, .close(let c)):
            throw refusal(c.reason)
        case (.waitingInitAck, .initAck(let ack)):
            guard ack.version == TransportMessage.protocolVersion else {
                throw TransportError.handshake("peer speaks protocol version \(ack.version), not \(TransportMessage.protocolVersion)")
            }
            // The answer may lower what we offered, never raise it.
            guard ack.resolution & 0x03 <= config.resolution & 0x03, (ack.resolution >> 2) & 0x03 <= (config.resolution >> 2) & 0x03 else {
                throw TransportError.handshake("peer answered a larger resolution (0x\(String(ack.resolution, radix: 16))) than offered")
            }
            space = SequenceNumberSpace(resolution: ack.resolution)
            let initialSN = UInt64.random(in: 0...space.mask)
            var open = OpenSyn(leaseMilliseconds: config.leaseMilliseconds, initialSN: initialSN, cookie: ack.cookie)
            open.auth = try proveCredentials(ack)
            phase = .waitingOpenAck(ack, localInitialSN: initialSN)
            write(.openSyn(open), context: context)
        case (.waitingInitSyn, .initSyn(let syn)):
            try answer(syn, context: context)
        case (.waitingOpenSyn(let offer), .openSyn(let open)):
            guard open.cookie.elementsEqual(offer.cookie) else {
                throw TransportError.handshake("the OpenSyn did not return our cookie")
            }
            let user = try checkProof(open, offer: offer, context: context)
            let localSN = UInt64.random(in: 0...space.mask)
            var openAck = OpenAck(leaseMilliseconds: config.leaseMilliseconds, initialSN: localSN)
            if user != nil {
                openAck.auth = AuthExtension([ZExtension(id: AuthExtension.Method.userPassword, body: .unit)]).encoded()
            }
            write(.openAck(openAck), context: context)
            var params = TransportParameters(
                remoteZID: offer.syn.zid, remoteWhatAmI: offer.syn.whatAmI, batchSize: offer.batchSize,
                resolution: offer.resolution, qos: offer.qos, patch: offer.patch,
                remoteLeaseMilliseconds: open.leaseMilliseconds, remoteInitialSN: open.initialSN, localInitialSN: localSN)
            params.authenticatedUser = user
            try openSession(params, context: context)
        case (.waitingOpenAck(let initAck, let localSN), .openAck(let openAck)):
            try checkAccepted(openAck)
            let params = TransportParameters(
                remoteZID: initAck.zid, remoteWhatAmI: initAck.whatAmI,
                batchSize: min(offeredBatchSize, Int(initAck.batchSize)),
                resolution: initAck.resolution, qos: config.qos && initAck.qos,
                patch: config.patch > 0 && (initAck.patch ?? 0) > 0,
                remoteLeaseMilliseconds: openAck.leaseMilliseconds,
                remoteInitialSN: openAck.initialSN, localInitialSN: localSN)
            try openSession(params, context: context)
        default:
            throw TransportError.handshake("unexpected \(message) during the handshake")
        }
    }

    /// Listener side: agree on the smaller of each offer and ours, and hand out
    /// a random cookie the OpenSyn must bring back (zenoh-wire.md §7).
    private func answer(_ syn: InitSyn, context: ChannelHandlerContext) throws {
        guard syn.version == TransportMessage.protocolVersion else {
            write(.close(Close(reason: Close.invalid, closesSession: true)), context: context)
            throw TransportError.handshake("peer speaks protocol version \(syn.version), not \(TransportMessage.protocolVersion)")
        }
        guard syn.zid != config.zid else { throw TransportError.handshake("connection to self") }
        let fsn = min(syn.resolution & 0x03, config.resolution & 0x03)
        let rid = min((syn.resolution >> 2) & 0x03, (config.resolution >> 2) & 0x03)
        let resolution = fsn | rid << 2
        let batchSize = min(offeredBatchSize, Int(syn.batchSize))
        let qos = config.qos && syn.qos
        let patch = min(config.patch, syn.patch ?? 0)
        let nonce = try challenge(syn, context: context)
        let cookie = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var ack = InitAck(whatAmI: config.whatAmI, zid: config.zid, resolution: resolution,
                          batchSize: UInt16(clamping: batchSize), cookie: cookie[...])
        ack.qos = qos
        ack.patch = patch > 0 ? patch : nil
        if let nonce {
            ack.auth = AuthExtension([ZExtension(id: AuthExtension.Method.userPassword, body: .zint(nonce))]).encoded()
        }
        space = SequenceNumberSpace(resolution: resolution)
        phase = .waitingOpenSyn(Offer(syn: syn, cookie: cookie, resolution: resolution, batchSize: batchSize, qos: qos,
                                      patch: patch > 0, nonce: nonce))
        write(.initAck(ack), context: context)
    }

    /// Both sides agreed: the session handler takes the link over before
    /// anyone hears of the session, so no batch can slip past it.
    private func openSession(_ params: TransportParameters, context: ChannelHandlerContext) throws {
        let session = SessionHandler(endpoint: endpoint, config: config, framing: framing, parameters: params,
                                     space: space, channel: context.channel, delegate: delegate, logger: logger)
        do {
            try context.pipeline.syncOperations.addHandler(session, position: .after(self))
        } catch {
            throw TransportError.link("cannot start the session: \(error)")
        }
        phase = .open
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint)", "peer": "\(params.remoteZID)",
                                         "batch": "\(params.batchSize)", "qos": "\(params.qos)"]
        if let user = params.authenticatedUser { metadata["user"] = "\(user)" }
        logger.info("session open", metadata: metadata)
        promise.succeed(session.transport)
    }

    // MARK: Failing

    private func fail(_ error: TransportError) {
        switch phase {
        case .open, .closed: return
        default: break
        }
        closeError = error
        promise.fail(error)
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? TransportError {
            fail(e)
        } else if let e = TLSLink.transportError(error, endpoint: endpoint, role: role) {
            fail(e)
        } else {
            fail(.link("\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .open = phase { return context.fireChannelInactive() }
        phase = .closed
        promise.fail(closeError ?? TransportError.link("connection closed during the handshake"))
        context.fireChannelInactive()
    }
}
