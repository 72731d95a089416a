import Logging
import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelSession
import PetrelTime
import Synchronization

/// Runs anti-entropy alignment for one `AlignedStore` over a Zenoh session
/// (docs/alignment.md, "Keys and framing"):
///
/// - publishes a small digest on `@-digest/<zid>` every `interval`, and at once
///   when the link to the router comes up;
/// - answers on `@-aligner/<zid>/{info,align,entries,push,state}`: who it is,
///   PetrelAlignment's responder replies, samples with their original
///   timestamps (tombstones as deletes), samples pushed to it, and its state;
///   and, for people and naive aligners, on `{eras,intervals,subintervals}` and
///   `entries?subinterval=` with JSON fingerprints (`AlignerBrowse`);
/// - reconciles with a peer (PetrelAlignment's initiator, one `get` per round
///   trip, then fetches what it lacks and pushes what the peer lacks) when the
///   peer's digest differs from its own over the same set, and with every
///   known and discovered peer as soon as the link comes up.
///
/// A side only initiates when the peer's digest covers exactly the set they
/// share: a replica (`site/**`) meeting an edge (`site/pi7/**`) compares its
/// `site/pi7/**` index with the edge's digest and initiates; the edge, which
/// cannot compare its digest with the replica's wider one, initiates on link-up.
public final class Aligner: Sendable {
    public let session: Session
    public let store: AlignedStore
    public let descriptor: AlignerDescriptor
    public let interval: Duration
    let logger: Logger
    /// How long a get to a peer's aligner may take before the reconciliation is abandoned (retried later).
    let queryTimeout: Duration
    /// Samples per `entries`/`push` message, and a bound on their bytes.
    static let batchCount = 256
    static let batchBytes = 48 * 1024
    /// How long a differing digest waits before it starts a reconciliation (see `received(digest:)`).
    static let digestReactionDelay: Duration = .milliseconds(100)
    /// A reconciliation never takes more round trips than this (a peer that keeps asking is broken).
    static let maxRoundTrips = 24

    public struct Counters: Sendable, Equatable {
        public var digestsSent: UInt64 = 0
        public var digestsReceived: UInt64 = 0
        public var reconciliations: UInt64 = 0
        public var reconciliationsFailed: UInt64 = 0
        public var roundTrips: UInt64 = 0
        public var metadataBytes: UInt64 = 0
        public var fetched: UInt64 = 0
        public var pushed: UInt64 = 0
        public var received: UInt64 = 0
        /// Milliseconds from the last link-up to the first reconciliation message sent after it.
        public var lastReconnectToStartMs: Double?
    }

    struct Peer {
        var descriptor: AlignerDescriptor
        var lastSeen: ContinuousClock.Instant
        var running = false
        var again = false
    }

    struct State {
        var peers: [ZenohID: Peer] = [:]
        var linkUpAt: ContinuousClock.Instant?
        /// Counts link-ups, so a late handler of an earlier one leaves a newer one alone.
        var linkGeneration = 0
        /// When each peer last asked us an `align` query: a digest from a peer
        /// that is reconciling with us right now does not start the same work the other way.
        var reconciledBy: [ZenohID: ContinuousClock.Instant] = [:]
        var counters = Counters()
        var tasks: [Task<Void, Never>] = []
        var queryable: Queryable?
        var subscriber: Subscriber?
        var stopped = false
    }

    private let state = Mutex(State())

    public init(session: Session, store: AlignedStore, role: AlignerDescriptor.Role, interval: Duration,
                queryTimeout: Duration = .seconds(3), logger: Logger) {
        self.session = session
        self.store = store
        self.descriptor = AlignerDescriptor(role: role, scope: store.scope, eras: store.eras)
        self.interval = interval
        self.queryTimeout = queryTimeout
        self.logger = logger
    }

    public var counters: Counters { state.withLock { $0.counters } }
    var zid: ZenohID { session.zid }
    var digestKey: String { "@-digest/\(zid)" }
    var alignerPrefix: String { "@-aligner/\(zid)" }

