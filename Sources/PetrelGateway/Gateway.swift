import Logging
import NIOCore
import PetrelKeyExpr
import PetrelSession
import PetrelTime
import PetrelTransport
import PetrelWire
import Synchronization

/// The agent's gateway role: devices on serial lines, UDP or TCP open Zenoh
/// client sessions with the agent, and the agent carries them upstream over
/// its own session. One hop, no mesh: a device's subscribers, queryables and
/// tokens become declarations of the agent's session at the router; its
/// publications and queries go upstream and to the other devices; what
/// arrives from upstream reaches the devices that declared interest in it.
///
/// Towards a device the gateway behaves as a router: it answers the handshake
/// as `router`, and answers a client's interests with the subscribers and
/// queryables the device reaches through it (the network's, which the agent's
/// session watches with one interest of its own, the agent's and the other
/// devices'), now and as they come and go; tokens come through the router.
/// While no router is connected, the offline buffer (when there is one) is a
/// subscriber to every key: devices' publishers keep writing, and their
/// readings wait in the buffer.
public final class Gateway: TransportDelegate, Sendable {
    let session: Session
    let logger: Logger
    let faces = Mutex<[UInt32: Face]>([:])
    private let nextFaceID = Atomic<UInt32>(1)
    private let listeners = Mutex<[TransportListener]>([])
    private let totals = Mutex<Totals>(Totals())
    let work = SerialWork()
    /// A pass over the devices' interest answers is queued on `work`.
    let refreshQueued = Atomic<Bool>(false)
    /// What one device may make the gateway hold.
    public let limits: GatewayLimits
    /// The reassembly bytes all device sessions share (`limits.maxReassemblyBytesTotal`).
    public let reassemblyBudget: ReassemblyBudget
    /// Devices being closed for going over a cap: nothing more they send is handled.
    let refused = Mutex<Set<ObjectIdentifier>>([])
    /// Devices whose reads are held until the uplink has room again.
    let held = Mutex<Set<UInt32>>([])

    public struct Totals: Sendable, Equatable {
        public var sessionsAccepted: UInt64 = 0
        public var samplesFromDevices: UInt64 = 0
        public var samplesToDevices: UInt64 = 0
        public var queriesFromDevices: UInt64 = 0
        public var queriesToDevices: UInt64 = 0
        public var unknownKeyExprs: UInt64 = 0
        /// Device sessions closed for going over a cap, by cap.
        public var overLimit: [SessionLimit: UInt64] = [:]
        /// Times a device's reads were held because the uplink was congested.
        public var readsHeld: UInt64 = 0
    }

    /// What the admin space shows of one device session.
    public struct DeviceSession: Sendable, Equatable {
        public var zid: String
        public var whatAmI: String
        public var link: String
        public var subscribers: Int
        public var queryables: Int
        public var tokens: Int
        public var samplesIn: UInt64
        public var samplesOut: UInt64
    }

    /// Where devices' samples go when no router is connected (the agent's
    /// offline buffer); without it they are dropped and counted.
    let undelivered: (@Sendable (Sample) -> Void)?

    public init(session: Session, logger: Logger = Logger(label: "petrel.gateway"), limits: GatewayLimits = GatewayLimits(),
                undelivered: (@Sendable (Sample) -> Void)? = nil) {
        self.session = session
        self.logger = logger
        self.limits = limits
        self.reassemblyBudget = ReassemblyBudget(limit: limits.maxReassemblyBytesTotal)
        self.undelivered = undelivered
        // Devices' interests are answered from what the network declares, and
        // (with an offline buffer) from whether a router is there at all.
        session.watchDeclarations { [weak self] in self?.refreshInterestAnswers() }
        session.onLinkChange { [weak self] _ in self?.refreshInterestAnswers() }
    }

