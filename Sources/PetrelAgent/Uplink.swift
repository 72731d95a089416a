import Logging
import PetrelKeyExpr
import PetrelSession
import PetrelSystem
import PetrelTime
import PetrelWire
import Synchronization

/// A sample on its way upstream, as the offline buffer keeps it: always with
/// the timestamp it was taken at, so a late delivery still says when.
public struct UplinkSample: Sendable, Equatable {
    public var kind: Sample.Kind
    public var key: String
    public var payload: [UInt8]
    public var encoding: Encoding
    public var timestamp: Timestamp
    public var attachment: [UInt8]?

    public init(kind: Sample.Kind, key: String, payload: [UInt8], encoding: Encoding = .zenohBytes,
                timestamp: Timestamp, attachment: [UInt8]? = nil) {
        self.kind = kind
        self.key = key
        self.payload = payload
        self.encoding = encoding
        self.timestamp = timestamp
        self.attachment = attachment
    }
}

/// Where samples wait while the uplink is down (the durable offline log).
public protocol UplinkBuffer: Sendable {
    /// Keeps a sample; false when the buffer refused it (full, drop-newest).
    func keep(_ sample: UplinkSample) -> Bool
    /// The oldest waiting samples, in timestamp order, with their sequence numbers.
    func nextForReplay(max: Int) -> [(sequence: UInt64, sample: UplinkSample)]
    /// Forgets everything up to `sequence`: it reached the router.
    func acknowledge(through sequence: UInt64)
    var waitingCount: Int { get }
    /// Whether `keep` waits for the disk (an fsync per record). Only then is
    /// a keep worth a trip to a disk thread; otherwise it is a buffered write.
    var keepWaitsForDisk: Bool { get }
}

extension UplinkBuffer {
    /// A buffer that does not say is taken to wait.
    public var keepWaitsForDisk: Bool { true }
}

/// The agent's way upstream. Live samples go straight to the session; while
/// no router is connected they go to the buffer, and after reconnection the
/// buffer is replayed in timestamp order with the original timestamps,
/// rate-limited so live traffic still flows, and trimmed only once what was
/// replayed has left on the link.
///
/// Zenoh has no end-to-end acknowledgement, so samples sent just before a link
/// breaks may or may not have arrived: the last `uncertainWindow` of live
/// samples is kept in memory and moved to the buffer when the link drops.
/// Delivery is therefore at least once; receivers that store by (key,
/// timestamp) — Zenoh storages do — see each sample once.
public final class Uplink: Sendable {
    public struct Counters: Sendable, Equatable, Codable {
        public var live: UInt64 = 0
        public var buffered: UInt64 = 0
        public var replayed: UInt64 = 0
        public var refused: UInt64 = 0
    }

    let session: Session
    let buffer: UplinkBuffer?
    let logger: Logger
    let uncertainWindow: Duration
    let replayPerSecond: Int
    /// After a reconnection, other clients of a restarted router need a moment
    /// to come back and re-declare their subscribers: replaying at once would
    /// send the backlog to nobody.
    let replayDelay: Duration

    private struct State {
        /// Live sending resumes only this long after a (re)connection: see `replayDelay`.
        var liveAfter: ContinuousClock.Instant? = nil
        /// Live samples of the last `uncertainWindow`, oldest first, from
        /// `recentStart` on: trimming moves the start instead of shifting the
        /// array on every publish, and compacts only when half of it is dead.
        var recent: [(at: ContinuousClock.Instant, sample: UplinkSample)] = []
        var recentStart = 0
        var replayTask: Task<Void, Never>?
        /// Which replay `replayTask` is: a cancelled one finishing late must not
        /// clear the handle of the one that replaced it.
        var replayGeneration = 0
        /// Samples reached the buffer while a replay ran: run another after it.
        var replayAgain = false
        /// Samples handed to the background writer and not yet in the buffer.
        var pendingKeeps = 0
        var backgroundWriter: Task<Void, Never>?
        var counters = Counters()
        var stopped = false
    }
    private let state = Mutex(State())

