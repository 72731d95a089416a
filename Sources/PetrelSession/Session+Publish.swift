import PetrelKeyExpr
import PetrelTime
import PetrelTransport
import PetrelWire

extension Session {
    /// Validates a key expression, turning the reason into a session error.
    func keyExpr(_ s: String) throws(SessionError) -> KeyExpr {
        do throws(KeyExprError) {
            return try KeyExpr(s)
        } catch {
            throw .invalidKeyExpr(s, "\(error)")
        }
    }

    /// Puts a value on a key. Waits only when the link's queue is full and the
    /// congestion control is Block. Throws `notConnected` while no router is up.
    nonisolated(nonsending) public func put(_ key: String, _ payload: [UInt8], options: PutOptions = PutOptions()) async throws {
        let k = try keyExpr(key)
        try await publish(kind: .put, wireExpr: WireExpr(k.string), key: k, payload: payload[...], options: options)
    }

    nonisolated(nonsending) public func put(_ key: String, _ text: String, options: PutOptions = PutOptions()) async throws {
        try await put(key, Array(text.utf8), options: options)
    }

    /// Deletes a key (a DEL sample for subscribers and storages).
    nonisolated(nonsending) public func delete(_ key: String, options: PutOptions = PutOptions()) async throws {
        let k = try keyExpr(key)
        try await publish(kind: .delete, wireExpr: WireExpr(k.string), key: k, payload: [], options: options)
    }

    nonisolated(nonsending) func publish(kind: Sample.Kind, wireExpr: WireExpr, key: KeyExpr, payload: ZBytes, options: PutOptions) async throws {
        // Queued without suspending; only a Block publisher facing a full
        // queue awaits, so a stream of puts costs no async frames each.
        let (outcome, transport) = publishNow(kind: kind, wireExpr: wireExpr, key: key, payload: payload, options: options)
        switch outcome {
        case .queued:
            return
        case .congested:
            if options.congestionControl == .block, let transport { await transport.waitForRoom() }
        case .closed:
            throw SessionError.notConnected
        }
    }

    /// Queues the sample on the current link, counting it.
    func publishNow(kind: Sample.Kind, wireExpr: WireExpr, key: KeyExpr, payload: ZBytes,
                    options: PutOptions) -> (UnicastTransport.EnqueueOutcome, UnicastTransport?) {
        let push = prepare(kind: kind, wireExpr: wireExpr, key: key, payload: payload, options: options)
        if isPeer { return publishToPeers(push, key: key, options: options) }
        guard let t = currentTransport else {
            counters.add(.dropsDisconnected, 1)
            return (.closed, nil)
        }
        let outcome = t.enqueue(push, priority: options.priority, reliability: options.reliability, express: options.express)
        if case .closed = outcome {
            counters.add(.dropsDisconnected, 1)
        } else {
            counters.add(.samplesOut, 1)
        }
        return (outcome, t)
    }

    /// Stamps the sample, delivers it to local subscribers and builds its Push.
    private func prepare(kind: Sample.Kind, wireExpr: WireExpr, key: KeyExpr, payload: ZBytes, options: PutOptions) -> Push {
        let timestamp = options.timestamp ?? (config.timestamping ? clock.newTimestamp() : nil)
        let body: PushBody
        switch kind {
        case .put:
            body = .put(Put(payload: payload, encoding: options.encoding, timestamp: timestamp, attachment: options.attachment))
        case .delete:
            body = .del(Del(timestamp: timestamp, attachment: options.attachment))
        }
        let qos = NetworkQoS(priority: options.priority, congestionControl: options.congestionControl, express: options.express)
        if options.deliversLocally {
            deliverLocally(kind: kind, key: key, payload: payload, options: options, timestamp: timestamp)
        }
        return Push(wireExpr: wireExpr, body: body, qos: qos)
    }

    /// What became of a relayed sample.
    package enum RelayOutcome {
        /// Queued for the router.
        case queued
        /// Queued, but that link's queue is over its high watermark: whoever
        /// feeds it should wait for `waitForRoom()` before sending more.
        case congested(UnicastTransport)
        /// No link took it (no router up).
        case undelivered
    }

    /// Publishes a sample a gateway received from one of its devices, in the
    /// order received and without waiting: local subscribers see it tagged with
    /// `options.origin`, the router gets it if a link is up.
    package func relay(_ kind: Sample.Kind, key: KeyExpr, wireExpr: WireExpr? = nil, payload: ZBytes, options: PutOptions) -> RelayOutcome {
        switch publishNow(kind: kind, wireExpr: wireExpr ?? WireExpr(key.string), key: key, payload: payload, options: options) {
        case (.queued, _): return .queued
        case (.congested, let t?): return .congested(t)
        case (.congested, nil): return .queued
        case (.closed, _): return .undelivered
        }
    }

