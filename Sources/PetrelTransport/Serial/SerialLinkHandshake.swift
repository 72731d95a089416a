import NIOCore
import PetrelWire

/// The serial link's own handshake, before Zenoh's InitSyn (zenoh-wire.md §16),
/// and after it the wrapping of batches as data frames. Sits after
/// `SerialFrameCodec`; the transport sits after it and sees plain
/// `ByteBuffer` batches (no length prefix) once it gets
/// `SerialLinkEvent.linkReady`.
///
/// Connector: on channelActive sends Init (an empty frame, flags Init) and
/// sends it again every `retryInterval` (250 ms, as zenoh-pico waits) until
/// Init|Ack arrives; a Reset before that postpones the next Init by
/// `retryInterval`. A Reset after the link is up means the listener dropped
/// the link: the channel is closed.
///
/// Listener: answers Init with Init|Ack and is ready. An Init after that,
/// once the peer has sent data, means the peer restarted: it answers Reset
/// and closes the channel (the owner opens the port again and listens). An
/// Init after Init|Ack but before any data is the connector's retry crossing
/// our Init|Ack on the line (or Inits queued while the port was closed): it
/// is answered Init|Ack again, since the connector cannot have started
/// Zenoh's handshake before it saw an Ack.
///
/// Before linkReady, data frames received are dropped (counted in
/// `droppedBeforeReady`) and batches written fail with
/// `SerialLinkError.notReady`.
public final class SerialLinkHandshake: ChannelDuplexHandler {
    public typealias InboundIn = SerialLinkFrame
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = SerialLinkFrame

    public enum Role: Sendable, Equatable {
        /// Opens the link: sends Init until acknowledged (Zenoh's `connect` side).
        case connector
        /// Waits for Init and acknowledges it (Zenoh's `listen` side).
        case listener
    }

    /// zenoh-pico's wait between Init attempts and after a Reset.
    public static let defaultRetryInterval = TimeAmount.milliseconds(250)

    public let role: Role
    public let retryInterval: TimeAmount
    public let statistics: SerialLinkStatistics

    private enum State {
        case idle
        case waiting
        case ready(peerSentData: Bool)
        case closing
    }

    private var state = State.idle
    private var retry: Scheduled<Void>?

    public init(role: Role, retryInterval: TimeAmount = SerialLinkHandshake.defaultRetryInterval,
                statistics: SerialLinkStatistics = SerialLinkStatistics()) {
        self.role = role
        self.retryInterval = retryInterval
        self.statistics = statistics
    }

    /// True once the handshake is done (on the channel's event loop).
    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelRetry()
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelRetry()
        state = .closing
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .waiting
        if role == .connector { sendInit(context: context) }
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.flags == 0 {
            receivedData(context: context, frame.payload)
            return
        }
        switch role {
        case .connector: connectorReceived(context: context, flags: frame.flags)
        case .listener: listenerReceived(context: context, flags: frame.flags)
        }
    }

    private func receivedData(context: ChannelHandlerContext, _ payload: ByteBuffer) {
        guard case .ready = state else {
            statistics.update { $0.droppedBeforeReady += 1 }
            return
        }
        state = .ready(peerSentData: true)
        context.fireChannelRead(wrapInboundOut(payload))
    }

    private func connectorReceived(context: ChannelHandlerContext, flags: UInt8) {
        if flags & SerialFrame.resetFlag != 0 {
            statistics.update { $0.resetsReceived += 1 }
            switch state {
            case .waiting:
                // The listener is busy with another peer (or has not noticed ours went): try again later.
                scheduleInit(context: context)
            case .ready:
                // The listener dropped the link; the owner reconnects.
                state = .closing
                context.close(promise: nil)
            case .idle, .closing:
                break
            }
        } else if flags & SerialFrame.initFlag != 0 && flags & SerialFrame.ackFlag != 0 {
            guard case .waiting = state else { return }  // a duplicate answer to a retried Init
            cancelRetry()
            state = .ready(peerSentData: false)
            context.fireUserInboundEventTriggered(SerialLinkEvent.linkReady)
        } else {
            statistics.update { $0.unexpectedHandshakeFrames += 1 }
        }
    }

    private func listenerReceived(context: ChannelHandlerContext, flags: UInt8) {
        guard flags & SerialFrame.initFlag != 0, flags & (SerialFrame.ackFlag | SerialFrame.resetFlag) == 0 else {
            statistics.update { $0.unexpectedHandshakeFrames += 1 }
            return
        }
        switch state {
        case .idle, .waiting:
            send(context: context, flags: SerialFrame.initFlag | SerialFrame.ackFlag)
            statistics.update { $0.acksSent += 1 }
            state = .ready(peerSentData: false)
            context.fireUserInboundEventTriggered(SerialLinkEvent.linkReady)
        case .ready(peerSentData: false):
            send(context: context, flags: SerialFrame.initFlag | SerialFrame.ackFlag)
            statistics.update { $0.acksSent += 1 }
        case .ready(peerSentData: true):
            // The peer restarted: drop this link so that both sides start afresh.
            state = .closing
            statistics.update { $0.resetsSent += 1 }
            let sent = context.eventLoop.makePromise(of: Void.self)
            send(context: context, flags: SerialFrame.resetFlag, promise: sent)
            sent.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .closing:
            break
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .ready = state else {
            promise?.fail(SerialLinkError.notReady)
            return
        }
        context.write(wrapOutboundOut(SerialLinkFrame(flags: 0, payload: unwrapOutboundIn(data))), promise: promise)
    }

    // MARK: Sending handshake frames

    private func send(context: ChannelHandlerContext, flags: UInt8, promise: EventLoopPromise<Void>? = nil) {
        let frame = SerialLinkFrame(flags: flags, payload: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }

    private func sendInit(context: ChannelHandlerContext) {
        guard case .waiting = state, context.channel.isActive else { return }
        send(context: context, flags: SerialFrame.initFlag)
        statistics.update { $0.initsSent += 1 }
        scheduleInit(context: context)
    }

    /// The next Init in `retryInterval`, replacing any scheduled one; the
    /// timer goes with the channel (cancelled on channelInactive and removal).
    private func scheduleInit(context: ChannelHandlerContext) {
        cancelRetry()
        retry = context.eventLoop.assumeIsolated().scheduleTask(in: retryInterval) { [self] in
            retry = nil
            sendInit(context: context)
        }
    }

    private func cancelRetry() {
        retry?.cancel()
        retry = nil
    }
}
