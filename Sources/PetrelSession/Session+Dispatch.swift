import PetrelKeyExpr
import PetrelTime
import PetrelTransport
import PetrelWire

// What the session does with each network message from the router.
// Runs on the link's event loop.
extension Session {
    func handle(_ message: consuming NetworkMessage, from transport: UnicastTransport, reliability: Reliability) {
        // Consumed all the way to the sample: a received message is moved, not copied.
        switch consume message {
        case .push(let push):
            handlePush(push, reliability: reliability)
        case .request(let request):
            handleRequest(request, from: transport)
        case .response(let response):
            handleResponse(response)
        case .responseFinal(let final):
            finishQuery(final.requestID)
        case .declare(let declare):
            handleDeclare(declare)
        case .interest(let interest):
            answerInterest(interest, on: transport)
        case .oam:
            break
        }
    }

    private func observe(_ ts: Timestamp?) {
        guard let ts else { return }
        // Merged (with the drift check: a peer's clock far ahead of ours is its
        // problem) when we next issue a timestamp, not on every sample.
        clock.observe(ts)
    }

    func handlePush(_ push: consuming Push, reliability: Reliability) {
        guard let route = state.withLock({ $0.route(push.wireExpr) }) else {
            counters.add(.unknownKeyExprs, 1)
            logger.debug("push on an undeclared key expression id", metadata: ["wireExpr": "\(push.wireExpr)"])
            return
        }
        counters.add(.samplesIn, 1)
        guard !route.handlers.isEmpty else { return }
        let qos = push.qos
        let sample = Self.sample(key: route.key, body: push.body, qos: qos)
        observe(sample.timestamp)
        for h in route.handlers { h(sample) }
    }

    static func sample(key: String, body: consuming PushBody, qos: NetworkQoS = .default) -> Sample {
        switch consume body {
        case .put(let p):
            return Sample(kind: .put, key: key, payload: p.payload, encoding: p.encoding, timestamp: p.timestamp,
                          attachment: p.attachment, priority: qos.priority, congestionControl: qos.congestionControl,
                          express: qos.isExpress)
        case .del(let d):
            return Sample(kind: .delete, key: key, timestamp: d.timestamp, attachment: d.attachment,
                          priority: qos.priority, congestionControl: qos.congestionControl, express: qos.isExpress)
        }
    }

    func handleRequest(_ request: Request, from transport: UnicastTransport) {
        let rid = request.requestID
        let matched: (String, [QueryableEntry])? = state.withLock { s in
            guard let key = s.resolve(request.wireExpr), let k = try? KeyExpr(key) else { return nil }
            let qs = s.queryables.values.filter { $0.key.intersects(k) && (request.target != .allComplete || $0.complete) }
            return (key, Array(qs))
        }
        let final = ResponseFinal(requestID: rid, qos: .request)
        guard let (key, queryables) = matched, !queryables.isEmpty else {
            transport.send(final, priority: .data)
            return
        }
        counters.add(.queriesIn, 1)
        let q = request.body
        let query = Query(key: key, parameters: q.parameters, payload: q.body?.payload, encoding: q.body?.encoding,
                          attachment: q.attachment, consolidation: q.consolidation ?? .auto, target: request.target,
                          requestID: rid, send: { response in transport.send(response, priority: .data) })
        Task {
            await withTaskGroup(of: Void.self) { group in
                for entry in queryables { group.addTask { await entry.handler(query) } }
            }
            transport.send(final, priority: .data)
        }
    }

    func handleResponse(_ response: Response) {
        let rid = response.requestID
        state.withLock { s in
            guard let pending = s.pendingQueries[rid] else { return }
            let key = s.resolve(response.wireExpr) ?? response.wireExpr.suffix
            let reply: Reply
            switch response.body {
            case .reply(let r):
                // Zenoh drops replies on keys the query did not ask for.
                guard let k = try? KeyExpr(key), k.intersects(pending.key) else { return }
                reply = Reply(result: .success(Self.sample(key: key, body: r.body)), replierID: response.responderID?.zid)
            case .err(let e):
                reply = Reply(result: .failure(ReplyError(payload: e.payload, encoding: e.encoding)), replierID: response.responderID?.zid)
            }
            if let out = s.pendingQueries[rid]!.consolidator.accept(reply) {
                s.pendingQueries[rid]!.continuation.yield(out)
            }
        }
        counters.add(.repliesIn, 1)
    }

    private func handleDeclare(_ declare: Declare) {
        switch declare.declaration {
        case .keyExpr(let id, let wireExpr):
            state.withLock { s in
                if let key = s.resolve(wireExpr) { s.remoteExprs[id] = key }
                s.routes.removeAll()
            }
        case .undeclareKeyExpr(let id):
            state.withLock { s in
                s.remoteExprs.removeValue(forKey: id)
                s.routes.removeAll()
            }
        case .token(let id, let wireExpr):
            tokenChanged(id: id, wireExpr: wireExpr, alive: true, interestID: declare.interestID)
        case .undeclareToken(let id, let wireExpr):
            tokenChanged(id: id, wireExpr: wireExpr, alive: false, interestID: declare.interestID)
        case .final:
            if let iid = declare.interestID, !declarationWatchAnswered(iid) { finishLivelinessGet(iid) }
        case .subscriber, .undeclareSubscriber, .queryable, .undeclareQueryable:
            // Answers to a gateway's watch of the network's declarations; nothing else asks.
            remoteEntityDeclared(declare)
        }
    }