    /// Listens on `endpoint`; devices may connect as soon as this returns.
    /// - Throws: `TransportError.link` naming the endpoint.
    @discardableResult
    public func listen(on endpoint: Endpoint, config: TransportConfig, group: EventLoopGroup) async throws -> TransportListener {
        // The caps a device's own session handler enforces.
        var config = config
        config.limits = SessionLimits(maxInFlightBytes: limits.maxInFlightBytesPerSession,
                                      maxReassemblyBytes: limits.maxReassemblyBytesPerSession,
                                      reassemblyBudget: reassemblyBudget)
        let listener = try await TransportListener.listen(on: endpoint, config: config, group: group, delegate: self,
                                                          logger: logger) { [weak self] t in self?.accepted(t) }
        listeners.withLock { $0.append(listener) }
        return listener
    }

    /// Stops listening and closes every device session.
    public func stop() async {
        let ls = listeners.withLock { l in
            let all = l
            l.removeAll()
            return all
        }
        for l in ls { await l.close() }
        let transports = faces.withLock { $0.values.map(\.transport) }
        for t in transports { await t.end() }
        // Let declarations already on their way upstream finish in order.
        await work.finish()
    }

    public var devices: [DeviceSession] {
        faces.withLock { fs in
            fs.values.sorted { $0.id < $1.id }.map { f in
                DeviceSession(zid: "\(f.transport.parameters.remoteZID)", whatAmI: "\(f.transport.parameters.remoteWhatAmI)",
                              link: "\(f.transport.endpoint)", subscribers: f.subscribers.count, queryables: f.queryables.count,
                              tokens: f.tokenKeys.count, samplesIn: f.samplesIn, samplesOut: f.samplesOut)
            }
        }
    }

    public var statistics: Totals { totals.withLock { $0 } }

    /// Frames dropped on the serial listeners (bad CRC, length, COBS, flags,
    /// oversize): line noise, counted, never delivered.
    public var framingErrors: UInt64 {
        listeners.withLock { ls in ls.reduce(0) { $0 + UInt64($1.serialStatistics?.counters.rejected ?? 0) } }
    }

    /// A serial listener's counters and how its port was opened.
    public func serialStatistics(for endpoint: Endpoint) -> SerialLinkStatistics? {
        listeners.withLock { $0.first { $0.endpoint == endpoint }?.serialStatistics }
    }

    /// Whether a listener on `endpoint` is open.
    public func isListening(on endpoint: Endpoint) -> Bool {
        listeners.withLock { $0.contains { $0.endpoint == endpoint } }
    }

    func count(_ update: (inout Totals) -> Void) {
        totals.withLock { update(&$0) }
    }

    // MARK: Sessions coming and going

    func accepted(_ transport: any DeviceLink) {
        guard face(for: transport) != nil else { return }
        count { $0.sessionsAccepted += 1 }
        logger.info("device session open", metadata: ["link": "\(transport.endpoint)",
                                                        "device": "\(transport.parameters.remoteZID)",
                                                        "whatami": "\(transport.parameters.remoteWhatAmI)"])
    }

    /// The face of `transport`, registered on first sight; nil for a device
    /// being closed over a cap, or one more than `limits.maxSessions` (which
    /// is then closed).
    func face(for transport: any DeviceLink) -> UInt32? {
        let (id, open, known) = faces.withLock { fs -> (UInt32?, Int, Bool) in
            if let f = fs.values.first(where: { $0.transport === transport }) { return (f.refused ? nil : f.id, fs.count, true) }
            // Only a device with no face yet can be one refused for the session cap.
            if refused.withLock({ $0.contains(ObjectIdentifier(transport)) }) { return (nil, fs.count, true) }
            guard fs.count < limits.maxSessions else { return (nil, fs.count, false) }
            let id = nextFaceID.add(1, ordering: .relaxed).oldValue
            fs[id] = Face(id: id, transport: transport)
            return (id, fs.count, true)
        }
        if !known { refuse(transport, over: .sessions, "\(open) device sessions are open") }
        return id
    }

