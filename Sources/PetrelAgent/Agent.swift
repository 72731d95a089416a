import Dispatch
import Logging
import NIOCore
import PetrelGateway
import PetrelKeyExpr
import PetrelMQTT
import PetrelSession
import PetrelTime
import PetrelTransport
import PetrelWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon a board runs: one Zenoh session to the upstream router (kept up
/// by reconnecting), the admin space, systemd integration, and the bridges and
/// storages its configuration asks for.
public final class Agent: Sendable {
    public let zid: ZenohID
    let logger: Logger
    let started = ContinuousClock.now
    private let state: Mutex<State>
    private let stopped = Mutex<[CheckedContinuation<Void, Never>]?>([])
    let notifier: SystemdNotifier

    struct State {
        var config: AgentConfig
        var session: Session?
        var tasks: [Task<Void, Never>] = []
        var dataDirectory: String?
        var token: LivelinessToken?
        var mqtt: MQTTBridge?
        var serial: SerialBridgeGroup?
        var uplink: Uplink?
        var offline: OfflineBuffer?
        var storages: StorageGroup?
        var gateway: Gateway?
    }

    public init(config: AgentConfig, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.zid = config.id ?? .random()
        self.logger = logger
        self.notifier = notifier
        var c = config
        c.id = zid
        state = Mutex(State(config: c))
    }

    public var config: AgentConfig { state.withLock { $0.config } }
    public var session: Session? { state.withLock { $0.session } }
    /// The way upstream that survives outages (see `Uplink`).
    public var uplink: Uplink? { state.withLock { $0.uplink } }
    /// The MQTT bridge, when the config has an `mqtt` section.
    public var mqttBridge: MQTTBridge? { state.withLock { $0.mqtt } }
    var serialBridgeGroup: SerialBridgeGroup? { state.withLock { $0.serial } }

    /// Starts everything and returns; `waitUntilStopped()` blocks until `stop()`.
    public func start() async throws {
        let config = self.config
        // A data directory for the offline buffer and storages; a board without
        // a writable one still runs (logged), it just cannot buffer.
        do {
            let dir = try DataDirectory.resolve(configured: config.buffer.dir)
            state.withLock { $0.dataDirectory = dir }
        } catch {
            logger.warning("no data directory; buffering disabled", metadata: ["reason": "\(error)"])
        }
        var sessionConfig = config.sessionConfig()
        sessionConfig.transport.zid = zid
        let session = try await Session.open(sessionConfig, waitForRouter: nil, logger: logger)
        state.withLock { $0.session = session }

        // The way upstream: live while a router is connected, the durable
        // offline log under the data directory while it is not.
        var offline: OfflineBuffer?
        if let dir = state.withLock({ $0.dataDirectory }) {
            do {
                offline = try OfflineBuffer.open(directory: dir + "/buffer", config: config.buffer, logger: logger)
                if let pending = offline?.waitingCount, pending > 0 {
                    logger.info("offline buffer recovered", metadata: ["samples": "\(pending)", "dir": "\(dir)/buffer"])
                }
            } catch {
                logger.error("offline buffer unavailable; samples produced while no router is connected will be dropped",
                             metadata: ["reason": "\(error)"])
            }
        }
        let uplink = Uplink(session: session, buffer: offline, logger: logger)
        state.withLock { s in
            s.uplink = uplink
            s.offline = offline
        }
        let storages = try await StorageGroup.start(config.storages, dataDirectory: state.withLock { $0.dataDirectory },
                                                    session: session, logger: logger)
        state.withLock { $0.storages = storages }
        logger.info("agent started", metadata: ["zid": "\(zid)", "connect": "\(config.connect.endpoints.map(\.description))"])

        if config.adminSpace {
            let admin = AdminSpace(zid: zid.description) { [weak self] in self?.status() ?? AgentStatus.empty }
            _ = try await session.declareQueryable(admin.keyExpr) { query in
                guard let asked = try? KeyExpr(query.key) else { return }
                for entry in admin.entries() {
                    guard let key = try? KeyExpr(entry.key), asked.intersects(key) else { continue }
                    query.reply(entry.key, Array(entry.json.utf8), encoding: .applicationJSON)
                }
            }
        }

        // The MQTT bridge connects (and reconnects) in the background; a
        // mapping that cannot be bridged stops the start with its reason.
        if let mqtt = config.mqtt {
            // Through the uplink: messages that arrive while no router is connected wait in the offline buffer.
            let clock = session.clock
            let bridge = try MQTTBridge(settings: mqtt.bridgeSettings(zid: zid), session: session, logger: logger) { [weak uplink] kind, key, payload in
                await uplink?.publish(UplinkSample(kind: kind, key: key, payload: payload, timestamp: clock.newTimestamp()))
            }
            state.withLock { $0.mqtt = bridge }
            try await bridge.start()
        }

        // The gateway role: devices' sessions on the listen endpoints (a
        // peer's listen endpoints are its session's, for other peers).
        if !config.listen.isEmpty && config.mode == .client {
            // A device's readings while the router is away wait in the offline buffer like the agent's own.
            let gateway = Gateway(session: session, logger: logger, limits: config.gatewayLimits) { [weak uplink] sample in
                guard let uplink, let ts = sample.timestamp else { return }
                uplink.keepForReplay(UplinkSample(kind: sample.kind, key: sample.key, payload: Array(sample.payload),
                                                  encoding: sample.encoding, timestamp: ts, attachment: sample.attachment.map(Array.init)))
            }
            state.withLock { $0.gateway = gateway }
            var transport = sessionConfig.transport
            transport.whatAmI = .router
            for endpoint in config.listen {
                let task = Task { [logger] in
                    await Self.keepListening(gateway, on: endpoint, transport: transport, group: session.eventLoopGroup, logger: logger)
                }
                state.withLock { $0.tasks.append(task) }
            }
        }

        // Serial sensors: a port that is not there yet is retried in the background.
        if let serial = try await SerialBridgeGroup.start(config.serial, session: session, uplink: uplink, logger: logger) {
            state.withLock { $0.serial = serial }
        }

        // Presence and a heartbeat: upstream sees which boards are alive
        // (liveliness) and how they are doing (the status JSON, periodically).
        let heartbeatKey = config.heartbeat.key.replacingHostname(with: Self.hostname())
        if let token = try? await session.declareToken("petrel/agents/\(zid)") {
            state.withLock { $0.token = token }
        }
        if config.heartbeat.intervalSeconds > 0 {
            let interval = Duration.milliseconds(Int64(config.heartbeat.intervalSeconds * 1000))
            let task = Task { [weak self] in
                var wasConnected = false
                var lastBeat = ContinuousClock.now - interval
                while !Task.isCancelled, let self, let session = self.session {
                    // Beat at once on (re)connection, then every interval.
                    let connected = session.isConnected
                    if connected && (!wasConnected || ContinuousClock.now - lastBeat >= interval) {
                        try? await session.put(heartbeatKey, Array(self.statusJSON().utf8), options: {
                            var o = PutOptions(); o.encoding = .applicationJSON; return o
                        }())
                        lastBeat = ContinuousClock.now
                    }
                    wasConnected = connected
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            state.withLock { $0.tasks.append(task) }
        }

        try? notifier.ready(status: "connecting to \(config.connect.endpoints.map(\.description).joined(separator: ", "))")
        if let interval = notifier.watchdogInterval {
            let task = Task { [notifier] in
                while !Task.isCancelled {
                    try? notifier.watchdog()
                    try? await Task.sleep(for: interval)
                }
            }
            state.withLock { $0.tasks.append(task) }
        }
    }

    /// Opens a listener, retrying with back-off while the endpoint cannot be
    /// bound (address in use, interface not up yet).
    static func keepListening(_ gateway: Gateway, on endpoint: Endpoint, transport: TransportConfig,
                              group: EventLoopGroup, logger: Logger) async {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled {
            do {
                try await gateway.listen(on: endpoint, config: transport, group: group)
                return
            } catch {
                logger.warning("cannot listen; retrying", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)",
                                                                      "retryIn": "\(delay)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(30))
        }
    }

    /// Blocks until `stop()` has finished.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let already = stopped.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(c)
                return false
            }
            if already { c.resume() }
        }
    }

    /// Closes the session with a Close message and stops every task.
    public func stop() async {
        try? notifier.stopping()
        let (session, tasks, mqtt, serial) = state.withLock { s in
            let r = (s.session, s.tasks, s.mqtt, s.serial)
            s.session = nil
            s.tasks = []
            s.mqtt = nil
            s.serial = nil
            return r
        }
        for t in tasks { t.cancel() }
        if let gateway = state.withLock({ s -> Gateway? in
            defer { s.gateway = nil }
            return s.gateway
        }) { await gateway.stop() }
        await mqtt?.stop()
        await serial?.stop(logger: logger)
        let (uplink, offline, storages) = state.withLock { s in
            let r = (s.uplink, s.offline, s.storages)
            s.uplink = nil
            s.offline = nil
            s.storages = nil
            return r
        }
        uplink?.stop()
        storages?.stop()
        if let session { await session.close() }
        // Whatever is still waiting stays on disk for the next start.
        await uplink?.finishWriting()
        try? offline?.log.close()
        logger.info("agent stopped", metadata: ["zid": "\(zid)"])
        let waiters = stopped.withLock { w -> [CheckedContinuation<Void, Never>] in
            let out = w ?? []
            w = nil
            return out
        }
        for w in waiters { w.resume() }
    }

    /// Applies what can change without a restart: the log level for now.
    /// Endpoints and sections that own resources are read at start.
    public func reload(_ newConfig: AgentConfig) {
        try? notifier.reloading()
        state.withLock { s in
            var c = newConfig
            c.id = zid
            s.config.logLevel = c.logLevel
        }
        logger.info("configuration reloaded", metadata: ["logLevel": "\(newConfig.logLevel)"])
        try? notifier.ready()
    }

    func statusJSON() -> String {
        AdminSpace(zid: zid.description) { [weak self] in self?.status() ?? .empty }.entries().first?.json ?? "{}"
    }

    static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "localhost" }
        let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Key expressions forbid '*', '$', '#', '?' and empty chunks; host names do not carry them.
        return name.isEmpty ? "localhost" : name
    }

    /// What the admin space reports.
    func status() -> AgentStatus {
        let (config, session, offline, storages, uplink) = state.withLock { ($0.config, $0.session, $0.offline, $0.storages, $0.uplink) }
        var buffer: [String: UInt64] = [:]
        if let log = offline?.log.snapshot() {
            buffer = ["bytes": UInt64(log.bytes), "waiting": UInt64(log.pendingRecords), "appended": log.appended,
                      "droppedOldest": log.droppedOldest, "droppedNewest": log.droppedNewest, "droppedAge": log.droppedAge,
                      "maxBytes": UInt64(config.buffer.maxBytes)]
        }
        if let u = uplink?.counters {
            buffer["live"] = u.live
            buffer["buffered"] = u.buffered
            buffer["replayed"] = u.replayed
            buffer["refused"] = u.refused
        }
        let stats = session?.statistics ?? SessionCounters.Snapshot()
        var links: [AgentStatus.Link] = []
        let transport = session?.currentTransport
        // A peer has no upstream: its links and sessions are listed below.
        let upstreamEndpoints = config.mode == .client ? config.connect.endpoints : []
        for endpoint in upstreamEndpoints {
            if let t = transport, t.endpoint == endpoint, t.isOpen {
                links.append(.init(endpoint: endpoint.description, role: "upstream", state: "up",
                                   peer: t.parameters.remoteZID.description, batchSize: t.parameters.batchSize,
                                   leaseMs: t.parameters.remoteLeaseMilliseconds))
            } else {
                links.append(.init(endpoint: endpoint.description, role: "upstream", state: "down", peer: nil, batchSize: nil, leaseMs: nil))
            }
        }
        var sessions: [AgentStatus.SessionInfo] = []
        var gatewayStatus: [String: UInt64]?
        if let t = transport, t.isOpen, config.mode == .client {
            sessions.append(.init(role: "upstream", peer: t.parameters.remoteZID.description,
                                  whatAmI: "\(t.parameters.remoteWhatAmI)", link: t.endpoint.description))
        }
        if let gateway = state.withLock({ $0.gateway }) {
            for endpoint in config.listen {
                let serial = gateway.serialStatistics(for: endpoint)
                links.append(.init(endpoint: endpoint.description, role: "listen", state: gateway.isListening(on: endpoint) ? "up" : "down",
                                   peer: nil, batchSize: nil, leaseMs: nil,
                                   framingErrors: serial.map { UInt64($0.counters.rejected) }, backend: serial?.backend?.rawValue))
            }
            for d in gateway.devices {
                sessions.append(.init(role: "device", peer: d.zid, whatAmI: d.whatAmI, link: d.link, subscribers: d.subscribers,
                                      queryables: d.queryables, tokens: d.tokens, samplesIn: d.samplesIn, samplesOut: d.samplesOut))
            }
            gatewayStatus = Self.gatewayStatus(gateway)
        }
        if config.mode == .peer, let session {
            let peers = session.connectedPeers
            for endpoint in config.connect.endpoints {
                let up = peers.first { $0.endpoint == endpoint }
                links.append(.init(endpoint: endpoint.description, role: "connect", state: up == nil ? "down" : "up",
                                   peer: up?.zid.description, batchSize: nil, leaseMs: nil))
            }
            for locator in session.listenLocators {
                links.append(.init(endpoint: locator, role: "listen", state: "up", peer: nil, batchSize: nil, leaseMs: nil))
            }
            for p in peers {
                sessions.append(.init(role: "peer", peer: p.zid.description, whatAmI: "\(p.whatAmI)", link: p.endpoint.description))
            }
        }
        let elapsed = ContinuousClock.now - started
        return AgentStatus(
            zid: zid.description, mode: config.mode.rawValue,
            uptimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            links: links, sessions: sessions,
            counters: .init(samplesIn: stats.samplesIn, samplesOut: stats.samplesOut, queriesIn: stats.queriesIn,
                            queriesOut: stats.queriesOut, repliesIn: stats.repliesIn, drops: stats.dropsDisconnected,
                            reconnects: stats.reconnects, framingErrors: state.withLock { $0.gateway }?.framingErrors ?? 0),
            buffer: buffer, storages: storages?.sizes ?? [:],
            version: .init(petrel: PetrelVersion.string, zenohProtocol: 9, swift: PetrelVersion.swift),
            gateway: gatewayStatus,
            alignment: storages?.alignmentCounters)
    }

    /// The gateway's counters for the admin space: sessions accepted, devices
    /// closed over each cap (`overLimit.<config key>`), and the reassembly
    /// bytes all devices hold now.
    static func gatewayStatus(_ gateway: Gateway) -> [String: UInt64] {
        let totals = gateway.statistics
        var g: [String: UInt64] = ["sessionsAccepted": totals.sessionsAccepted, "devices": UInt64(gateway.devices.count),
                                   "reassemblyBytes": UInt64(max(gateway.reassemblyBudget.inUse, 0)), "readsHeld": totals.readsHeld]
        for limit in SessionLimit.allCases {
            g["overLimit.\(limit.configKey)"] = totals.overLimit[limit] ?? 0
        }
        return g
    }
}

extension AgentStatus {
    static let empty = AgentStatus(zid: "", mode: "client", uptimeSeconds: 0, links: [],
                                   counters: .init(samplesIn: 0, samplesOut: 0, queriesIn: 0, queriesOut: 0, repliesIn: 0,
                                                   drops: 0, reconnects: 0, framingErrors: 0),
                                   buffer: [:], storages: [:], version: .init(petrel: PetrelVersion.string, zenohProtocol: 9, swift: PetrelVersion.swift))
}