    /// Declares the queryable and the digest subscriber, starts publishing.
    public func start() async throws {
        session.onLinkChange { [weak self] up in
            guard up, let self else { return }
            let generation = self.state.withLock { s -> Int in
                s.linkUpAt = .now
                s.linkGeneration += 1
                return s.linkGeneration
            }
            self.spawn { await self.linkCameUp(generation) }
        }
        let queryable = try await session.declareQueryable("\(alignerPrefix)/**") { [weak self] query in
            await self?.answer(query)
        }
        let subscriber = try await session.declareSubscriber("@-digest/**") { [weak self] sample in
            self?.received(digest: sample)
        }
        let ticker = Task { [weak self, interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                self.store.pruneToHotWindow()
                await self.publishDigest()
            }
        }
        state.withLock { s in
            s.queryable = queryable
            s.subscriber = subscriber
            s.tasks.append(ticker)
        }
        if session.isConnected {
            // Connected before the observer was in place: handle that link-up now (unless it was seen).
            let generation = state.withLock { s -> Int? in
                guard s.linkGeneration == 0 else { return nil }
                s.linkUpAt = .now
                s.linkGeneration = 1
                return 1
            }
            if let generation { spawn { await self.linkCameUp(generation) } }
        }
    }

    public func stop() {
        let (tasks, q, s) = state.withLock { s in
            s.stopped = true
            defer { s.tasks = [] }
            return (s.tasks, s.queryable, s.subscriber)
        }
        for t in tasks { t.cancel() }
        q?.undeclare()
        s?.undeclare()
    }

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let t = Task { await body() }
        state.withLock { s in
            s.tasks.removeAll { $0.isCancelled }
            if s.stopped { t.cancel() } else { s.tasks.append(t) }
        }
    }

    // MARK: digests

    func publishDigest() async {
        let now = store.now()
        guard session.isConnected, let digest = store.withIndex(for: store.scope, { $0.digest(now: now) }) else { return }
        let bytes = AlignerMessages.digest(descriptor, wildcardHash: store.wildcardDeletesHash, digest)
        do {
            try await session.put(digestKey, bytes)
            state.withLock { $0.counters.digestsSent += 1 }
        } catch {
            logger.debug("digest not published", metadata: ["reason": "\(error)"])
        }
    }

    private func received(digest sample: Sample) {
        guard let peer = Self.zid(inKey: sample.key, prefix: "@-digest"), peer != zid else { return }
        let parsed: (AlignerDescriptor, UInt64, AlignmentDigest)
        do {
            parsed = try AlignerMessages.readDigest(Array(sample.payload))
        } catch {
            logger.debug("unreadable digest", metadata: ["from": "\(peer)", "reason": "\(error)"])
            return
        }
        let (theirs, wildcardHash, digest) = parsed
        state.withLock { s in
            s.counters.digestsReceived += 1
            if s.peers[peer] == nil { s.peers[peer] = Peer(descriptor: theirs, lastSeen: .now) }
            s.peers[peer]!.descriptor = theirs
            s.peers[peer]!.lastSeen = .now
        }
        // Replicas of one key expression hold the same wildcard deletes once aligned.
        if descriptor.role == .replica && theirs.role == .replica && theirs.scope == store.scope
            && wildcardHash != store.wildcardDeletesHash {
            spawn { await self.syncWildcardDeletes(with: peer) }
        }
        // Comparable only when the peer's digest covers exactly the set we share.
        guard let shared = alignmentIntersection(store.scope, theirs.scope), shared == theirs.scope else { return }
        let eras = store.eras.intersection(theirs.eras)
        guard store.withIndex(for: shared, { AlignmentDigestComparison.differ($0, digest, eras: eras) }) == true else { return }
        spawn {
            // A peer whose link just came up publishes its digest and starts reconciling with
            // us in the same instant: give its first query a moment to arrive, and leave the
            // work to it if it does.
            try? await Task.sleep(for: Self.digestReactionDelay)
            let busy = self.state.withLock { s in
                s.reconciledBy[peer].map { ContinuousClock.now - $0 < self.interval * 2 + Self.digestReactionDelay } ?? false
            }
            if !busy { await self.reconcile(with: peer, reason: "digest") }
        }
    }

    static func zid(inKey key: String, prefix: String) -> ZenohID? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == prefix else { return nil }
        return ZenohID(String(parts[1]))
    }

    // MARK: link-up

    private func linkCameUp(_ generation: Int) async {
        // Peers heard from recently: at once, without waiting for discovery.
        let known = state.withLock { s in
            s.peers.filter { ContinuousClock.now - $0.value.lastSeen < .seconds(60) }.map(\.key)
        }
        for p in known { spawn { await self.reconcile(with: p, reason: "link-up") } }
        var started = !known.isEmpty
        // Our digest, so that peers that can compare it start too.
        await publishDigest()
        // And whoever answers on the aligner key space.
        do {
            for await reply in try await session.get("@-aligner/*/info", target: .all, consolidation: .none, timeout: .seconds(2)) {
                guard let s = reply.sample, let peer = Self.zid(inKey: s.key, prefix: "@-aligner"), peer != zid,
                      let d = try? AlignerDescriptor(decoding: Array(s.payload)) else { continue }
                state.withLock { st in
                    if st.peers[peer] == nil { st.peers[peer] = Peer(descriptor: d, lastSeen: .now) }
                    st.peers[peer]!.descriptor = d
                    st.peers[peer]!.lastSeen = .now
                }
                // Not among those already started above (a digest may have made it known meanwhile).
                if !known.contains(peer) {
                    started = true
                    spawn { await self.reconcile(with: peer, reason: "discovery") }
                }
            }
        } catch {
            logger.debug("aligner discovery failed", metadata: ["reason": "\(error)"])
        }
        // Nobody to reconcile with: a later reconciliation is not a reaction to this link-up.
        if !started { state.withLock { s in if s.linkGeneration == generation { s.linkUpAt = nil } } }
    }

    // MARK: reconciliation

    /// One reconciliation with `peer` at a time; a request meanwhile runs another after it.
    func reconcile(with peer: ZenohID, reason: String) async {
        let go = state.withLock { s -> Bool in
            guard s.peers[peer] != nil else { return false }
            if s.peers[peer]!.running {
                s.peers[peer]!.again = true
                return false
            }
            s.peers[peer]!.running = true
            return true
        }
        guard go else { return }
        var runs = 0
        while true {
            runs += 1
            await runReconciliation(with: peer, reason: reason)
            let again = state.withLock { s -> Bool in
                guard s.peers[peer] != nil else { return false }
                if s.peers[peer]!.again && runs < 3 && !s.stopped {
                    s.peers[peer]!.again = false
                    return true
                }
                s.peers[peer]!.running = false
                s.peers[peer]!.again = false
                return false
            }
            if !again { return }
        }
    }

    private func runReconciliation(with peer: ZenohID, reason: String) async {
        guard let theirs = state.withLock({ $0.peers[peer]?.descriptor }),
              let shared = alignmentIntersection(store.scope, theirs.scope),
              let index = store.index(for: shared) else { return }
        let eras = store.eras.intersection(theirs.eras)
        guard !eras.isEmpty else { return }
        let started = ContinuousClock.now
        if reason != "digest" && descriptor.role == .replica && theirs.role == .replica && theirs.scope == store.scope {
            noteStart(peer: peer, reason: reason)
            await syncWildcardDeletes(with: peer)
        }
        var initiator = AlignmentInitiator(index: index, peerScope: theirs.scope, now: store.now(), eras: eras)
        var message = initiator.firstMessage()
        var rounds = 0, bytes = 0
        var difference: AlignmentDifference?
        noteStart(peer: peer, reason: reason)
        do {
            while difference == nil {
                guard rounds < Self.maxRoundTrips else { throw ReplicationMessageError("more than \(Self.maxRoundTrips) round trips") }
                rounds += 1
                let query = AlignerMessages.alignQuery(from: zid, scope: shared, eras: eras, message)
                bytes += query.count
                let reply = try await ask(peer, "align", query)
                guard let payload = reply.first else { throw ReplicationMessageError("no answer to an align query") }
                bytes += payload.count
                switch try initiator.receive(payload) {
                case .send(let next): message = next
                case .done(let d): difference = d
                }
            }
            let d = difference!
            let fetched = try await fetch(d.toFetch, from: peer)
            let pushed = try await push(d.toSend, to: peer)
            let ms = Double((ContinuousClock.now - started).components.attoseconds) / 1e15
                + Double((ContinuousClock.now - started).components.seconds) * 1000
            state.withLock { s in
                s.counters.reconciliations += 1
                s.counters.roundTrips += UInt64(rounds)
                s.counters.metadataBytes += UInt64(bytes)
                s.counters.fetched += UInt64(fetched)
                s.counters.pushed += UInt64(pushed)
            }
            if fetched > 0 || pushed > 0 || reason != "digest" {
                logger.info("reconciled", metadata: ["peer": "\(peer)", "reason": "\(reason)", "roundTrips": "\(rounds)",
                                                     "metadataBytes": "\(bytes)", "fetched": "\(fetched)", "pushed": "\(pushed)",
                                                     "ms": "\(Int(ms))"])
            }
        } catch {
            state.withLock { $0.counters.reconciliationsFailed += 1 }
            logger.info("reconciliation abandoned; retried on the next digest", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
    }

    /// Takes a replica peer's wildcard deletes (a handful, as a rule): each
    /// tombstones what it matches here and is kept, like the peer's.
    func syncWildcardDeletes(with peer: ZenohID) async {
        do {
            var applied = 0
            for payload in try await ask(peer, "wildcards", []) {
                for d in try AlignerMessages.readRecords(payload) where store.apply(d) == .stored { applied += 1 }
            }
            if applied > 0 { logger.info("wildcard deletes aligned", metadata: ["peer": "\(peer)", "applied": "\(applied)"]) }
        } catch {
            logger.debug("wildcard deletes not aligned", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
    }

    /// Logs (once per link-up) how long after the link came up the first
    /// reconciliation started, whatever started it (the link-up itself, or a
    /// peer's digest that arrived first).
    private func noteStart(peer: ZenohID, reason: String) {
        let since = state.withLock { s -> Duration? in
            guard let up = s.linkUpAt else { return nil }
            s.linkUpAt = nil
            let d = ContinuousClock.now - up
            s.counters.lastReconnectToStartMs = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
            return d
        }
        if let since {
            let ms = Double(since.components.seconds) * 1000 + Double(since.components.attoseconds) / 1e15
            logger.info("reconciliation started after link-up", metadata: ["peer": "\(peer)", "trigger": "\(reason)",
                                                                             "sinceLinkUpMs": "\(String(format2(ms)))"])
        }
    }

    /// Sends one query to `peer`'s aligner; the payloads of its replies.
    private func ask(_ peer: ZenohID, _ op: String, _ payload: [UInt8]) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for await reply in try await session.get("@-aligner/\(peer)/\(op)", target: .all, consolidation: .none,
                                                 timeout: queryTimeout, payload: payload) {
            switch reply.result {
            case .success(let s): out.append(Array(s.payload))
            case .failure(let e): throw ReplicationMessageError("peer answered with an error: \(String(decoding: e.payload, as: UTF8.self))")
            }
        }
        return out
    }

    private func fetch(_ entries: [AlignmentEntry], from peer: ZenohID) async throws -> Int {
        var stored = 0
        var start = 0
        while start < entries.count {
            let batch = entries[start..<min(start + Self.batchCount * 4, entries.count)].map(\.key)
            start += batch.count
            for payload in try await ask(peer, "entries", AlignerMessages.entriesQuery(batch)) {
                for s in try AlignerMessages.readRecords(payload) {
                    if store.apply(s) == .stored { stored += 1 }
                }
            }
        }
        return stored
    }

    private func push(_ entries: [AlignmentEntry], to peer: ZenohID) async throws -> Int {
        var batch: [StoredSample] = [], batchBytes = 0, sent = 0
        func flush() async throws {
            guard !batch.isEmpty else { return }
            _ = try await ask(peer, "push", AlignerMessages.records(batch))
            sent += batch.count
            batch = []
            batchBytes = 0
        }
        for e in entries {
            // What we hold now (it may be newer than when the difference was computed: last writer wins anyway).
            guard let s = store.latestSample(forKey: e.key) else { continue }
            batch.append(s)
            batchBytes += s.payload.count + s.key.utf8.count + 40
            if batch.count >= Self.batchCount || batchBytes >= Self.batchBytes { try await flush() }
        }
        try await flush()
        return sent
    }

    // MARK: the aligner queryable

    private func answer(_ query: Query) async {
        guard let op = query.key.split(separator: "/").last.map(String.init) else { return }
        // Replies on our own concrete key (the query's may be a wildcard, as discovery's is).
        let replyKey = "\(alignerPrefix)/\(op)"
        let payload = query.payload.map { Array($0) } ?? []
        do {
            switch op {
            case "info":
                query.reply(replyKey, descriptor.encoded())
            case "align":
                let (initiator, scope, _, message) = try AlignerMessages.readAlignQuery(payload)
                state.withLock { $0.reconciledBy[initiator] = .now }
                let now = store.now()
                guard let reply = try store.withIndex(for: scope, { try AlignmentResponder.reply(to: message, index: $0, now: now) }) else {
                    throw ReplicationMessageError("scope \(scope) is not part of this aligner's \(store.scope)")
                }
                query.reply(replyKey, reply)
            case "entries" where AlignerBrowse.asksBySubInterval(query.parameters):
                try replyJSON(query, replyKey) { index, _ throws(AlignerBrowse.Refusal) in try AlignerBrowse.entries(index, parameters: query.parameters) }
            case "entries":
                var batch: [StoredSample] = [], bytes = 0
                for key in try AlignerMessages.readEntriesQuery(payload) {
                    guard let s = store.latestSample(forKey: key) else { continue }
                    batch.append(s)
                    bytes += s.payload.count + key.utf8.count + 40
                    if batch.count >= Self.batchCount || bytes >= Self.batchBytes {
                        query.reply(replyKey, AlignerMessages.records(batch))
                        batch = []
                        bytes = 0
                    }
                }
                if !batch.isEmpty { query.reply(replyKey, AlignerMessages.records(batch)) }
            case "push":
                var stored = 0
                for s in try AlignerMessages.readRecords(payload) where store.apply(s) == .stored { stored += 1 }
                state.withLock { $0.counters.received += UInt64(stored) }
                query.reply(replyKey, Array("\(stored)".utf8))
            case "wildcards":
                query.reply(replyKey, AlignerMessages.records(store.wildcardDeletes()))
            case "eras":
                try replyJSON(query, replyKey) { index, now in AlignerBrowse.eras(index, now: now) }
            case "intervals":
                try replyJSON(query, replyKey) { index, now throws(AlignerBrowse.Refusal) in
                    try AlignerBrowse.intervals(index, parameters: query.parameters, now: now)
                }
            case "subintervals":
                try replyJSON(query, replyKey) { index, _ throws(AlignerBrowse.Refusal) in try AlignerBrowse.subIntervals(index, parameters: query.parameters) }
            case "state":
                query.reply(replyKey, Array(AlignerState.json(store.stateEntries(), zid: zid, scope: store.scope, counters: countersForState).utf8),
                            encoding: .applicationJSON)
            default:
                query.replyError(Array("unknown aligner operation '\(op)'".utf8))
            }
        } catch {
            logger.debug("aligner query refused", metadata: ["op": "\(op)", "reason": "\(error)"])
            query.replyError(Array("\(error)".utf8))
        }
    }

    /// Answers a browse query (eras, intervals, sub-intervals, entries by sub-interval) from
    /// this aligner's own index, as JSON.
    private func replyJSON(_ query: Query, _ replyKey: String,
                           _ body: (borrowing AlignmentIndex, NTP64) throws(AlignerBrowse.Refusal) -> String) throws {
        let now = store.now()
        guard let json = try store.withIndex(for: store.scope, { try body($0, now) }) else { return }
        query.reply(replyKey, Array(json.utf8), encoding: .applicationJSON)
    }
}

extension Aligner {
    /// What the `state` answer reports besides the entries (a replica has no admin space).
    public var countersForState: [String: UInt64] {
        let c = counters, st = store.statistics
        var m: [String: UInt64] = ["clockRejected": st.clockRejected, "reconciliations": c.reconciliations,
                                   "reconciliationsFailed": c.reconciliationsFailed, "roundTrips": c.roundTrips,
                                   "metadataBytes": c.metadataBytes, "fetched": c.fetched, "pushed": c.pushed,
                                   "received": c.received, "digestsSent": c.digestsSent, "digestsReceived": c.digestsReceived,
                                   "keys": UInt64(st.keys), "wildcardDeletes": st.wildcardDeletes,
                                   "outsideHotWindow": st.outsideHotWindow]
        if let ms = c.lastReconnectToStartMs { m["lastReconnectToStartMicros"] = UInt64(ms * 1000) }
        return m
    }
}

func format2(_ v: Double) -> String {
    let scaled = Int((v * 100).rounded())
    let frac = abs(scaled % 100)
    return "\(scaled / 100).\(frac < 10 ? "0" : "")\(frac)"
}