    func tokenChanged(id: UInt32, wireExpr: WireExpr?, alive: Bool, interestID: UInt32?) {
        let deliveries: [(Sample, (@Sendable (Sample) -> Void)?, AsyncStream<Reply>.Continuation?)] = state.withLock { s in
            var key: String?
            if let wireExpr, wireExpr.scope != 0 || !wireExpr.suffix.isEmpty { key = s.resolve(wireExpr) }
            if alive {
                if let key { s.remoteTokens[id] = key }
            } else {
                let known = s.remoteTokens.removeValue(forKey: id)
                key = key ?? known
            }
            guard let key, let k = try? KeyExpr(key) else { return [] }
            let sample = Sample(kind: alive ? .put : .delete, key: key)
            if let iid = interestID {
                if let g = s.livelinessGets[iid] { return [(sample, nil, g.continuation)] }
                if let sub = s.livelinessSubscribers[iid] { return [(sample, sub.handler, nil)] }
                return []
            }
            return s.livelinessSubscribers.values.filter { $0.key.intersects(k) }.map { (sample, $0.handler, nil) }
        }
        for (sample, handler, continuation) in deliveries {
            handler?(sample)
            continuation?.yield(Reply(result: .success(sample)))
        }
    }

    /// Routers do not send interests to clients (zenoh-wire.md §12.3); if a peer
    /// does, answer the "current" part with what we declared, then D_FINAL.
    func answerInterest(_ interest: Interest, on transport: UnicastTransport) {
        guard interest.mode == .current || interest.mode == .currentFuture else { return }
        let restrict: KeyExpr? = interest.wireExpr.flatMap { w in state.withLock { $0.resolve(w) }.flatMap { try? KeyExpr($0) } }
        let declarations: [Declaration] = state.withLock { s in
            var out: [Declaration] = []
            func matches(_ k: KeyExpr) -> Bool { restrict.map { $0.intersects(k) } ?? true }
            if interest.options.contains(.subscribers) {
                for (id, e) in s.subscribers where matches(e.key) { out.append(.subscriber(id: id, wireExpr: WireExpr(e.key.string))) }
            }
            if interest.options.contains(.queryables) {
                for (id, e) in s.queryables where matches(e.key) {
                    out.append(.queryable(id: id, wireExpr: WireExpr(e.key.string), info: QueryableInfo(complete: e.complete, distance: 0)))
                }
            }
            if interest.options.contains(.tokens) {
                for (id, key) in s.tokens where (try? KeyExpr(key)).map(matches) ?? false {
                    out.append(.token(id: id, wireExpr: WireExpr(key)))
                }
            }
            return out
        }
        for d in declarations { sendDeclare(d, interestID: interest.id, on: transport) }
        sendDeclare(.final, interestID: interest.id, on: transport)
    }

    /// Re-sends every declaration on a new link, key expressions first since
    /// the others may refer to them.
    func redeclareAll(on t: UnicastTransport) {
        let (exprs, subs, queryables, tokens, lsubs) = state.withLock { s in
            (s.localExprs, s.subscribers, s.queryables, s.tokens, s.livelinessSubscribers)
        }
        for (id, key) in exprs.sorted(by: { $0.key < $1.key }) { sendDeclare(.keyExpr(id: id, wireExpr: WireExpr(key)), on: t) }
        for (id, e) in subs.sorted(by: { $0.key < $1.key }) { sendDeclare(.subscriber(id: id, wireExpr: WireExpr(e.key.string)), on: t) }
        for (id, e) in queryables.sorted(by: { $0.key < $1.key }) {
            sendDeclare(.queryable(id: id, wireExpr: WireExpr(e.key.string), info: QueryableInfo(complete: e.complete, distance: 0)), on: t)
        }
        for (id, key) in tokens.sorted(by: { $0.key < $1.key }) { sendDeclare(.token(id: id, wireExpr: WireExpr(key)), on: t) }
        // Peers send each other every declaration unasked: no interests between them.
        guard !isPeer else { return }
        for (iid, e) in lsubs.sorted(by: { $0.key < $1.key }) {
            t.send(livelinessInterest(id: iid, key: e.key, mode: e.history ? .currentFuture : .future), priority: .control)
        }
        renewDeclarationWatch(on: t)
    }

    func forgetRemoteState() {
        state.withLock { s in
            s.remoteExprs.removeAll()
            s.remoteTokens.removeAll()
            s.routes.removeAll()
        }
    }
}
