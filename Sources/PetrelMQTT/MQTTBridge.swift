import Logging
import PetrelKeyExpr
import PetrelSession
import Synchronization

/// Bridges an MQTT broker and the Zenoh key space both ways, as a client of
/// the broker.
///
/// - MQTT -> Zenoh (mappings `in`/`both`): each message on a topic `T` matching
///   the filter is put on `prefix/T`. Retained messages are also kept (the
///   latest per key) and a queryable on the mapping's key expression answers
///   `get` with them. An empty retained message (MQTT's "clear the retained
///   value") becomes a Zenoh delete and forgets the kept value.
/// - Zenoh -> MQTT (mappings `out`/`both`): each sample on `prefix/T` is
///   published on `T` with the mapping's QoS and retain flag; a delete becomes
///   an empty retained message (which clears the broker's retained value).
///   While the broker is unreachable these wait in a bounded queue (oldest
///   dropped and counted) and go out in order after reconnecting.
/// - No echo: the bridge speaks MQTT 5 and subscribes with "no local", so the
///   broker never returns what the bridge published; and what the bridge puts
///   into Zenoh is put inside a task-local marker that its own Zenoh
///   subscribers (reached synchronously through the session's local delivery)
///   see and ignore. The router never echoes a session's puts back to it.
/// - Names without a counterpart (`a//b`, `$SYS/...`, `*`/`$`/`?`/`#` inside a
///   level, Zenoh keys with `+` or wildcards) are skipped and counted.
public final class MQTTBridge: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var broker: String
        /// `connecting` (never connected yet), `up`, `down` (lost, reconnecting).
        public var state: String
        /// MQTT -> Zenoh samples put.
        public var messagesIn: UInt64
        /// Zenoh -> MQTT messages handed to the broker connection.
        public var messagesOut: UInt64
        /// Zenoh -> MQTT messages waiting for the broker, and their bytes.
        public var queued: Int
        public var queuedBytes: Int
        /// Zenoh -> MQTT messages dropped: queue full, or refused by libmosquitto.
        public var dropped: UInt64
        /// MQTT -> Zenoh messages lost because no Zenoh router was reachable
        /// (only without a `publish` that buffers them, as the agent's uplink does).
        public var droppedInbound: UInt64
        /// Topics or keys without a counterpart in the other name space.
        public var skipped: UInt64
        /// Samples not sent back where they came from.
        public var echoesSuppressed: UInt64
        /// Retained MQTT values kept for Zenoh queries.
        public var retained: Int
        /// Successful connections to the broker (1 + reconnections).
        public var connections: UInt64
        public var lastError: String?
    }

    /// Set while the bridge puts an MQTT message into Zenoh, so that its own
    /// Zenoh subscribers, which the session calls synchronously from inside
    /// the put, recognise the sample and do not send it back to MQTT.
    @TaskLocal static var forwardingFromMQTT = false

    public let settings: MQTTBridgeSettings
    public var broker: String { settings.client.brokerDescription }
    let mappings: [TopicMapping]
    private let session: Session
    private let publish: Publish?
    private let logger: Logger
    private let client: MosquittoClient
    private let state: Mutex<State>
    private let inbound: AsyncStream<MQTTMessage>.Continuation
    private let inboundStream: AsyncStream<MQTTMessage>
    private let wake: AsyncStream<Void>.Continuation
    private let wakeStream: AsyncStream<Void>

    private let messagesIn = Atomic<UInt64>(0)
    private let messagesOut = Atomic<UInt64>(0)
    private let droppedInbound = Atomic<UInt64>(0)
    private let skipped = Atomic<UInt64>(0)
    private let echoes = Atomic<UInt64>(0)
    private let connections = Atomic<UInt64>(0)

    struct State {
        var queue: OutboundQueue
        var inflight = 0
        var publishErrors: UInt64 = 0
        var retained: [KeyExpr: [UInt8]] = [:]
        var subscribers: [Subscriber] = []
        var queryables: [Queryable] = []
        var tasks: [Task<Void, Never>] = []
        var lastError: String?
        var started = false
    }

    /// Holds the bridge for the client's callbacks, which are made before the
    /// bridge exists.
    private final class Relay: @unchecked Sendable {
        weak var bridge: MQTTBridge?
    }

    /// Puts an MQTT message into Zenoh (kind, key, payload) instead of the
    /// session's own put: the agent passes its uplink, so that messages that
    /// arrive while no router is connected wait in the offline buffer.
    public typealias Publish = @Sendable (Sample.Kind, String, [UInt8]) async throws -> Void

    /// Checks the mappings and creates the broker connection (not yet connected).
    ///
    /// - Throws: `TopicMappingError` for a filter with no key expression
    ///   (`$SYS/#`, `a//b`), `MQTTError` for options libmosquitto refuses.
    public init(settings: MQTTBridgeSettings, session: Session, logger: Logger, publish: Publish? = nil) throws {
        var mappings: [TopicMapping] = []
        for m in settings.mappings {
            mappings.append(try TopicMapping(filter: m.topic, prefix: m.key))
        }
        self.mappings = mappings
        self.settings = settings
        self.session = session
        self.publish = publish
        self.logger = logger
        self.state = Mutex(State(queue: OutboundQueue(maxMessages: settings.queueMaxMessages, maxBytes: settings.queueMaxBytes)))
        (inboundStream, inbound) = AsyncStream<MQTTMessage>.makeStream()
        (wakeStream, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let relay = Relay()
        var callbacks = MosquittoClient.Callbacks()
        let inbound = self.inbound
        callbacks.connected = { relay.bridge?.brokerConnected() }
        callbacks.connectionFailed = { relay.bridge?.brokerFailed($0) }
        callbacks.message = { inbound.yield($0) }
        callbacks.published = { _ in relay.bridge?.publicationDone() }
        client = try MosquittoClient(options: settings.client, callbacks: callbacks)
        relay.bridge = self
    }

    /// Declares the Zenoh side (subscribers for `out`, queryables for `in`)
    /// and starts connecting to the broker in the background.
    public func start() async throws {
        guard state.withLock({ s in
            defer { s.started = true }
            return !s.started
        }) else { return }
        for (n, (mapping, config)) in zip(mappings, settings.mappings).enumerated() {
            if config.direction.carriesOutbound {
                let qos = config.qos
                let retain = config.retain
                let sub = try await session.declareSubscriber(mapping.keyExpr.string) { [weak self] sample in
                    self?.fromZenoh(sample, mapping: mapping, qos: qos, retain: retain)
                }
                state.withLock { $0.subscribers.append(sub) }
            }
            if config.direction.carriesInbound {
                let q = try await session.declareQueryable(mapping.keyExpr.string) { [weak self] query in
                    self?.answer(query)
                }
                state.withLock { $0.queryables.append(q) }
            }
            logger.debug("MQTT mapping", metadata: ["index": "\(n)", "topic": "\(mapping.filter)", "key": "\(mapping.keyExpr)",
                                                    "direction": "\(config.direction.rawValue)"])
        }
        let inboundTask = Task { [weak self, inboundStream] in
            for await message in inboundStream {
                guard let self else { return }
                await self.toZenoh(message)
            }
        }
        let flushTask = Task { [weak self, wakeStream] in
            for await _ in wakeStream {
                guard let self else { return }
                self.drain()
            }
        }
        state.withLock { $0.tasks += [inboundTask, flushTask] }
        client.start()
        logger.info("MQTT bridge started", metadata: ["broker": "\(broker)", "mappings": "\(mappings.count)"])
    }

    /// Disconnects from the broker, undeclares the Zenoh side, ends the tasks.
    /// Messages still queued for the broker are dropped.
    public func stop() async {
        client.stop()
        let (subs, queryables, tasks) = state.withLock { s in
            let r = (s.subscribers, s.queryables, s.tasks)
            s.subscribers = []
            s.queryables = []
            s.tasks = []
            return r
        }
        for s in subs { s.undeclare() }
        for q in queryables { q.undeclare() }
        inbound.finish()
        wake.finish()
        for t in tasks { t.cancel() }
    }

    public func snapshot() -> Snapshot {
        let s = state.withLock { s in (s.queue.count, s.queue.bytes, s.queue.dropped &+ s.publishErrors, s.retained.count, s.lastError) }
        let conns = connections.load(ordering: .relaxed)
        return Snapshot(broker: broker, state: client.isConnected ? "up" : (conns == 0 ? "connecting" : "down"),
                        messagesIn: messagesIn.load(ordering: .relaxed), messagesOut: messagesOut.load(ordering: .relaxed),
                        queued: s.0, queuedBytes: s.1, dropped: s.2, droppedInbound: droppedInbound.load(ordering: .relaxed),
                        skipped: skipped.load(ordering: .relaxed), echoesSuppressed: echoes.load(ordering: .relaxed),
                        retained: s.3, connections: conns, lastError: s.4)
    }

    // MARK: Broker events (loop thread)

    private func brokerConnected() {
        let n = connections.add(1, ordering: .relaxed).newValue
        state.withLock { s in
            s.lastError = nil
            // libmosquitto re-sends what was in flight itself; count afresh.
            s.inflight = 0
        }
        logger.info(n == 1 ? "connected to the MQTT broker" : "reconnected to the MQTT broker", metadata: ["broker": "\(broker)"])
        // A clean session starts without subscriptions: (re)subscribe.
        for (mapping, config) in zip(mappings, settings.mappings) where config.direction.carriesInbound {
            do throws(MQTTError) {
                try client.subscribe(mapping.filter, qos: config.qos, noLocal: true, retainAsPublished: true)
            } catch {
                logger.error("MQTT subscribe failed", metadata: ["error": "\(error)"])
            }
        }
        wake.yield()
    }

    private func brokerFailed(_ error: MQTTError) {
        let isNew = state.withLock { s in
            defer { s.lastError = error.description }
            return s.lastError != error.description
        }
        // One line per distinct problem, not one per back-off attempt.
        if isNew { logger.warning("MQTT broker unreachable; retrying with back-off", metadata: ["error": "\(error)"]) }
    }

    private func publicationDone() {
        let wasFull = state.withLock { s in
            defer { s.inflight = max(0, s.inflight - 1) }
            return s.inflight >= settings.inflightWindow
        }
        if wasFull { wake.yield() }
    }

    // MARK: MQTT -> Zenoh

    private func toZenoh(_ m: MQTTMessage) async {
        var keys: [KeyExpr] = []
        for (mapping, config) in zip(mappings, settings.mappings) where config.direction.carriesInbound {
            if let k = mapping.key(forTopic: m.topic), !keys.contains(k) { keys.append(k) }
        }
        guard !keys.isEmpty else {
            noteSkipped("MQTT topic has no Zenoh key (empty level, or '$', '*', '?', '#' in a level); not bridged", m.topic)
            return
        }
        let clearsRetained = m.retain && m.payload.isEmpty
        if m.retain {
            state.withLock { s in
                for k in keys {
                    if clearsRetained { s.retained.removeValue(forKey: k) } else { s.retained[k] = m.payload }
                }
            }
        }
        await Self.$forwardingFromMQTT.withValue(true) {
            for k in keys {
                do {
                    if let publish {
                        try await publish(clearsRetained ? .delete : .put, k.string, m.payload)
                    } else if clearsRetained {
                        try await session.delete(k.string)
                    } else {
                        try await session.put(k.string, m.payload)
                    }
                    messagesIn.add(1, ordering: .relaxed)
                } catch {
                    droppedInbound.add(1, ordering: .relaxed)
                }
            }
        }
    }

    private func answer(_ query: Query) {
        guard let asked = try? KeyExpr(query.key) else { return }
        let hits = state.withLock { s in s.retained.filter { asked.intersects($0.key) } }
        for (key, payload) in hits.sorted(by: { $0.key.string < $1.key.string }) {
            query.reply(key.string, payload)
        }
    }

    // MARK: Zenoh -> MQTT

    private func fromZenoh(_ sample: Sample, mapping: TopicMapping, qos: Int, retain: Bool) {
        if Self.forwardingFromMQTT {
            echoes.add(1, ordering: .relaxed)
            return
        }
        guard let topic = mapping.topic(forKey: sample.key) else {
            noteSkipped("Zenoh key has no MQTT topic ('+' in a chunk, wildcards, or outside the filter); not bridged", sample.key)
            return
        }
        let message = sample.kind == .delete
            ? OutboundMessage(topic: topic, payload: [], qos: qos, retain: true)
            : OutboundMessage(topic: topic, payload: Array(sample.payload), qos: qos, retain: retain)
        state.withLock { $0.queue.append(message) }
        wake.yield()
    }

    /// Hands queued messages to libmosquitto while connected, at most
    /// `inflightWindow` unacknowledged at a time, in queue order.
    private func drain() {
        while client.isConnected {
            let window = settings.inflightWindow
            let next: OutboundMessage? = state.withLock { s in
                guard s.inflight < window, let m = s.queue.removeFirst() else { return nil }
                s.inflight += 1
                return m
            }
            guard let m = next else { return }
            do throws(MQTTError) {
                try client.publish(topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain)
                messagesOut.add(1, ordering: .relaxed)
            } catch {
                if error.code == 4 /* MOSQ_ERR_NO_CONN */ {
                    if m.qos > 0 {
                        // libmosquitto keeps QoS 1/2 messages and sends them after reconnecting.
                        messagesOut.add(1, ordering: .relaxed)
                    } else {
                        state.withLock { s in
                            s.queue.prepend(m)
                            s.inflight = max(0, s.inflight - 1)
                        }
                    }
                    return
                }
                state.withLock { s in
                    s.publishErrors &+= 1
                    s.inflight = max(0, s.inflight - 1)
                }
                logger.warning("MQTT publish refused; message dropped", metadata: ["error": "\(error)"])
            }
        }
    }

    private func noteSkipped(_ what: String, _ name: String) {
        let n = skipped.add(1, ordering: .relaxed).newValue
        if n <= 10 || n % 1000 == 0 {
            logger.notice("\(what)", metadata: ["name": "\(name)", "skipped": "\(n)"])
        }
    }
}
