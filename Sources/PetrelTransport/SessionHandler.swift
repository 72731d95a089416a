import Logging
import NIOCore
import PetrelWire

/// An open session's link, after `HandshakeHandler` handed it over: decodes
/// batches, drops duplicate and stale frames by SN, reassembles fragments and
/// hands network messages to the delegate; sends a keep-alive when nothing
/// else went out for a while, and closes the session when the peer stays
/// silent for its whole lease, sends Close, or sends something malformed.
///
/// `@unchecked Sendable`: the lease timer's closure holds it weakly; it is
/// only ever touched on the channel's event loop.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let endpoint: Endpoint
    let config: TransportConfig
    let transport: UnicastTransport
    weak var delegate: TransportDelegate?
    var logger: Logger

    private let space: SequenceNumberSpace
    private let patch: Bool
    /// The last SN received on each channel: frames and fragments at or
    /// behind it are duplicates or stale.
    private var lastRxSN: [UInt64]
    private var reassembly: [Reassembly] = Array(repeating: Reassembly(), count: ChannelIndex.count)
    /// Bytes of partial messages counted against `config.limits` (and reserved
    /// from its shared budget), as of the last fragment.
    private var reassemblyHeld = 0

    private enum State {
        case open
        /// Something closed the session; the link is going down.
        case closing(TransportError)
        case closed
    }
    private var state = State.open

    private var receivedSinceCheck = false
    private var silentChecks: UInt64 = 0
    private var keepAliveTask: RepeatedTask?
    private var leaseTask: RepeatedTask?

    /// The session agreed in the handshake; `space` is the SN space of `parameters.resolution`.
    init(endpoint: Endpoint, config: TransportConfig, framing: LinkFraming, parameters: TransportParameters,
         space: SequenceNumberSpace, channel: Channel, delegate: TransportDelegate?, logger: Logger) {
        self.endpoint = endpoint
        self.config = config
        self.delegate = delegate
        self.logger = logger
        self.space = space
        self.patch = parameters.patch
        self.lastRxSN = Array(repeating: space.previous(parameters.remoteInitialSN), count: ChannelIndex.count)
        var settings = TxPipeline.Settings(framing: framing, batchSize: parameters.batchSize, qos: parameters.qos,
                                           patch: parameters.patch, space: space, initialSN: parameters.localInitialSN)
        settings.highWatermark = config.txQueueBytes
        settings.maxMessageSize = config.maxMessageSize
        settings.maxInFlightBytes = config.limits.maxInFlightBytes
        if framing.isPaced { settings.pacingBytesPerMillisecond = config.datagramPacingBytesPerMillisecond }
        let tx = TxPipeline(channel: channel, settings: settings)
        self.transport = UnicastTransport(endpoint: endpoint, parameters: parameters, tx: tx, channel: channel)
        if let cap = config.limits.maxInFlightBytes {
            // A device that stops reading: what the gateway queues for it would grow without bound.
            tx.onInFlightOverLimit = { [weak self, loop = channel.eventLoop] queued in
                guard let handler = self else { return }
                loop.execute {
                    handler.fail(.overLimit(.inFlight, "\(queued) bytes queued toward the peer and not read, over \(cap)"))
                }
            }
        }
    }

    // MARK: Timers

    func handlerAdded(context: ChannelHandlerContext) {
        let tx = transport.tx
        let keepAlive = TimeAmount.milliseconds(Int64(config.leaseMilliseconds / max(config.keepAliveFactor, 1)))
        keepAliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: keepAlive, delay: keepAlive) { _ in
            if !tx.takeSentSinceTick() { tx.sendTransport(.keepAlive(KeepAlive())) }
        }
        // Check the peer's lease a few times per lease so silence is noticed within one lease.
        let lease = transport.parameters.remoteLeaseMilliseconds
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
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        releaseReassembly()
    }

    /// Gives the partial messages' bytes back to the shared budget: the session is gone.
    private func releaseReassembly() {
        for i in reassembly.indices { reassembly[i].reset() }
        if reassemblyHeld > 0 { config.limits.reassemblyBudget?.release(reassemblyHeld) }
        reassemblyHeld = 0
    }

    /// Counts the partial messages held against the session's and the shared
    /// cap; a peer over either is closed (a reassembly that never ends would
    /// otherwise grow up to the message size limit on each of 16 channels).
    private func accountReassembly() throws {
        let limits = config.limits
        guard limits.maxReassemblyBytes != nil || limits.reassemblyBudget != nil else { return }
        let held = reassembly.reduce(0) { $0 + $1.buffer.count }
        if let cap = limits.maxReassemblyBytes, held > cap {
            throw TransportError.overLimit(.reassembly, "\(held) bytes of unfinished fragmented messages, over \(cap)")
        }
        if let budget = limits.reassemblyBudget {
            let delta = held - reassemblyHeld
            if delta > 0 {
                guard budget.reserve(delta) else {
                    throw TransportError.overLimit(.reassemblyTotal,
                        "\(held) bytes of unfinished fragmented messages would take all sessions over \(budget.limit)")
                }
            } else if delta < 0 {
                budget.release(-delta)
            }
            reassemblyHeld = held
        }
    }

    private func cancelTimers() {
        keepAliveTask?.cancel()
        leaseTask?.cancel()
        keepAliveTask = nil
        leaseTask = nil
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
        // A batch after the one that closed the session (read together) means nothing.
        guard case .open = state else { return }
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
            try receive(batch)
        } catch let error as TransportError {
            fail(error)
        } catch {
            fail(.malformed("\(error)"))
        }
    }

    private func receive(_ batch: [UInt8]) throws {
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
                try receiveTransport(t, delegate: delegate)
            }
        }
    }

    private func receiveTransport(_ t: TransportMessage, delegate: TransportDelegate) throws {
        switch t {
        case .keepAlive:
            break
        case .close(let c):
            throw TransportError.closedByPeer(reason: c.reason)
        case .fragment(let f):
            let idx = ChannelIndex(priority: f.priority ?? .data, reliability: f.reliability).rawValue
            guard space.isNew(f.sn, after: lastRxSN[idx]) else { return }
            lastRxSN[idx] = f.sn
            let outcome = reassembly[idx].accept(f, patch: patch, space: space, maxMessageSize: config.maxMessageSize)
            try accountReassembly()
            switch outcome {
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
        guard case .open = state else { return }
        state = .closing(error)
        // A peer that says goodbye is not a problem; silence, garbage and errors are.
        if case .closedByPeer = error {
            logger.info("session closed", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
        } else {
            logger.warning("session closed", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
        }
        if case .overLimit(let limit, _) = error {
            // The peer is told why (best effort: one that stopped reading never sees it).
            transport.tx.sendTransport(.close(Close(reason: limit.closeReason, closesSession: true)))
        }
        transport.abort()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? TransportError { fail(e) } else { fail(.link("\(error)")) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        releaseReassembly()
        var closeError: TransportError? = nil
        switch state {
        case .closed:
            return context.fireChannelInactive()
        case .closing(let error):
            closeError = error
        case .open:
            break
        }
        state = .closed
        let wasOpen = transport.markClosed()
        transport.tx.close()
        delegate?.transport(transport, didCloseWith: wasOpen ? (closeError ?? .link("connection closed by the peer")) : closeError)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        transport.tx.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }
}
