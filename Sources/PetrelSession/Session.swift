import Logging
import NIOCore
import NIOPosix
import PetrelKeyExpr
import PetrelTime
import PetrelTransport
import PetrelWire
import Synchronization

/// A Zenoh session: one client connection to a router at a time, kept up by
/// reconnecting with back-off, and the declarations (key expressions,
/// subscribers, queryables, tokens, interests) re-sent on every new connection
/// so the application sees one continuous session. With `mode = .peer` it
/// instead keeps one transport with each other peer, listening and dialling
/// at once (see Peers/Session+Peers.swift).
public final class Session: Sendable {
    public let config: SessionConfig
    public let zid: ZenohID
    public let clock: HybridLogicalClock
    let logger: Logger
    let group: EventLoopGroup
    let ownsGroup: Bool
    let state: Mutex<SessionState>
    let counters = SessionCounters()
    let streamFinishers = StreamFinishers()
    /// Lets a put skip the lock when no local subscriber could want it.
    let localSubscriberCount = Atomic<Int>(0)
    private let linkObservers = Mutex<[@Sendable (Bool) -> Void]>([])
    let link = Mutex<LinkState>(LinkState())
    let delegate: SessionTransportDelegate
    /// Peer mode's transports and gossip (empty for a client).
    let peers = Mutex(PeerMesh())

    struct LinkState {
        var transport: UnicastTransport?
        var connectTask: Task<Void, Never>?
        var connectedWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
        var connections = 0
        /// The last refusal (credentials, certificates) a router answered, for
        /// an open that gives up: "wrong password" beats "no router reachable".
        var lastRefusal: TransportError?
    }

    private init(config: SessionConfig, group: EventLoopGroup?, logger: Logger) {
        var config = config
        // A peer opens every transport, accepted or dialled, as a peer (whatami in Init).
        if config.mode == .peer { config.transport.whatAmI = .peer }
        self.config = config
        self.zid = config.zid
        self.clock = HybridLogicalClock(id: config.zid)
        self.logger = logger
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.ownsGroup = group == nil
        self.state = Mutex(SessionState())
        self.delegate = SessionTransportDelegate()
    }

    /// Opens a session. With `waitForRouter`, fails with
    /// `SessionError.noRouterReachable` unless a router answers within that
    /// time (a peer: `noPeerReachable` unless a first peer is linked); without,
    /// returns at once and connects in the background. A peer's listen
    /// endpoint that cannot be bound fails the open with the transport's error.
    public static func open(_ config: SessionConfig, waitForRouter: Duration? = nil,
                            group: EventLoopGroup? = nil, logger: Logger = Logger(label: "petrel.session")) async throws -> Session {
        let session = Session(config: config, group: group, logger: logger)
        session.delegate.session = session
        if config.mode == .peer {
            do {
                try await session.startPeer()
            } catch {
                await session.close()
                throw error
            }
        } else {
            session.startConnecting()
        }
        await session.startScouting()
        if let wait = waitForRouter {
            let connected = await session.waitUntilConnected(timeout: wait)
            if !connected {
                await session.close()
                if let refusal = session.link.withLock({ $0.lastRefusal }) {
                    throw SessionError.refused(refusal.description)
                }
                let tried = config.connect.isEmpty ? ["multicast scouting on \(config.scouting.multicast.address)"] : config.connect.map(\.description)
                if config.mode == .peer { throw SessionError.noPeerReachable(tried + config.listen.map { "listening on \($0)" }, wait) }
                throw SessionError.noRouterReachable(tried, wait)
            }
        }
        return session
    }

    /// The event loops the session's links run on (shared with the gateway's listeners).
    public var eventLoopGroup: EventLoopGroup { group }

    /// The router we are connected to, if any.
    public var currentTransport: UnicastTransport? { link.withLock { $0.transport } }
    public var isConnected: Bool { currentTransport?.isOpen ?? false }
    /// How many times a link was established (1 + reconnections).
    public var connectionCount: Int { link.withLock { $0.connections } }
    public var statistics: SessionCounters.Snapshot { counters.snapshot() }