    /// Closes a device that went over a cap, with the cap's Close reason; logs
    /// and counts it once. Its declarations leave with it (`linkClosed`).
    func refuse(_ transport: any DeviceLink, over limit: SessionLimit, _ detail: String) {
        guard refused.withLock({ $0.insert(ObjectIdentifier(transport)).inserted }) else { return }
        faces.withLock { fs in
            if let f = fs.values.first(where: { $0.transport === transport }) { fs[f.id]?.refused = true }
        }
        noteOverLimit(transport, limit, detail)
        Task { await transport.end(reason: limit.closeReason) }
    }

    private func noteOverLimit(_ transport: any DeviceLink, _ limit: SessionLimit, _ detail: String) {
        count { $0.overLimit[limit, default: 0] += 1 }
        logger.warning("device closed: over the gateway's \(limit.configKey) (\(limits.value(of: limit)))",
                       metadata: ["link": "\(transport.endpoint)", "device": "\(transport.parameters.remoteZID)",
                                  "limit": "\(limit.configKey)", "detail": "\(detail)"])
    }

    public func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {
        receive(message, from: transport, reliability: reliability)
    }

    public func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {
        linkClosed(transport, error: error)
    }

    /// A message from a device.
    func receive(_ message: consuming NetworkMessage, from transport: any DeviceLink, reliability: Reliability) {
        guard let id = face(for: transport) else { return }
        let message = message
        if case .declare = message { if overDeclarationCap(message, id: id, transport) { return } }
        if case .interest = message { if overDeclarationCap(message, id: id, transport) { return } }
        switch consume message {
        case .push(let push): relayPush(push, from: id, reliability: reliability)
        case .declare(let d): handleDeclare(d, from: id)
        case .interest(let i): handleInterest(i, from: id)
        case .request(let r): handleRequest(r, from: id)
        case .response(let r): handleResponse(r, from: id)
        case .responseFinal(let f): handleResponseFinal(f, from: id)
        case .oam: break
        }
    }

    /// Whether `message` would take the device past its declarations cap (it is then closed).
    private func overDeclarationCap(_ message: NetworkMessage, id: UInt32, _ transport: any DeviceLink) -> Bool {
        let held = faces.withLock { fs -> Int? in
            guard let f = fs[id], f.declarationCount >= limits.maxDeclarationsPerSession, f.adds(message) else { return nil }
            return f.declarationCount
        }
        guard let held else { return false }
        refuse(transport, over: .declarations, "\(held) declarations held, one more sent")
        return true
    }

    /// A device's session ended: closed by either side, lease expired, link lost.
    func linkClosed(_ transport: any DeviceLink, error: TransportError?) {
        let wasRefused = refused.withLock { $0.remove(ObjectIdentifier(transport)) != nil }
        if case .overLimit(let limit, let detail) = error, !wasRefused {
            // A cap the device's own session handler enforces (bytes in flight, reassembly).
            noteOverLimit(transport, limit, detail)
        }
        let gone: Face? = faces.withLock { fs in
            guard let f = fs.values.first(where: { $0.transport === transport }) else { return nil }
            return fs.removeValue(forKey: f.id)
        }
        guard let gone else { return }
        logger.info("device session closed", metadata: ["link": "\(transport.endpoint)",
                                                          "device": "\(transport.parameters.remoteZID)",
                                                          "reason": "\(error.map { "\($0)" } ?? "closed")"])
        // Its declarations leave the network with it.
        for s in gone.upstreamSubscribers.values { s.undeclare() }
        for q in gone.upstreamQueryables.values { q.undeclare() }
        for t in gone.upstreamTokens.values { t.undeclare() }
        for l in gone.livelinessSubscribers.values { l.undeclare() }
        // The other devices' answers follow: its subscribers and queryables are gone.
        refreshInterestAnswers()
        for f in gone.forwarded.values {
            switch f {
            case .upstream(_, let done): done()
            case .local(let fan): fan.sourceDone()
            }
        }
    }

    // MARK: Publications

