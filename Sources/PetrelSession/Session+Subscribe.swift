import PetrelKeyExpr
import PetrelWire

extension Session {
    /// Subscribes with a callback, called on the link's thread for every
    /// matching sample (keep it short; hand heavy work to a task).
    public func declareSubscriber(_ key: String, handler: @escaping @Sendable (Sample) -> Void) async throws -> Subscriber {
        try await declareSubscriber(key, relayed: false, handler: handler)
    }

    /// `relayed`: declared by a gateway for one of its devices; a gateway's
    /// view of the session's own subscribers (`declarationView`) leaves it out.
    package func declareSubscriber(_ key: String, relayed: Bool,
                                   handler: @escaping @Sendable (Sample) -> Void) async throws -> Subscriber {
        let k = try keyExpr(key)
        let id = state.withLock { s in
            let id = s.takeEntityID()
            s.subscribers[id] = SubscriberEntry(key: k, handler: handler, relayed: relayed)
            s.routes.removeAll()
            return id
        }
        localSubscriberCount.add(1, ordering: .relaxed)
        sendDeclare(.subscriber(id: id, wireExpr: WireExpr(k.string)))
        if !relayed { localDeclarationsChanged() }
        return Subscriber(session: self, id: id, key: k, samples: nil)
    }

    /// Subscribes with an `AsyncSequence` of samples (`subscriber.samples`).
    public func declareSubscriber(_ key: String,
                                  bufferingPolicy: AsyncStream<Sample>.Continuation.BufferingPolicy = .unbounded) async throws -> Subscriber {
        let (stream, continuation) = AsyncStream<Sample>.makeStream(bufferingPolicy: bufferingPolicy)
        let k = try keyExpr(key)
        let id = state.withLock { s in
            let id = s.takeEntityID()
            s.subscribers[id] = SubscriberEntry(key: k, handler: { continuation.yield($0) })
            s.routes.removeAll()
            return id
        }
        localSubscriberCount.add(1, ordering: .relaxed)
        streamFinishers.add(id: id, kind: .subscriber) { continuation.finish() }
        sendDeclare(.subscriber(id: id, wireExpr: WireExpr(k.string)))
        localDeclarationsChanged()
        return Subscriber(session: self, id: id, key: k, samples: stream)
    }

    func undeclareSubscriber(id: UInt32) {
        let removed = state.withLock { s in
            s.routes.removeAll()
            return s.subscribers.removeValue(forKey: id)
        }
        guard let removed else { return }
        localSubscriberCount.subtract(1, ordering: .relaxed)
        streamFinishers.finish(id: id, kind: .subscriber)
        sendDeclare(.undeclareSubscriber(id: id, wireExpr: nil))
        if !removed.relayed { localDeclarationsChanged() }
    }
}

/// A declared subscriber. Its samples arrive through the handler it was
/// declared with, or through `samples` when it was declared without one.
public final class Subscriber: Sendable {
    public let id: UInt32
    public let key: KeyExpr
    /// The samples, for a subscriber declared without a handler; finishes when
    /// the subscriber is undeclared or the session closes.
    public let samples: AsyncStream<Sample>
    private let session: Session

    init(session: Session, id: UInt32, key: KeyExpr, samples: AsyncStream<Sample>?) {
        self.session = session
        self.id = id
        self.key = key
        self.samples = samples ?? AsyncStream { $0.finish() }
    }

    public func undeclare() {
        session.undeclareSubscriber(id: id)
    }
}
