import PetrelKeyExpr
import PetrelTransport
import PetrelWire

extension Session {
    /// Declares a queryable. `handler` runs for every matching query; the
    /// final answer is sent when it returns.
    public func declareQueryable(_ key: String, complete: Bool = true,
                                 handler: @escaping @Sendable (Query) async -> Void) async throws -> Queryable {
        try await declareQueryable(key, complete: complete, relayed: false, handler: handler)
    }

    /// `relayed`: declared by a gateway for one of its devices, which the
    /// gateway asks itself; `answerLocally` leaves it out.
    package func declareQueryable(_ key: String, complete: Bool, relayed: Bool,
                                  handler: @escaping @Sendable (Query) async -> Void) async throws -> Queryable {
        let k = try keyExpr(key)
        let id = state.withLock { s in
            let id = s.takeEntityID()
            s.queryables[id] = QueryableEntry(key: k, complete: complete, handler: handler, relayed: relayed)
            return id
        }
        sendDeclare(.queryable(id: id, wireExpr: WireExpr(k.string), info: QueryableInfo(complete: complete, distance: 0)))
        if !relayed { localDeclarationsChanged() }
        return Queryable(session: self, id: id, key: k)
    }

    func undeclareQueryable(id: UInt32) {
        let removed = state.withLock { $0.queryables.removeValue(forKey: id) }
        guard let removed else { return }
        sendDeclare(.undeclareQueryable(id: id, wireExpr: nil))
        if !removed.relayed { localDeclarationsChanged() }
    }

    /// Queries `selector` (`key/expr?params`). Replies arrive on the returned
    /// stream, which finishes when the router's final answer arrives or the
    /// timeout passes (with whatever arrived).
    public func get(_ selector: String, target: QueryTarget = .bestMatching, consolidation: ConsolidationMode = .auto,
                    timeout: Duration? = nil, payload: [UInt8]? = nil, encoding: Encoding = .zenohBytes,
                    attachment: [UInt8]? = nil) async throws -> AsyncStream<Reply> {
        let (keyText, parameters) = Self.splitSelector(selector)
        let k = try keyExpr(keyText)
        let mode = ReplyConsolidator.resolve(consolidation, parameters: parameters)
        let timeout = timeout ?? config.queryTimeout
        let (stream, continuation) = AsyncStream<Reply>.makeStream()
        // A client asks its router; a peer asks each peer that declared a
        // matching queryable, and the query ends with the last one's final.
        var peerTargets: [PeerFace] = []
        var transport: UnicastTransport?
        if isPeer {
            peerTargets = peersAnswering(k, target: target)
        } else {
            guard let t = currentTransport else { throw SessionError.notConnected }
            transport = t
        }
        let rid = state.withLock { s in
            let rid = s.takeRequestID()
            var pending = PendingQuery(key: k, consolidator: ReplyConsolidator(mode: mode), continuation: continuation)
            pending.awaitingPeers = Set(peerTargets.map { ObjectIdentifier($0) })
            s.pendingQueries[rid] = pending
            return rid
        }
        let ms = UInt64(timeout.components.seconds) * 1000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000_000)
        let body = payload.map { QueryBody(encoding: encoding, payload: $0[...]) }
        let query = PetrelWire.Query(consolidation: mode, parameters: parameters, body: body, attachment: attachment.map { $0[...] })
        let request = Request(requestID: rid, wireExpr: WireExpr(k.string), body: query, qos: .request, target: target,
                              timeoutMilliseconds: ms)
        let task = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, let self { self.finishQuery(rid) }
        }
        state.withLock { $0.pendingQueries[rid]?.timeoutTask = task }
        counters.add(.queriesOut, 1)
        if let transport {
            if !transport.send(request, priority: .data) { finishQuery(rid) }
        } else {
            var sent = 0
            for f in peerTargets where f.transport.send(request, priority: .data) { sent += 1 }
            if sent == 0 { finishQuery(rid) }
        }
        return stream
    }

    /// Asks this session's own queryables (not those a gateway declared for
    /// its devices) a query that came from elsewhere: a gateway's device,
    /// whose queries the router would not route back to this session.
    /// `respond` gets each answer; returns how many queryables matched,
    /// after all of them finished.
    package func answerLocally(_ request: Request, key: String, respond: @escaping @Sendable (Response) -> Void) async -> Int {
        guard let k = try? KeyExpr(key) else { return 0 }
        let handlers = state.withLock { s in
            s.queryables.values.filter { !$0.relayed && $0.key.intersects(k) && (request.target != .allComplete || $0.complete) }
                .map(\.handler)
        }
        guard !handlers.isEmpty else { return 0 }
        let q = request.body
        let query = Query(key: key, parameters: q.parameters, payload: q.body?.payload, encoding: q.body?.encoding,
                          attachment: q.attachment, consolidation: q.consolidation ?? .auto, target: request.target,
                          requestID: request.requestID, send: respond)
        await withTaskGroup(of: Void.self) { group in
            for h in handlers { group.addTask { await h(query) } }
        }
        return handlers.count
    }

    /// Collects every reply of a `get`.
    public func getAll(_ selector: String, target: QueryTarget = .bestMatching, consolidation: ConsolidationMode = .auto,
                       timeout: Duration? = nil) async throws -> [Reply] {
        var out: [Reply] = []
        for await r in try await get(selector, target: target, consolidation: consolidation, timeout: timeout) { out.append(r) }
        return out
    }

    static func splitSelector(_ selector: String) -> (String, String) {
        guard let q = selector.firstIndex(of: "?") else { return (selector, "") }
        return (String(selector[..<q]), String(selector[selector.index(after: q)...]))
    }

    /// Delivers what consolidation held back and ends the stream.
    func finishQuery(_ rid: UInt32) {
        guard let pending = state.withLock({ $0.pendingQueries.removeValue(forKey: rid) }) else { return }
        var p = pending
        for r in p.consolidator.finish() { p.continuation.yield(r) }
        p.continuation.finish()
        p.timeoutTask?.cancel()
    }

    func failAllPendingQueries() {
        let ids = state.withLock { Array($0.pendingQueries.keys) }
        for id in ids { finishQuery(id) }
        let gets = state.withLock { s in
            let g = Array(s.livelinessGets.values)
            s.livelinessGets.removeAll()
            return g
        }
        for g in gets { g.continuation.finish() }
    }

    func finishAllStreams() {
        streamFinishers.finishAll()
    }
}

/// A declared queryable.
public final class Queryable: Sendable {
    public let id: UInt32
    public let key: KeyExpr
    private let session: Session

    init(session: Session, id: UInt32, key: KeyExpr) {
        self.session = session
        self.id = id
        self.key = key
    }

    public func undeclare() {
        session.undeclareQueryable(id: id)
    }
}