    private func relayPush(_ push: Push, from id: UInt32, reliability: Reliability) {
        guard let key = faces.withLock({ fs -> String? in
            fs[id]?.samplesIn += 1
            return fs[id]?.resolve(push.wireExpr)
        }), let k = try? KeyExpr(key) else {
            count { $0.unknownKeyExprs += 1 }
            logger.debug("push on an unknown key expression from a device", metadata: ["wireExpr": "\(push.wireExpr)"])
            return
        }
        count { $0.samplesFromDevices += 1 }
        var options = PutOptions()
        options.priority = push.qos.priority
        options.congestionControl = push.qos.congestionControl
        options.express = push.qos.isExpress
        options.reliability = reliability
        options.origin = id
        let outcome: Session.RelayOutcome
        switch push.body {
        case .put(let p):
            options.encoding = p.encoding
            options.attachment = p.attachment
            // As a router with timestamping would: readings get the time they passed the gateway.
            options.timestamp = p.timestamp ?? session.clock.newTimestamp()
            outcome = session.relay(.put, key: k, payload: p.payload, options: options)
            if case .undelivered = outcome {
                undelivered?(Sample(kind: .put, key: k.string, payload: p.payload, encoding: p.encoding,
                                    timestamp: options.timestamp, attachment: p.attachment))
            }
        case .del(let d):
            options.attachment = d.attachment
            options.timestamp = d.timestamp ?? session.clock.newTimestamp()
            outcome = session.relay(.delete, key: k, payload: [], options: options)
            if case .undelivered = outcome {
                undelivered?(Sample(kind: .delete, key: k.string, timestamp: options.timestamp, attachment: d.attachment))
            }
        }
        if case .congested(let uplink) = outcome { holdReads(of: id, untilRoomOn: uplink) }
    }

    /// Bytes from a device in flight: once relaying its sample found the
    /// uplink's queue over its watermark (a router slower than the device),
    /// the device's reads are held until there is room, as a Zenoh router
    /// applies backpressure to a publisher, instead of its samples piling up
    /// in the uplink's queue.
    private func holdReads(of id: UInt32, untilRoomOn uplink: UnicastTransport) {
        guard held.withLock({ $0.insert(id).inserted }) else { return }
        // A serial line is slow enough not to matter, and its few KiB of kernel buffer would overflow while held.
        guard let transport = faces.withLock({ $0[id]?.transport }), transport.endpoint.proto != .serial else {
            held.withLock { _ = $0.remove(id) }
            return
        }
        count { $0.readsHeld += 1 }
        logger.debug("uplink congested: holding a device's reads", metadata: ["device": "\(transport.parameters.remoteZID)"])
        transport.holdReads { [weak self] in
            await uplink.waitForRoom()
            self?.held.withLock { _ = $0.remove(id) }
        }
    }

    /// A sample for device `id` through its subscriber `subscriberID`.
    func deliver(_ sample: Sample, to id: UInt32, through subscriberID: UInt32) {
        guard sample.origin != id, let k = try? KeyExpr(sample.key) else { return }
        let transport: (any DeviceLink)? = faces.withLock { fs in
            guard var f = fs[id], f.deliveringSubscriber(for: k) == subscriberID else { return nil }
            f.samplesOut += 1
            fs[id] = f
            return f.transport
        }
        guard let transport else { return }
        count { $0.samplesToDevices += 1 }
        let body: PushBody
        switch sample.kind {
        case .put:
            body = .put(Put(payload: sample.payload, encoding: sample.encoding, timestamp: sample.timestamp, attachment: sample.attachment))
        case .delete:
            body = .del(Del(timestamp: sample.timestamp, attachment: sample.attachment))
        }
        let qos = NetworkQoS(priority: sample.priority, congestionControl: sample.congestionControl, express: sample.express)
        transport.deliver(Push(wireExpr: WireExpr(sample.key), body: body, qos: qos), priority: sample.priority)
    }

    func send(_ declaration: Declaration, interestID: UInt32? = nil, to id: UInt32) {
        guard let t = faces.withLock({ $0[id]?.transport }) else { return }
        t.deliver(Declare(declaration: declaration, interestID: interestID, qos: .declare), priority: .control)
    }
}