    /// Hands a sample to this session's own matching subscribers only, as a
    /// put would, without sending anything to the router: the agent's uplink
    /// delivers each reading here when it is taken and sends it upstream on its
    /// own, live or after an outage (see `PutOptions.deliversLocally`).
    package func deliverToOwnSubscribers(_ kind: Sample.Kind, key: KeyExpr, payload: ZBytes, options: PutOptions) {
        deliverLocally(kind: kind, key: key, payload: payload, options: options, timestamp: options.timestamp)
    }

    /// A put or delete on a key expression its caller has already validated
    /// (the agent's uplink checks each reading's key once, for both ways out).
    nonisolated(nonsending) package func publish(_ kind: Sample.Kind, key: KeyExpr, payload: ZBytes, options: PutOptions) async throws {
        try await publish(kind: kind, wireExpr: WireExpr(key.string), key: key, payload: kind == .put ? payload : [], options: options)
    }

    /// Zenoh delivers a session's own publications to its own matching
    /// subscribers (the router never echoes them back).
    private func deliverLocally(kind: Sample.Kind, key: KeyExpr, payload: ZBytes, options: PutOptions, timestamp: Timestamp?) {
        guard localSubscriberCount.load(ordering: .relaxed) > 0 else { return }
        // Through the push path's route cache: a stream of readings on one key
        // matches the subscribers once, not once per reading.
        let handlers = state.withLock { s in s.route(WireExpr(key.string))?.handlers ?? [] }
        guard !handlers.isEmpty else { return }
        var sample = Sample(kind: kind, key: key.string, payload: payload, encoding: options.encoding, timestamp: timestamp,
                            attachment: options.attachment, priority: options.priority,
                            congestionControl: options.congestionControl, express: options.express)
        sample.origin = options.origin
        for h in handlers { h(sample) }
    }

    /// Declares a publisher: its key is declared once as a numeric id, so each
    /// put carries 1-2 bytes of key instead of the whole text.
    public func declarePublisher(_ key: String, options: PutOptions = PutOptions()) async throws -> Publisher {
        let k = try keyExpr(key)
        let id = state.withLock { s in
            let id = s.takeExprID()
            s.localExprs[id] = k.string
            return id
        }
        sendDeclare(.keyExpr(id: id, wireExpr: WireExpr(k.string)))
        return Publisher(session: self, key: k, exprID: id, options: options)
    }
}

/// Publishes on one key through a declared key-expression id.
public final class Publisher: Sendable {
    public let key: KeyExpr
    let exprID: UInt16
    let options: PutOptions
    private let session: Session

    init(session: Session, key: KeyExpr, exprID: UInt16, options: PutOptions) {
        self.session = session
        self.key = key
        self.exprID = exprID
        self.options = options
    }

    private var wireExpr: WireExpr { WireExpr(scope: exprID, suffix: "", mapping: .sender) }

    nonisolated(nonsending) public func put(_ payload: [UInt8], encoding: Encoding? = nil, attachment: [UInt8]? = nil, timestamp: Timestamp? = nil) async throws {
        try await put(payload[...], encoding: encoding, attachment: attachment.map { $0[...] }, timestamp: timestamp)
    }

    nonisolated(nonsending) public func put(_ payload: ZBytes, encoding: Encoding? = nil, attachment: ZBytes? = nil, timestamp: Timestamp? = nil) async throws {
        guard encoding != nil || attachment != nil || timestamp != nil else {
            // The publisher's own options as they are: no copy per put.
            return try await session.publish(kind: .put, wireExpr: wireExpr, key: key, payload: payload, options: options)
        }
        var o = options
        if let encoding { o.encoding = encoding }
        if let attachment { o.attachment = attachment }
        if let timestamp { o.timestamp = timestamp }
        try await session.publish(kind: .put, wireExpr: wireExpr, key: key, payload: payload, options: o)
    }

    /// Puts without ever suspending, for callers that cannot wait (a
    /// subscriber callback answering on the link's thread, a sensor loop):
    /// the sample is queued even when the link is congested. Throws
    /// `notConnected` while no router is up.
    public func putWithoutWaiting(_ payload: ZBytes, encoding: Encoding? = nil, attachment: ZBytes? = nil) throws {
        var o = options
        if let encoding { o.encoding = encoding }
        if let attachment { o.attachment = attachment }
        if case .undelivered = session.relay(.put, key: key, wireExpr: wireExpr, payload: payload, options: o) {
            throw SessionError.notConnected
        }
    }

    nonisolated(nonsending) public func delete() async throws {
        try await session.publish(kind: .delete, wireExpr: wireExpr, key: key, payload: [], options: options)
    }

    /// Forgets the key-expression id on both sides.
    public func undeclare() {
        session.state.withLock { s in
            s.localExprs.removeValue(forKey: exprID)
            s.routes.removeAll()
        }
        session.sendDeclare(.undeclareKeyExpr(id: exprID))
    }
}
