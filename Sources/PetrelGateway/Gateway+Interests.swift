import PetrelKeyExpr
import PetrelSession
import PetrelWire

// A device's interests, answered as a Zenoh router answers a client's: with
// the subscribers, queryables and tokens it can reach through the gateway.
extension Gateway {
    func handleInterest(_ interest: Interest, from id: UInt32) {
        var restriction: KeyExpr?
        if let w = interest.wireExpr {
            guard let k = resolveKey(w, from: id) else { return }
            restriction = k
        }
        let key = restriction
        let wantsTokens = interest.mode == .final || interest.options.contains(.tokens)
        let wantsEntities = interest.mode == .final
            || interest.options.contains(.subscribers) || interest.options.contains(.queryables)
        if wantsEntities {
            // On the gateway's queue, after the declarations the device sent before it.
            work.enqueue { [weak self] in
                self?.answerEntityInterest(interest, key: key, from: id, sendFinal: !interest.options.contains(.tokens))
            }
        }
        if wantsTokens { answerTokenInterest(interest, key: key ?? Self.everyKey, from: id) }
    }

    /// Subscribers and queryables: a publisher's or querier's write-side
    /// filter, a matching listener. zenoh-pico's clients ask with option A
    /// (aggregate) and keep writing only while a declaration *equal* to their
    /// key is announced; Rust's ask without it and take any intersecting one.
    private func answerEntityInterest(_ interest: Interest, key: KeyExpr?, from id: UInt32, sendFinal: Bool) {
        let reach = reachable(from: id)
        let asked = DeviceInterest(subscribers: interest.options.contains(.subscribers),
                                   queryables: interest.options.contains(.queryables),
                                   key: key, aggregate: interest.options.contains(.aggregate))
        guard let answer = faces.withLock({ fs -> [(Declaration, UInt32?)]? in
            fs[id]?.answers.answer(asked, id: interest.id, mode: interest.mode, in: reach)
        }) else { return }
        for (d, iid) in answer { send(d, interestID: iid, to: id) }
        let current = interest.mode == .current || interest.mode == .currentFuture
        if current && sendFinal { send(.final, interestID: interest.id, to: id) }
    }

    /// After anything reachable changed (the network's declarations, the
    /// agent's, another device's, a device gone): each device's answers
    /// follow. A burst of changes (a router announcing many declarations one
    /// by one) queues one pass, not one per change.
    func refreshInterestAnswers() {
        guard !refreshQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        work.enqueue { [weak self] in
            guard let self else { return }
            self.refreshQueued.store(false, ordering: .releasing)
            let ids = self.faces.withLock { fs in fs.values.filter { !$0.answers.interests.isEmpty }.map(\.id) }
            guard !ids.isEmpty else { return }
            let shared = self.sharedReach()
            for id in ids {
                let reach = self.reachable(from: id, shared: shared)
                let changes = self.faces.withLock { fs in fs[id]?.answers.reconcile(with: reach) } ?? []
                for d in changes { self.send(d, to: id) }
            }
        }
    }

    /// What every device reaches, whichever it is: the network's declarations
    /// and the agent's. While no router is connected (or its answer on a new
    /// link is not whole yet), the offline buffer takes every reading: a
    /// subscriber on `**`.
    func sharedReach() -> Reachable {
        let view = session.declarationView
        var reach = Reachable(subscribers: view.remoteSubscribers + view.localSubscribers,
                              queryables: view.remoteQueryables + view.localQueryables)
        if undelivered != nil && (!view.answered || !session.isConnected) {
            reach.subscribers.append(Self.everyKey)
        }
        return reach
    }

    /// What device `id` reaches: `shared` and the other devices' declarations, never its own.
    func reachable(from id: UInt32, shared: Reachable? = nil) -> Reachable {
        var reach = shared ?? sharedReach()
        faces.withLock { fs in
            for f in fs.values where f.id != id {
                reach.subscribers.append(contentsOf: f.subscribers.values)
                reach.queryables.append(contentsOf: f.queryables.values.map { ($0.key, $0.complete) })
            }
        }
        return reach
    }

    /// `**`: an interest without a key expression, and the offline buffer as a subscriber.
    private static let everyKey = try! KeyExpr("**")

    // MARK: Tokens

    /// Tokens, through a liveliness subscriber or get of the agent's session.
    /// The router announces every token to the agent, its own (the devices')
    /// included, so devices see each other's tokens through it too.
    private func answerTokenInterest(_ interest: Interest, key: KeyExpr, from id: UInt32) {
        switch interest.mode {
        case .final:
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.livelinessSubscribers.removeValue(forKey: interest.id) }?.undeclare()
            }
        case .current:
            Task { [weak self] in
                guard let self else { return }
                if let replies = try? await self.session.livelinessGet(key.string) {
                    for await r in replies {
                        guard let s = r.sample else { continue }
                        self.announceToken(s.key, alive: true, interestID: interest.id, to: id)
                    }
                }
                self.send(.final, interestID: interest.id, to: id)
            }
        case .future, .currentFuture:
            let history = interest.mode == .currentFuture
            work.enqueue { [weak self] in
                guard let self else { return }
                let sub = try? await self.session.declareLivelinessSubscriber(key.string, history: history) { [weak self] sample in
                    self?.announceToken(sample.key, alive: sample.kind == .put, interestID: nil, to: id)
                }
                self.keep(sub, on: id) { f, s in
                    f.livelinessSubscribers[interest.id] = s
                    return true
                }
                if history { self.send(.final, interestID: interest.id, to: id) }
            }
        }
    }
}
