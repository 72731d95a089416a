import PetrelKeyExpr
import PetrelWire

extension Session {
    /// Declares a liveliness token: other sessions see `key` alive while the
    /// token (and this session) lives.
    public func declareToken(_ key: String) async throws -> LivelinessToken {
        let k = try keyExpr(key)
        let id = state.withLock { s in
            let id = s.takeEntityID()
            s.tokens[id] = k.string
            return id
        }
        sendDeclare(.token(id: id, wireExpr: WireExpr(k.string)))
        return LivelinessToken(session: self, id: id, key: k)
    }

    func undeclareToken(id: UInt32) {
        let existed = state.withLock { $0.tokens.removeValue(forKey: id) != nil }
        guard existed else { return }
        sendDeclare(.undeclareToken(id: id, wireExpr: nil))
    }

    /// Subscribes to liveliness changes on `key`: a `put` sample when a token
    /// appears, a `delete` when it goes. With `history`, tokens alive now are
    /// reported first.
    public func declareLivelinessSubscriber(_ key: String, history: Bool = false,
                                            handler: @escaping @Sendable (Sample) -> Void) async throws -> LivelinessSubscriber {
        let k = try keyExpr(key)
        let iid = state.withLock { s in
            let iid = s.takeInterestID()
            s.livelinessSubscribers[iid] = LivelinessSubscriberEntry(key: k, history: history, handler: handler)
            return iid
        }
        if isPeer {
            // Peers declare their tokens to us unasked: history is what they declared.
            if history {
                for key in peerTokens(matching: k) { handler(Sample(kind: .put, key: key)) }
            }
        } else {
            send(livelinessInterest(id: iid, key: k, mode: history ? .currentFuture : .future), priority: .control)
        }
        return LivelinessSubscriber(session: self, interestID: iid, key: k)
    }

    func livelinessInterest(id: UInt32, key: KeyExpr, mode: InterestMode) -> Interest {
        Interest(id: id, mode: mode, options: [.keyExprs, .tokens, .restricted], wireExpr: WireExpr(key.string), qos: .declare)
    }

    func undeclareLivelinessSubscriber(interestID: UInt32) {
        let existed = state.withLock { $0.livelinessSubscribers.removeValue(forKey: interestID) != nil }
        guard existed, !isPeer else { return }
        send(Interest(id: interestID, mode: .final, options: [], wireExpr: nil, qos: .declare), priority: .control)
    }

    /// The tokens alive now on `key`, one reply each; the stream ends with the
    /// router's final answer or the timeout.
    public func livelinessGet(_ key: String, timeout: Duration? = nil) async throws -> AsyncStream<Reply> {
        let k = try keyExpr(key)
        if isPeer {
            // Every peer's tokens are known here already.
            let (stream, continuation) = AsyncStream<Reply>.makeStream()
            for key in peerTokens(matching: k) { continuation.yield(Reply(result: .success(Sample(kind: .put, key: key)))) }
            continuation.finish()
            return stream
        }
        guard let transport = currentTransport else { throw SessionError.notConnected }
        let (stream, continuation) = AsyncStream<Reply>.makeStream()
        let iid = state.withLock { s in
            let iid = s.takeInterestID()
            s.livelinessGets[iid] = LivelinessGet(continuation: continuation)
            return iid
        }
        transport.send(livelinessInterest(id: iid, key: k, mode: .current), priority: .control)
        let timeout = timeout ?? config.queryTimeout
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.finishLivelinessGet(iid)
        }
        return stream
    }

    func finishLivelinessGet(_ iid: UInt32) {
        let g = state.withLock { $0.livelinessGets.removeValue(forKey: iid) }
        g?.continuation.finish()
    }
}

/// A declared liveliness token.
public final class LivelinessToken: Sendable {
    public let id: UInt32
    public let key: KeyExpr
    private let session: Session

    init(session: Session, id: UInt32, key: KeyExpr) {
        self.session = session
        self.id = id
        self.key = key
    }

    public func undeclare() { session.undeclareToken(id: id) }
}

/// A declared liveliness subscriber.
public final class LivelinessSubscriber: Sendable {
    public let interestID: UInt32
    public let key: KeyExpr
    private let session: Session

    init(session: Session, interestID: UInt32, key: KeyExpr) {
        self.session = session
        self.interestID = interestID
        self.key = key
    }

    public func undeclare() { session.undeclareLivelinessSubscriber(interestID: interestID) }
}
