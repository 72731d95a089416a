import Logging
import NIOCore
import NIOPosix
import PetrelKeyExpr
import PetrelTime
import PetrelTransport
import PetrelWire

// Peer mode (`mode: "peer"`): the session listens and connects at once, keeps
// one transport per other node, and routes as a Zenoh peer in a clique does:
// its own publications go straight to each peer that declared a matching
// subscriber, its queries to each peer with a matching queryable, and nothing
// received from one peer is forwarded to another.
extension Session {
    var isPeer: Bool { config.mode == .peer }

    // MARK: Starting and stopping

    /// Binds the listen endpoints (failing on the first that cannot be bound)
    /// and starts one connect loop per connect endpoint.
    func startPeer() async throws {
        for endpoint in config.listen {
            let listener = try await TransportListener.listen(
                on: endpoint, config: config.transport, group: group, delegate: delegate, logger: logger
            ) { [weak self] t in
                self?.installPeer(t, initiatedHere: false)
            }
            let advertised = Self.advertisedLocators(endpoint, bound: listener.localAddress)
            peers.withLock { m in
                m.listeners.append(listener)
                m.locators.append(contentsOf: advertised)
            }
        }
        for endpoint in config.connect {
            let task = Task { [weak self] in
                guard let self else { return }
                await self.peerConnectLoop(endpoint)
            }
            peers.withLock { $0.tasks.append(task) }
        }
    }

    /// Where we listen, as others should dial it: an unspecified address
    /// (0.0.0.0, ::) becomes each of the board's IPv4 addresses.
    static func advertisedLocators(_ endpoint: Endpoint, bound: SocketAddress?) -> [String] {
        guard endpoint.proto != .serial else { return [] }
        let port = bound?.port ?? endpoint.port
        let proto = endpoint.proto.rawValue
        if endpoint.host != "0.0.0.0" && endpoint.host != "::" {
            let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
            return ["\(proto)/\(host):\(port)"]
        }
        let devices = (try? System.enumerateDevices()) ?? []
        var out: [String] = []
        for d in devices {
            guard let a = d.address, a.protocol == .inet, let ip = a.ipAddress, !ip.hasPrefix("127.") else { continue }
            let text = "\(proto)/\(ip):\(port)"
            if !out.contains(text) { out.append(text) }
        }
        return out.isEmpty ? ["\(proto)/127.0.0.1:\(port)"] : out
    }

    /// Our listening locators (what gossip and Hello advertise).
    public var listenLocators: [String] { peers.withLock { $0.locators } }

    /// The peers this session has a transport with now.
    public var connectedPeers: [(zid: ZenohID, whatAmI: WhatAmI, endpoint: Endpoint)] {
        peers.withLock { $0.installed.map { ($0.zid, $0.whatAmI, $0.transport.endpoint) } }
    }