    /// Samples written to the buffer by one background task, in the order
    /// given: for callers on an event-loop thread (the link going down, the
    /// gateway's devices), which must not wait for the disk — with fsync
    /// every-record that is an fsync per sample.
    private let backgroundKeeps: AsyncStream<[UplinkSample]>.Continuation
    /// Beyond this many samples waiting for the background writer, new ones are refused (counted).
    static let maxPendingKeeps = 50_000

    /// Threads of their own for the buffer's calls that wait for the disk: a
    /// keep waits for its fsync (or a group commit) under fsync every-record,
    /// a replay batch is read from the log, an acknowledgement syncs the
    /// cursor file. Tasks await them there, so no thread of Swift's
    /// cooperative pool (one per core: two on the smallest boards) ever
    /// blocks on the disk and holds up the session, the bridges and the
    /// gateway meanwhile. nil without a buffer (nothing to wait for) or when
    /// the OS gives no thread (then the calls run where they are awaited).
    private let disk: WorkerThreads?
    /// Several disk threads rather than one: concurrent keeps then still share
    /// an fsync (the log's group commit), as they did on the pool's threads.
    static let diskThreadCount = 4

    public init(session: Session, buffer: UplinkBuffer?, logger: Logger,
                uncertainWindow: Duration = .seconds(3), replayPerSecond: Int = 5000, replayDelay: Duration = .seconds(2)) {
        self.session = session
        self.buffer = buffer
        self.logger = logger
        self.uncertainWindow = uncertainWindow
        self.replayPerSecond = max(replayPerSecond, 1)
        self.replayDelay = replayDelay
        disk = buffer == nil ? nil : try? WorkerThreads(count: Self.diskThreadCount, name: "petrel-disk")
        let (keeps, continuation) = AsyncStream<[UplinkSample]>.makeStream()
        backgroundKeeps = continuation
        session.onLinkChange { [weak self] up in
            guard let self else { return }
            if up { self.linkUp() } else { self.linkLost() }
        }
        if session.isConnected { linkUp() }
        let writer = Task.detached { [weak self] in
            for await batch in keeps {
                guard let self else { return }
                await self.onDisk { self.keepInBackground(batch) }
            }
        }
        state.withLock { $0.backgroundWriter = writer }
    }

    public var counters: Counters { state.withLock { $0.counters } }

    /// Publishes a sample upstream now, or keeps it for later. Never throws:
    /// the producer's sample is either on its way or in the buffer (or counted
    /// as refused when the buffer is full and set to drop the newest).
    ///
    /// The agent's own subscribers (storages, the MQTT bridge) see the sample
    /// now in either case: a board keeps working while its router is away, and
    /// what is replayed later goes upstream only, so nothing arrives there twice.
    public func publish(_ sample: UplinkSample) async {
        // Checked once, here: a key that is not a key expression would go
        // nowhere live and, kept, would stop every replay at itself.
        guard let key = validKey(of: sample) else { return }
        session.deliverToOwnSubscribers(sample.kind, key: key, payload: sample.payload[...], options: Self.options(for: sample))
        let live = state.withLock { s in s.liveAfter.map { ContinuousClock.now >= $0 } ?? false }
        if live, session.isConnected, await send(sample, key: key) {
            let now = ContinuousClock.now
            state.withLock { s in
                s.counters.live += 1
                s.recent.append((now, sample))
                while s.recentStart < s.recent.count, now - s.recent[s.recentStart].at > uncertainWindow {
                    s.recentStart += 1
                }
                if s.recentStart > 1024 && s.recentStart * 2 > s.recent.count {
                    s.recent.removeFirst(s.recentStart)
                    s.recentStart = 0
                }
            }
            return
        }
        if buffer?.keepWaitsForDisk == true {
            await onDisk { self.keep(sample) }
        } else {
            keep(sample)
        }
    }