    /// Waits until a router is connected, or `timeout` passes. Returns whether connected.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        if isConnected { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now: Bool = self.link.withLock { l in
                        if l.transport?.isOpen == true || l.closed { return true }
                        l.connectedWaiters.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
                return self.isConnected
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                // Release the waiter so the first child can finish.
                let waiters = self.link.withLock { l in
                    let w = l.connectedWaiters
                    l.connectedWaiters = []
                    return w
                }
                for w in waiters { w.resume() }
            }
            group.cancelAll()
            return first || self.isConnected
        }
    }

    /// Closes the session: undeclares nothing (the router forgets a closed
    /// session), sends Close, stops reconnecting.
    public func close() async {
        let (transport, task, waiters): (UnicastTransport?, Task<Void, Never>?, [CheckedContinuation<Void, Never>]) = link.withLock { l in
            l.closed = true
            let w = l.connectedWaiters
            l.connectedWaiters = []
            return (l.transport, l.connectTask, w)
        }
        for w in waiters { w.resume() }
        task?.cancel()
        if let transport { await transport.close() }
        await closePeers()
        failAllPendingQueries()
        finishAllStreams()
        guard ownsGroup else { return }
        if let task {
            // A connection attempt may still be under way on the group (the
            // cancelled loop notices between attempts): shut the group down once
            // it has ended, not under it, and without making close() wait for it.
            let group = self.group
            Task { await task.value; try? await group.shutdownGracefully() }
        } else {
            try? await group.shutdownGracefully()
        }
    }

    var isClosed: Bool { link.withLock { $0.closed } }

    // MARK: Connection loop

    private func startConnecting() {
        let task = Task { [weak self] in
            guard let self else { return }
            await self.connectLoop()
        }
        link.withLock { $0.connectTask = task }
    }

    private func connectLoop() async {
        var attempt = 0
        while !Task.isCancelled && !isClosed {
            var endpoints = config.connect
            // No router named: find one by multicast scouting, if allowed.
            if endpoints.isEmpty { endpoints = await scoutForEndpoints() }
            for endpoint in endpoints {
                if Task.isCancelled || isClosed { return }
                do {
                    let t = try await UnicastTransport.connect(to: endpoint, config: config.transport, group: group,
                                                               delegate: delegate, logger: logger)
                    attempt = 0
                    if installTransport(t) {
                        // Stay until the link goes away.
                        try? await t.closeFuture.get()
                    } else {
                        await t.close()
                        return
                    }
                    break
                } catch let error as TransportError where error.isRefusal {
                    // Retrying goes on (a router's dictionary or certificate may be
                    // fixed meanwhile), but someone has to act: a warning each time.
                    link.withLock { $0.lastRefusal = error }
                    logger.warning("connect refused", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                } catch {
                    logger.debug("connect failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
            }
            if Task.isCancelled || isClosed { return }
            let delay = config.reconnect.delay(attempt: attempt)
            attempt += 1
            try? await Task.sleep(for: delay)
        }
    }

    /// Makes `t` the session's link and re-declares everything on it.
    private func installTransport(_ t: UnicastTransport) -> Bool {
        let waiters: [CheckedContinuation<Void, Never>]? = link.withLock { l in
            if l.closed { return nil }
            l.transport = t
            l.connections += 1
            let w = l.connectedWaiters
            l.connectedWaiters = []
            return w
        }
        guard let waiters else { return false }
        if connectionCount > 1 { counters.add(.reconnects, 1) }
        redeclareAll(on: t)
        for w in waiters { w.resume() }
        notifyLinkObservers(up: true)
        return true
    }

    /// Calls `handler(true)` each time a link to a router comes up and
    /// `handler(false)` each time it goes down (on the link's thread; keep it short).
    public func onLinkChange(_ handler: @escaping @Sendable (Bool) -> Void) {
        linkObservers.withLock { $0.append(handler) }
    }

    func notifyLinkObservers(up: Bool) {
        for h in linkObservers.withLock({ $0 }) { h(up) }
    }

    func transportClosed(_ t: UnicastTransport, error: TransportError?) {
        if isPeer { return peerTransportClosed(t, error: error) }
        link.withLock { l in
            if l.transport === t { l.transport = nil }
        }
        if let error { logger.warning("link down", metadata: ["endpoint": "\(t.endpoint)", "reason": "\(error)"]) }
        // Queries in flight on that link cannot get their finals any more.
        failAllPendingQueries()
        forgetRemoteState()
        notifyLinkObservers(up: false)
    }

    // MARK: Sending

    /// Sends a network message on the current link; false when there is none.
    @discardableResult
    func send<M: WireEncodable>(_ m: M, priority: Priority = .data, reliability: Reliability = .reliable, express: Bool = false) -> Bool {
        if isPeer { return sendToPeers(m, priority: priority, reliability: reliability, express: express) }
        guard let t = currentTransport else { return false }
        return t.send(m, priority: priority, reliability: reliability, express: express)
    }

    /// Declarations travel on the Control priority with Block, as Rust sends them.
    func sendDeclare(_ d: Declaration, interestID: UInt32? = nil, on t: UnicastTransport? = nil) {
        let declare = Declare(declaration: d, interestID: interestID, qos: .declare)
        if let t { t.send(declare, priority: .control) } else { send(declare, priority: .control) }
    }
}

/// Bridges transport callbacks (on the event loop) to the session.
final class SessionTransportDelegate: TransportDelegate, @unchecked Sendable {
    /// Unowned, not weak: a weak load per received message, and the release
    /// after it, went through the session's side-table reference count (5% of
    /// a subscriber's time). Safe because the session outlives every delivery:
    /// deliveries run inside the link's channelRead; the session's connect
    /// loop holds the session strongly for as long as a link is up, and
    /// `close()` returns only after the link's channel has closed.
    unowned(unsafe) var session: Session?

    func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {
        guard let session else { return }
        if session.isPeer {
            session.handleFromPeer(consume message, from: transport, reliability: reliability)
        } else {
            session.handle(consume message, from: transport, reliability: reliability)
        }
    }

    func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {
        session?.transportClosed(transport, error: error)
    }
}
