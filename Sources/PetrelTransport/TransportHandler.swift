import Logging
import NIOCore
import PetrelTime
import PetrelWire

/// The channel handler behind a `UnicastTransport`: runs the handshake, then
/// decodes batches, checks SNs, reassembles fragments and hands network
/// messages to the delegate. Lives on the channel's event loop.
final class TransportHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// Which side of the handshake this end plays: the connector sends InitSyn
    /// and OpenSyn; the listener (the agent's gateway role) answers them.
    enum Role {
        case connector
        case listener
    }

    /// What a listener agreed in its InitAck, kept until the OpenSyn returns the cookie.
    private struct Offer {
        var syn: InitSyn
        var cookie: [UInt8]
        var resolution: UInt8
        var batchSize: Int
        var qos: Bool
        var patch: Bool
    }

    private enum Phase {
        case idle
        case waitingInitAck
        case waitingOpenAck(InitAck, localInitialSN: UInt64)
        case waitingInitSyn
        case waitingOpenSyn(Offer)
        case established(UnicastTransport)
        case closed
    }

    let endpoint: Endpoint
    let config: TransportConfig
    let role: Role
    let prefixLength: Int
    let linkMTU: Int
    weak var delegate: TransportDelegate?
    let promise: EventLoopPromise<UnicastTransport>
    var logger: Logger

    private var phase: Phase = .idle
    private var context: ChannelHandlerContext?
    private var space = SequenceNumberSpace(resolution: 0x0A)
    private var lastRxSN: [UInt64] = Array(repeating: 0, count: ChannelIndex.count)
    private var reassembly: [Reassembly] = Array(repeating: Reassembly(), count: ChannelIndex.count)
    private var patch = false
    private var receivedSinceCheck = false
    private var keepAliveTask: RepeatedTask?
    private var leaseTask: RepeatedTask?
    private var closeError: TransportError?
    private var silentChecks: UInt64 = 0

    init(endpoint: Endpoint, config: TransportConfig, role: Role = .connector, prefixLength: Int, linkMTU: Int,
         delegate: TransportDelegate, promise: EventLoopPromise<UnicastTransport>, logger: Logger) {
        self.endpoint = endpoint
        self.config = config
        self.role = role
        self.phase = role == .listener ? .waitingInitSyn : .idle
        self.prefixLength = prefixLength
        self.linkMTU = linkMTU
        self.delegate = delegate
        self.promise = promise
        self.logger = logger
    }

    private var offeredBatchSize: Int { min(config.batchSize, linkMTU) }

    // MARK: Handshake

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        if prefixLength == 2 && role == .connector { startHandshake() }
        context.fireChannelActive()
    }

    /// The serial link runs its own handshake first and says when Zenoh's may start.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? SerialLinkEvent, e == .linkReady, role == .connector { startHandshake() }
        context.fireUserInboundEventTriggered(event)
    }

    func startHandshake() {
        guard case .idle = phase, let context else { return }
        var syn = InitSyn(whatAmI: config.whatAmI, zid: config.zid)
        syn.resolution = config.resolution
        syn.batchSize = UInt16(clamping: offeredBatchSize)
        syn.qos = config.qos
        syn.patch = config.patch > 0 ? config.patch : nil
        phase = .waitingInitAck
        writeHandshake(.initSyn(syn), context: context)
    }

    private func writeHandshake(_ m: TransportMessage, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 512)
        buffer.moveWriterIndex(forwardBy: prefixLength)
        let n = buffer.withUnsafeMutableWritableBytes { p -> Int in
            var w = WireWriter(p)
            do throws(EncodeError) { try m.encode(into: &w) } catch { return 0 }
            return w.count
        }
        buffer.moveWriterIndex(forwardBy: n)
        if prefixLength == 2 { buffer.setInteger(UInt16(n), at: 0, endianness: .little) }
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    private func handleHandshake(_ batch: [UInt8], context: ChannelHandlerContext) throws {
        var r = WireReader(batch)
        let message: TransportMessage
        do throws(DecodeError) { message = try TransportMessage.decode(from: &r) } catch {
            throw TransportError.malformed("\(error)")
        }
        switch (phase, message) {
        case (_, .close(let c)):
            throw TransportError.closedByPeer(reason: c.reason)
        case (.waitingInitAck, .initAck(let ack)):
            guard ack.version == 0x09 else { throw TransportError.handshake("peer speaks protocol version \(ack.version), not 9") }
            // The answer may lower what we offered, never raise it.
            guard ack.resolution & 0x03 <= config.resolution & 0x03, (ack.resolution >> 2) & 0x03 <= (config.resolution >> 2) & 0x03 else {
                throw TransportError.handshake("peer answered a larger resolution (0x\(String(ack.resolution, radix: 16))) than offered")
            }
            space = SequenceNumberSpace(resolution: ack.resolution)
            let initialSN = UInt64.random(in: 0...space.mask)
            let open = OpenSyn(leaseMilliseconds: config.leaseMilliseconds, initialSN: initialSN, cookie: ack.cookie)
            phase = .waitingOpenAck(ack, localInitialSN: initialSN)
            writeHandshake(.openSyn(open), context: context)
        case (.waitingInitSyn, .initSyn(let syn)):
            try answerInitSyn(syn, context: context)
        case (.waitingOpenSyn(let offer), .openSyn(let open)):
            guard open.cookie.elementsEqual(offer.cookie) else {
                throw TransportError.handshake("the OpenSyn did not return our cookie")
            }
            let localSN = UInt64.random(in: 0...space.mask)
            writeHandshake(.openAck(OpenAck(leaseMilliseconds: config.leaseMilliseconds, initialSN: localSN)), context: context)
            let params = TransportParameters(
                remoteZID: offer.syn.zid, remoteWhatAmI: offer.syn.whatAmI, batchSize: offer.batchSize,
                resolution: offer.resolution, qos: offer.qos, patch: offer.patch,
                remoteLeaseMilliseconds: open.leaseMilliseconds, remoteInitialSN: open.initialSN, localInitialSN: localSN)
            established(params, context: context)
        case (.waitingOpenAck(let initAck, let localSN), .openAck(let openAck)):
            let params = TransportParameters(
                remoteZID: initAck.zid, remoteWhatAmI: initAck.whatAmI,
                batchSize: min(offeredBatchSize, Int(initAck.batchSize)),
                resolution: initAck.resolution, qos: config.qos && initAck.qos,
                patch: config.patch > 0 && (initAck.patch ?? 0) > 0,
                remoteLeaseMilliseconds: openAck.leaseMilliseconds,
                remoteInitialSN: openAck.initialSN, localInitialSN: localSN)
            established(params, context: context)
        default:
            throw TransportError.handshake("unexpected \(message) during the handshake")
        }
    }

    /// Listener side: agree on the smaller of each offer and ours, and hand out
    /// a random cookie the OpenSyn must bring back (zenoh-wire.md §7).
    private func answerInitSyn(_ syn: InitSyn, context: ChannelHandlerContext) throws {
        guard syn.version == TransportMessage.protocolVersion else {
            writeHandshake(.close(Close(reason: Close.invalid, closesSession: true)), context: context)
            throw TransportError.handshake("peer speaks protocol version \(syn.version), not \(TransportMessage.protocolVersion)")
        }
        guard syn.zid != config.zid else { throw TransportError.handshake("connection to self") }
        let fsn = min(syn.resolution & 0x03, config.resolution & 0x03)
        let rid = min((syn.resolution >> 2) & 0x03, (config.resolution >> 2) & 0x03)
        let resolution = fsn | rid << 2
        let batchSize = min(offeredBatchSize, Int(syn.batchSize))
        let qos = config.qos && syn.qos
        let patch = min(config.patch, syn.patch ?? 0)
        let cookie = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var ack = InitAck(whatAmI: config.whatAmI, zid: config.zid, resolution: resolution,
                          batchSize: UInt16(clamping: batchSize), cookie: cookie[...])
        ack.qos = qos
        ack.patch = patch > 0 ? patch : nil
        space = SequenceNumberSpace(resolution: resolution)
        phase = .waitingOpenSyn(Offer(syn: syn, cookie: cookie, resolution: resolution, batchSize: batchSize, qos: qos, patch: patch > 0))
        writeHandshake(.initAck(ack), context: context)
    }

    private func established(_ params: TransportParameters, context: ChannelHandlerContext) {
        patch = params.patch
        let previous = space.previous(params.remoteInitialSN)
        lastRxSN = Array(repeating: previous, count: ChannelIndex.count)
        var settings = TxPipeline.Settings(prefixLength: prefixLength, batchSize: params.batchSize, qos: params.qos,
                                           patch: params.patch, space: space, initialSN: params.localInitialSN)
        settings.highWatermark = config.txQueueBytes
        settings.maxMessageSize = config.maxMessageSize
        // Datagrams have no flow control; a serial port and TCP push back through writability.
        if endpoint.proto == .udp { settings.pacingBytesPerMillisecond = config.datagramPacingBytesPerMillisecond }
        let tx = TxPipeline(channel: context.channel, settings: settings)
        let transport = UnicastTransport(endpoint: endpoint, parameters: params, tx: tx, channel: context.channel)
        phase = .established(transport)
        let keepAlive = TimeAmount.milliseconds(Int64(config.leaseMilliseconds / max(config.keepAliveFactor, 1)))
        keepAliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: keepAlive, delay: keepAlive) { _ in
            if !tx.takeSentSinceTick() { tx.sendTransport(.keepAlive(KeepAlive())) }
        }
        // Check the peer's lease a few times per lease so silence is noticed within one lease.
        let lease = params.remoteLeaseMilliseconds
        let check = TimeAmount.milliseconds(Int64(max(lease / 4, 10)))
        leaseTask = context.eventLoop.scheduleRepeatedTask(initialDelay: check, delay: check) { [weak self] _ in
            guard let self else { return }
            if self.receivedSinceCheck {
                self.receivedSinceCheck = false
                self.silentChecks = 0
            } else {
                self.silentChecks += 1
                if self.silentChecks * UInt64(check.nanoseconds / 1_000_000) >= lease {
                    self.fail(.leaseExpired(lease))
                }
            }
        }
        logger.info("session open", metadata: ["endpoint": "\(endpoint)", "peer": "\(params.remoteZID)",
                                                "batch": "\(params.batchSize)", "qos": "\(params.qos)"])
        promise.succeed(transport)
    }

    // MARK: Receive

    /// Batches up to this size are copied into `smallBatch`.
    static let smallBatchLimit = 256
    /// Received messages refer to their batch's bytes (payloads are slices of
    /// it), so each batch needs an array of its own, unless nothing from the
    /// previous one is still held: then this one is reused and a request, a
    /// reply or a reading on a quiet link costs no allocation. Capped small, so
    /// a sample kept by its subscriber keeps at most 256 bytes alive with it.
    private var smallBatch: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        receivedSinceCheck = true
        let batch: [UInt8]
        if buffer.readableBytes <= Self.smallBatchLimit {
            // Allocates only if a payload of the last small batch is still held somewhere.
            smallBatch.removeAll(keepingCapacity: true)
            smallBatch.reserveCapacity(Self.smallBatchLimit)
            buffer.withUnsafeReadableBytes { smallBatch.append(contentsOf: $0) }
            batch = smallBatch
        } else {
            batch = Array(buffer.readableBytesView)
        }
        do {
            switch phase {
            case .established(let transport):
                try receive(batch, transport: transport)
            case .waitingInitAck, .waitingOpenAck, .waitingInitSyn, .waitingOpenSyn:
                try handleHandshake(batch, context: context)
            case .idle, .closed:
                return
            }
        } catch let error as TransportError {
            fail(error)
        } catch {
            fail(.malformed("\(error)"))
        }
    }

    private func receive(_ batch: [UInt8], transport: UnicastTransport) throws {
        guard let delegate else { return }
        if batch.count > transport.parameters.batchSize {
            throw TransportError.malformed("batch of \(batch.count) bytes exceeds the negotiated \(transport.parameters.batchSize)")
        }
        var reader = BatchReader(batch[...])
        var frameReliability: Reliability = .reliable
        var dropFrame = false
        while true {
            var next: BatchItem?
            do throws(DecodeError) { next = try reader.next() } catch {
                throw TransportError.malformed("\(error)")
            }
            guard let item = next.take() else { break }
            // Consumed: the message moves on to the delegate without a copy.
            switch consume item {
            case .frame(let h):
                let idx = ChannelIndex(priority: h.priority ?? .data, reliability: h.reliability).rawValue
                if h.priority != nil && !transport.parameters.qos {
                    throw TransportError.malformed("frame with a priority on a session without QoS")
                }
                frameReliability = h.reliability
                if space.isNew(h.sn, after: lastRxSN[idx]) {
                    lastRxSN[idx] = h.sn
                    dropFrame = false
                } else {
                    dropFrame = true
                }
            case .network(let m):
                if !dropFrame { delegate.transport(transport, didReceive: m, reliability: frameReliability) }
            case .transport(let t):
                try receiveTransport(t, transport: transport, delegate: delegate)
            }
        }
    }

    private func receiveTransport(_ t: TransportMessage, transport: UnicastTransport, delegate: TransportDelegate) throws {
        switch t {
        case .keepAlive:
            break
        case .close(let c):
            throw TransportError.closedByPeer(reason: c.reason)
        case .fragment(let f):
            let idx = ChannelIndex(priority: f.priority ?? .data, reliability: f.reliability).rawValue
            guard space.isNew(f.sn, after: lastRxSN[idx]) else { return }
            lastRxSN[idx] = f.sn
            switch reassembly[idx].accept(f, patch: patch, space: space, maxMessageSize: config.maxMessageSize) {
            case .pending, .discarded:
                break
            case .tooLarge:
                logger.warning("dropped a fragmented message larger than \(config.maxMessageSize) bytes", metadata: ["endpoint": "\(endpoint)"])
            case .complete(let bytes):
                var r = WireReader(bytes)
                let m: NetworkMessage
                do throws(DecodeError) {
                    m = try NetworkMessage.decode(from: &r)
                } catch {
                    // Without First markers a lost fragment can splice two
                    // messages; drop what does not decode, keep the session.
                    logger.warning("dropped a reassembled message that does not decode",
                                   metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
                    return
                }
                delegate.transport(transport, didReceive: m, reliability: f.reliability)
            }
        case .initSyn, .initAck, .openSyn, .openAck:
            throw TransportError.malformed("handshake message on an open session")
        case .frame, .join, .oam:
            break
        }
    }

    // MARK: Teardown

    private func fail(_ error: TransportError) {
        if case .closed = phase { return }
        closeError = error
        switch phase {
        case .established(let transport):
            // A peer that says goodbye is not a problem; silence, garbage and errors are.
            if case .closedByPeer = error {
                logger.info("session closed", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
            } else {
                logger.warning("session closed", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
            }
            transport.abort()
        default:
            promise.fail(error)
            context?.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? TransportError { fail(e) } else { fail(.link("\(error)")) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepAliveTask?.cancel()
        leaseTask?.cancel()
        let previous = phase
        phase = .closed
        switch previous {
        case .established(let transport):
            let wasOpen = transport.markClosed()
            transport.tx.close()
            delegate?.transport(transport, didCloseWith: wasOpen ? (closeError ?? .link("connection closed by the peer")) : closeError)
        case .closed:
            break
        default:
            promise.fail(closeError ?? TransportError.link("connection closed during the handshake"))
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .established(let t) = phase { t.tx.writabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }
}