    /// Waits until at least one peer is linked and every linked peer's
    /// initial declarations have arrived (its D_FINAL), or `timeout` passes.
    /// Returns whether they did: a put or get before then may miss a peer.
    public func waitForPeerDeclarations(timeout: Duration, peers count: Int = 1) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && !isClosed {
            let faces = peers.withLock { $0.installed }
            if faces.count >= count && faces.allSatisfy({ f in f.state.withLock { $0.declarationsComplete } }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    func closePeers() async {
        let (listeners, tasks, faces, scouting) = peers.withLock { m in
            let r = (m.listeners, m.tasks, Array(m.faces.values), m.scoutingChannel)
            m.listeners = []
            m.tasks = []
            m.scoutingChannel = nil
            return r
        }
        for t in tasks { t.cancel() }
        try? await scouting?.close()
        for l in listeners { await l.close() }
        for f in faces { await f.transport.close() }
    }

    /// Dials one connect endpoint for as long as the session lives, with the
    /// client's back-off between failures.
    private func peerConnectLoop(_ endpoint: Endpoint) async {
        var attempt = 0
        while !Task.isCancelled && !isClosed {
            // The node behind this endpoint is linked already (it dialled us,
            // or gossip did): wait for that link to go rather than dial again.
            if let existing = peers.withLock({ m in m.endpointPeers[endpoint].flatMap { m.byZID[$0] } }) {
                try? await existing.transport.closeFuture.get()
                try? await Task.sleep(for: config.reconnect.delay(attempt: 0))
                continue
            }
            do {
                let t = try await UnicastTransport.connect(to: endpoint, config: config.transport, group: group,
                                                           delegate: delegate, logger: logger)
                attempt = 0
                peers.withLock { $0.endpointPeers[endpoint] = t.parameters.remoteZID }
                if let kept = installPeer(t, initiatedHere: true) {
                    try? await kept.transport.closeFuture.get()
                } else {
                    await t.close()
                    return
                }
            } catch {
                logger.debug("peer connect failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            }
            if Task.isCancelled || isClosed { return }
            try? await Task.sleep(for: config.reconnect.delay(attempt: attempt))
            attempt += 1
        }
    }

    /// Dials a node gossip or scouting told us of, once, trying its locators in order.
    func connectDiscovered(_ zid: ZenohID, locators: [String]) {
        guard zid != self.zid, !isClosed else { return }
        let go = peers.withLock { m -> Bool in
            if m.byZID[zid] != nil || m.connecting.contains(zid) { return false }
            m.connecting.insert(zid)
            return true
        }
        guard go else { return }
        let task = Task { [weak self] in
            guard let self else { return }
            for text in locators {
                guard let endpoint = try? Endpoint(text), endpoint.proto != .serial else { continue }
                if self.isClosed || self.peers.withLock({ $0.byZID[zid] != nil }) { break }
                do {
                    let t = try await UnicastTransport.connect(to: endpoint, config: self.config.transport, group: self.group,
                                                               delegate: self.delegate, logger: self.logger)
                    if self.installPeer(t, initiatedHere: true) == nil { await t.close() }
                    break
                } catch {
                    self.logger.debug("discovered peer unreachable", metadata: ["zid": "\(zid)", "locator": "\(text)", "error": "\(error)"])
                }
            }
            _ = self.peers.withLock { $0.connecting.remove(zid) }
        }
        peers.withLock { m in
            m.tasks.removeAll { $0.isCancelled }
            m.tasks.append(task)
        }
    }

    // MARK: Faces

    /// The face of a transport, made on its first message if that came
    /// before the connect call returned (a peer sends its declarations at once).
    func peerFace(for t: UnicastTransport) -> PeerFace {
        peers.withLock { m in
            let id = ObjectIdentifier(t)
            if let f = m.faces[id] { return f }
            let f = PeerFace(transport: t, initiatedHere: true)
            m.faces[id] = f
            return f
        }
    }

    /// Makes `t` a face of the session, or keeps the transport already open
    /// with the same node. Returns the face that serves that node, nil when
    /// the session is closed.
    @discardableResult
    func installPeer(_ t: UnicastTransport, initiatedHere: Bool) -> PeerFace? {
        guard !isClosed else { return nil }
        let remote = t.parameters.remoteZID
        enum Outcome {
            case duplicate(kept: PeerFace)
            case installed(PeerFace, replaced: PeerFace?, first: Bool)
        }
        let outcome: Outcome = peers.withLock { m in
            let id = ObjectIdentifier(t)
            let face = m.faces[id] ?? PeerFace(transport: t, initiatedHere: initiatedHere)
            m.faces[id] = face
            m.connecting.remove(remote)
            var replaced: PeerFace?
            if let old = m.byZID[remote], old !== face {
                // Two transports with one node (both dialled at once, or one
                // dialled while the other was accepted). Both ends keep the one
                // opened by the node with the smaller ZID, so they agree.
                let newOpener = face.initiatedHere ? zid : remote
                let oldOpener = old.initiatedHere ? zid : remote
                guard newOpener < oldOpener else {
                    m.faces.removeValue(forKey: id)
                    return .duplicate(kept: old)
                }
                replaced = old
            }
            let first = m.byZID.isEmpty
            m.byZID[remote] = face
            m.gossipSN += 1
            m.rebuildInstalled()
            return .installed(face, replaced: replaced, first: first)
        }
        switch outcome {
        case .duplicate(let kept):
            logger.debug("second transport with a peer closed", metadata: ["peer": "\(remote)"])
            Task { await t.close(reason: Close.maxLinks) }
            return kept
        case .installed(let face, let replaced, let first):
            if let replaced { Task { await replaced.transport.close(reason: Close.maxLinks) } }
            logger.info("peer joined", metadata: ["peer": "\(remote)", "whatami": "\(face.whatAmI)", "endpoint": "\(t.endpoint)"])
            let waiters: [CheckedContinuation<Void, Never>] = link.withLock { l in
                if l.transport == nil || l.transport === replaced?.transport { l.transport = t }
                l.connections += 1
                let w = l.connectedWaiters
                l.connectedWaiters = []
                return w
            }
            sendGossip(on: face)
            redeclareAll(on: t)
            // The end of our initial declarations, as Zenoh peers mark it:
            // the final of the implicit interest 0.
            sendDeclare(.final, interestID: 0, on: t)
            for w in waiters { w.resume() }
            if first { notifyLinkObservers(up: true) }
            // Closed between its handshake and here: its close went by before
            // the face existed, so forget it now.
            if !t.isOpen { peerTransportClosed(t, error: nil) }
            return face
        }
    }

    /// A face's transport closed: forget the node, its tokens leave, queries
    /// waiting for its answer stop waiting.
    func peerTransportClosed(_ t: UnicastTransport, error: TransportError?) {
        let (face, installed, remaining): (PeerFace?, Bool, UnicastTransport?) = peers.withLock { m in
            guard let face = m.faces.removeValue(forKey: ObjectIdentifier(t)) else { return (nil, false, m.installed.first?.transport) }
            var installed = false
            if m.byZID[face.zid] === face {
                m.byZID.removeValue(forKey: face.zid)
                m.gossipSN += 1
                m.rebuildInstalled()
                installed = true
            }
            return (face, installed, m.installed.first?.transport)
        }
        link.withLock { l in
            if l.transport === t { l.transport = remaining }
        }
        guard let face, installed else { return }
        logger.info("peer left", metadata: ["peer": "\(face.zid)", "reason": "\(error.map { "\($0)" } ?? "closed")"])
        let tokens = face.state.withLock { Array($0.tokens) }
        for (id, key) in tokens { tokenChanged(id: id, wireExpr: WireExpr(key), alive: false, interestID: nil) }
        peerQueriesLost(face)
        if remaining == nil { notifyLinkObservers(up: false) }
    }

    /// Sends `m` on every peer transport; false when there is none.
    func sendToPeers<M: WireEncodable>(_ m: M, priority: Priority, reliability: Reliability, express: Bool) -> Bool {
        var sent = false
        for f in peers.withLock({ $0.installed }) where f.transport.send(m, priority: priority, reliability: reliability, express: express) {
            sent = true
        }
        return sent
    }

    // MARK: Receiving

    /// What the session does with each network message from a peer.
    func handleFromPeer(_ message: consuming NetworkMessage, from t: UnicastTransport, reliability: Reliability) {
        let face = peerFace(for: t)
        switch consume message {
        case .push(var push):
            guard let key = resolve(push.wireExpr, from: face) else {
                counters.add(.unknownKeyExprs, 1)
                return
            }
            push.wireExpr = WireExpr(key)
            handlePush(push, reliability: reliability)
        case .request(var request):
            guard let key = resolve(request.wireExpr, from: face) else {
                t.send(ResponseFinal(requestID: request.requestID, qos: .request), priority: .data)
                return
            }
            request.wireExpr = WireExpr(key)
            handleRequest(request, from: t)
        case .response(var response):
            if let key = resolve(response.wireExpr, from: face) { response.wireExpr = WireExpr(key) }
            handleResponse(response)
        case .responseFinal(let final):
            peerQueryFinal(final.requestID, from: face)
        case .declare(let declare):
            peerDeclared(declare, on: face)
        case .interest(var interest):
            if let w = interest.wireExpr {
                guard let key = resolve(w, from: face) else { return }
                interest.wireExpr = WireExpr(key)
            }
            answerInterest(interest, on: t)
        case .oam(let oam):
            if oam.id == LinkStateList.oamID, case .bytes(let body) = oam.body { gossipReceived(body, from: face) }
        }
    }

    /// Full key text of a wire expression a peer sent: M=1 scopes are its own
    /// ids, M=0 ours. nil for an unknown id.
    func resolve(_ e: WireExpr, from face: PeerFace) -> String? {
        if e.scope == 0 { return e.suffix }
        let prefix = e.mapping == .sender ? face.state.withLock { $0.remoteExprs[e.scope] } : state.withLock { $0.localExprs[e.scope] }
        guard let prefix else { return nil }
        return prefix + e.suffix
    }

    private func peerDeclared(_ declare: Declare, on face: PeerFace) {
        func key(_ w: WireExpr) -> KeyExpr? { resolve(w, from: face).flatMap { try? KeyExpr($0) } }
        switch declare.declaration {
        case .keyExpr(let id, let w):
            if let text = resolve(w, from: face) { face.state.withLock { $0.remoteExprs[id] = text } }
        case .undeclareKeyExpr(let id):
            face.state.withLock { _ = $0.remoteExprs.removeValue(forKey: id) }
        case .subscriber(let id, let w):
            if let k = key(w) { face.state.withLock { $0.subscribers[id] = k } }
        case .undeclareSubscriber(let id, _):
            face.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        case .queryable(let id, let w, let info):
            if let k = key(w) { face.state.withLock { $0.queryables[id] = (k, info.complete) } }
        case .undeclareQueryable(let id, _):
            face.state.withLock { _ = $0.queryables.removeValue(forKey: id) }
        case .token(let id, let w):
            guard let k = key(w) else { return }
            let isNew = face.state.withLock { $0.tokens.updateValue(k.string, forKey: id) == nil }
            if isNew { tokenChanged(id: id, wireExpr: WireExpr(k.string), alive: true, interestID: nil) }
        case .undeclareToken(let id, let w):
            let known = face.state.withLock { $0.tokens.removeValue(forKey: id) }
            guard let text = known ?? w.flatMap({ resolve($0, from: face) }) else { return }
            tokenChanged(id: id, wireExpr: WireExpr(text), alive: false, interestID: nil)
        case .final:
            if declare.interestID == 0 { face.state.withLock { $0.declarationsComplete = true } }
        }
    }

    // MARK: Sending data

    /// A put in peer mode: to every peer that declared a matching subscriber
    /// (none is not an error: nobody wants it).
    func publishToPeers(_ push: Push, key: KeyExpr, options: PutOptions) -> (UnicastTransport.EnqueueOutcome, UnicastTransport?) {
        var outcome = UnicastTransport.EnqueueOutcome.queued
        var congested: UnicastTransport?
        var sent = false
        for f in peers.withLock({ $0.installed }) where f.wantsSample(key) {
            switch f.transport.enqueue(push, priority: options.priority, reliability: options.reliability, express: options.express) {
            case .queued: sent = true
            case .congested:
                sent = true
                outcome = .congested
                congested = f.transport
            case .closed: break
            }
        }
        if sent { counters.add(.samplesOut, 1) }
        return (outcome, congested)
    }

    /// The peers a query on `key` goes to.
    func peersAnswering(_ key: KeyExpr, target: QueryTarget) -> [PeerFace] {
        peers.withLock { $0.installed }.filter { $0.answers(key, target: target) }
    }

    private func peerQueryFinal(_ rid: UInt32, from face: PeerFace) {
        let done = state.withLock { s -> Bool in
            guard s.pendingQueries[rid] != nil else { return false }
            s.pendingQueries[rid]!.awaitingPeers.remove(ObjectIdentifier(face))
            return s.pendingQueries[rid]!.awaitingPeers.isEmpty
        }
        if done { finishQuery(rid) }
    }

    private func peerQueriesLost(_ face: PeerFace) {
        let id = ObjectIdentifier(face)
        let done: [UInt32] = state.withLock { s in
            var out: [UInt32] = []
            for (rid, q) in s.pendingQueries where q.awaitingPeers.contains(id) {
                s.pendingQueries[rid]!.awaitingPeers.remove(id)
                if s.pendingQueries[rid]!.awaitingPeers.isEmpty { out.append(rid) }
            }
            return out
        }
        for rid in done { finishQuery(rid) }
    }

    /// Tokens the peers declared on keys intersecting `key`.
    func peerTokens(matching key: KeyExpr) -> [String] {
        var out: Set<String> = []
        for f in peers.withLock({ $0.installed }) {
            for text in f.state.withLock({ Array($0.tokens.values) }) {
                if let k = try? KeyExpr(text), k.intersects(key) { out.insert(text) }
            }
        }
        return out.sorted()
    }
}