    /// Runs a call of the buffer that may wait for the disk on a disk thread
    /// (see `disk`); the calling task waits suspended.
    private func onDisk<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        guard let disk else { return body() }
        return await disk.run(body)
    }

    /// Keeps a sample that could not be sent (a device's reading while no
    /// router is connected, which the gateway has already delivered to the
    /// agent's own subscribers) for the replay after reconnection.
    public func keepForReplay(_ sample: UplinkSample) {
        keepLater([sample])
    }

    /// Hands samples to the background writer (see `backgroundKeeps`).
    private func keepLater(_ samples: [UplinkSample]) {
        enum Way { case background, now, refused }
        let way = state.withLock { s -> Way in
            // Stopping (the session closing after `stop()`): write them at once,
            // before the agent closes the log.
            if s.stopped { return .now }
            guard s.pendingKeeps + samples.count <= Self.maxPendingKeeps else { return .refused }
            s.pendingKeeps += samples.count
            return .background
        }
        switch way {
        case .background:
            if case .terminated = backgroundKeeps.yield(samples) {
                // stop() came in between: this caller writes them itself.
                state.withLock { $0.pendingKeeps -= samples.count }
                for sample in samples { keep(sample) }
            }
        case .now:
            for sample in samples { keep(sample) }
        case .refused:
            refuse(samples.count, "offline buffer cannot keep up with the disk: samples refused")
        }
    }

    private func keepInBackground(_ samples: [UplinkSample]) {
        for sample in samples { keep(sample) }
        let drained = state.withLock { s -> Bool in
            s.pendingKeeps -= samples.count
            return s.pendingKeeps == 0
        }
        // A router may be back before these were written, and its replay over:
        // replay them now (a replay under way is asked to go again).
        if drained, session.isConnected { startReplay() }
    }

    private func keep(_ sample: UplinkSample) {
        guard let buffer else {
            state.withLock { $0.counters.refused += 1 }
            return
        }
        if buffer.keep(sample) {
            state.withLock { $0.counters.buffered += 1 }
        } else {
            refuse(1, "offline buffer full: samples refused")
        }
    }

    /// Counts samples the buffer did not take (the counter is in the admin space) and says so now and then.
    private func refuse(_ n: Int, _ message: Logger.Message) {
        let (before, after) = state.withLock { s in
            defer { s.counters.refused += UInt64(n) }
            return (s.counters.refused, s.counters.refused + UInt64(n))
        }
        if LogThrottle.shouldLog(from: before, to: after) {
            logger.warning(message, metadata: ["refused": "\(after)"])
        }
    }

    private static func options(for sample: UplinkSample) -> PutOptions {
        var o = PutOptions()
        o.encoding = sample.encoding
        o.timestamp = sample.timestamp
        o.attachment = sample.attachment.map { $0[...] }
        return o
    }

    /// Sends a sample to the router only: local subscribers saw it when it was taken.
    private func send(_ sample: UplinkSample, key: KeyExpr) async -> Bool {
        var o = Self.options(for: sample)
        o.deliversLocally = false
        do {
            try await session.publish(sample.kind, key: key, payload: sample.payload[...], options: o)
            return true
        } catch {
            return false
        }
    }

    /// The sample's key as a key expression, or nil (refused, counted and logged).
    private func validKey(of sample: UplinkSample) -> KeyExpr? {
        if let key = try? KeyExpr(sample.key) { return key }
        refuse(1, "sample refused: its key is not a valid key expression")
        return nil
    }

    /// The link went down: what was sent in the last moments may be lost.
    private func linkLost() {
        let (uncertain, task) = state.withLock { s -> ([UplinkSample], Task<Void, Never>?) in
            s.liveAfter = nil
            let r = s.recent[s.recentStart...].map(\.sample)
            s.recent = []
            s.recentStart = 0
            let t = s.replayTask
            s.replayTask = nil
            s.replayAgain = false
            return (r, t)
        }
        task?.cancel()
        guard !uncertain.isEmpty else { return }
        logger.info("uplink down: buffering", metadata: ["resent_later": "\(uncertain.count)"])
        // This is the link's thread: with fsync every-record, writing these
        // thousands of samples here would hold up every other link on the event
        // loop for seconds. Samples the producers keep meanwhile may precede
        // them in the log; the replay orders each batch by timestamp.
        keepLater(uncertain)
    }

    /// A router is back. Samples keep going to the buffer for `replayDelay`
    /// (so subscribers reconnecting with that router are there to receive
    /// them), then the backlog replays and live sending resumes.
    private func linkUp() {
        // With nothing waiting there is nothing to keep in order: go live at once.
        let pending = state.withLock { $0.pendingKeeps }
        let delay = (buffer?.waitingCount ?? 0) + pending == 0 ? Duration.zero : replayDelay
        state.withLock { $0.liveAfter = ContinuousClock.now + delay }
        startReplay()
    }

    private func startReplay() {
        guard let buffer else { return }
        state.withLock { s in
            guard !s.stopped else { return }
            if s.replayTask != nil {
                s.replayAgain = true
                return
            }
            s.replayGeneration &+= 1
            let generation = s.replayGeneration
            s.replayTask = Task { [weak self] in await self?.replay(buffer, generation: generation) }
        }
    }

    private func replay(_ buffer: UplinkBuffer, generation: Int) async {
        defer {
            let again = state.withLock { s -> Bool in
                guard s.replayGeneration == generation else { return false }
                s.replayTask = nil
                defer { s.replayAgain = false }
                return s.replayAgain
            }
            if again, session.isConnected { startReplay() }
        }
        if buffer.waitingCount > 0 { try? await Task.sleep(for: replayDelay) }
        let batchSize = max(1, min(200, replayPerSecond / 10))
        var total = 0
        let replayStarted = ContinuousClock.now
        while !Task.isCancelled {
            let batch = await onDisk { buffer.nextForReplay(max: batchSize) }
            guard let last = batch.last else { break }
            let started = ContinuousClock.now
            for (_, sample) in batch {
                // A bad key (a log written by an older agent) is skipped, not retried forever.
                guard let key = validKey(of: sample) else { continue }
                guard session.isConnected, await send(sample, key: key) else { return }
            }
            // Trim only what has left on the link.
            guard let t = session.currentTransport, await t.waitUntilFlushed(timeout: .seconds(5)) else { return }
            let through = last.sequence
            await onDisk { buffer.acknowledge(through: through) }
            total += batch.count
            state.withLock { $0.counters.replayed += UInt64(batch.count) }
            // Rate limit: batchSize per (batchSize / replayPerSecond) seconds.
            let budget = Duration.milliseconds(Int64(batch.count * 1000 / replayPerSecond))
            let spent = ContinuousClock.now - started
            if spent < budget { try? await Task.sleep(for: budget - spent) }
        }
        if total > 0 {
            let took = ContinuousClock.now - replayStarted
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
            logger.info("offline buffer replayed", metadata: [
                "samples": "\(total)", "seconds": "\(Int(seconds * 1000) / 1000)", "per_second": "\(Int(Double(total) / max(seconds, 0.001)))",
            ])
        }
    }

    public func stop() {
        let t = state.withLock { s -> Task<Void, Never>? in
            s.stopped = true
            let t = s.replayTask
            s.replayTask = nil
            return t
        }
        t?.cancel()
        // What was handed over is still written (see `finishWriting()`); later
        // samples are written at once.
        backgroundKeeps.finish()
    }

    /// After `stop()`: returns once the background writer has put everything
    /// it was given into the buffer, so the buffer can be closed.
    public func finishWriting() async {
        await state.withLock { $0.backgroundWriter }?.value
    }
}
