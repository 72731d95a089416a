import PetrelKeyExpr
import PetrelSession
import PetrelWire

// A device's declarations and interests.
extension Gateway {
    func handleDeclare(_ declare: Declare, from id: UInt32) {
        switch declare.declaration {
        case .keyExpr(let exprID, let wireExpr):
            faces.withLock { fs in
                guard let key = fs[id]?.resolve(wireExpr) else { return }
                fs[id]?.exprs[exprID] = key
            }
        case .undeclareKeyExpr(let exprID):
            faces.withLock { fs in _ = fs[id]?.exprs.removeValue(forKey: exprID) }
        case .subscriber(let subID, let wireExpr):
            guard let k = resolveKey(wireExpr, from: id) else { return }
            faces.withLock { fs in fs[id]?.subscribers[subID] = k }
            work.enqueue { [weak self] in
                guard let self else { return }
                // The same id declared again replaces the earlier declaration.
                self.faces.withLock { fs in fs[id]?.upstreamSubscribers.removeValue(forKey: subID) }?.undeclare()
                let sub = try? await self.session.declareSubscriber(k.string) { [weak self] sample in
                    self?.deliver(sample, to: id, through: subID)
                }
                self.keep(sub, on: id) { f, s in
                    if f.subscribers[subID] == nil { return false }
                    f.upstreamSubscribers[subID] = s
                    return true
                }
            }
        case .undeclareSubscriber(let subID, _):
            faces.withLock { fs in _ = fs[id]?.subscribers.removeValue(forKey: subID) }
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.upstreamSubscribers.removeValue(forKey: subID) }?.undeclare()
            }
        case .queryable(let qid, let wireExpr, let info):
            guard let k = resolveKey(wireExpr, from: id) else { return }
            faces.withLock { fs in fs[id]?.queryables[qid] = (k, info.complete) }
            work.enqueue { [weak self] in
                guard let self else { return }
                self.faces.withLock { fs in fs[id]?.upstreamQueryables.removeValue(forKey: qid) }?.undeclare()
                let q = try? await self.session.declareQueryable(k.string, complete: info.complete, relayed: true) { [weak self] query in
                    await self?.forwardUpstreamQuery(query, to: id)
                }
                self.keep(q, on: id) { f, q in
                    if f.queryables[qid] == nil { return false }
                    f.upstreamQueryables[qid] = q
                    return true
                }
            }
        case .undeclareQueryable(let qid, _):
            faces.withLock { fs in _ = fs[id]?.queryables.removeValue(forKey: qid) }
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.upstreamQueryables.removeValue(forKey: qid) }?.undeclare()
            }
        case .token(let tid, let wireExpr):
            guard let k = resolveKey(wireExpr, from: id) else { return }
            faces.withLock { fs in fs[id]?.tokenKeys[tid] = k.string }
            work.enqueue { [weak self] in
                guard let self else { return }
                self.faces.withLock { fs in fs[id]?.upstreamTokens.removeValue(forKey: tid) }?.undeclare()
                let token = try? await self.session.declareToken(k.string)
                self.keep(token, on: id) { f, t in
                    if f.tokenKeys[tid] == nil { return false }
                    f.upstreamTokens[tid] = t
                    return true
                }
            }
        case .undeclareToken(let tid, _):
            faces.withLock { fs in _ = fs[id]?.tokenKeys.removeValue(forKey: tid) }
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.upstreamTokens.removeValue(forKey: tid) }?.undeclare()
            }
        case .final:
            break
        }
    }

    /// Stores an upstream declaration on its face; undeclares it when the
    /// face or the device's declaration went away in the meantime.
    private func keep<T: Undeclarable>(_ handle: T?, on id: UInt32, _ store: (inout Face, T) -> Bool) {
        guard let handle else { return }
        let kept = faces.withLock { fs -> Bool in
            guard var f = fs[id] else { return false }
            let ok = store(&f, handle)
            fs[id] = f
            return ok
        }
        if !kept { handle.undeclare() }
    }

    func resolveKey(_ e: WireExpr, from id: UInt32) -> KeyExpr? {
        guard let key = faces.withLock({ $0[id]?.resolve(e) }), let k = try? KeyExpr(key) else {
            count { $0.unknownKeyExprs += 1 }
            logger.debug("declaration on an unknown or invalid key expression from a device", metadata: ["wireExpr": "\(e)"])
            return nil
        }
        return k
    }

    /// Interests: tokens are liveliness subscribers and gets; subscriber and
    /// queryable interests (a client's write-side filtering) are answered
    /// with `**`, the gateway taking everything for the router to filter.
    func handleInterest(_ interest: Interest, from id: UInt32) {
        if interest.mode == .final {
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.livelinessSubscribers.removeValue(forKey: interest.id) }?.undeclare()
            }
            return
        }
        let key: KeyExpr
        if let w = interest.wireExpr {
            guard let k = resolveKey(w, from: id) else { return }
            key = k
        } else {
            key = try! KeyExpr("**")
        }
        let answersCurrent = interest.mode == .current || interest.mode == .currentFuture
        let iidForCurrent: UInt32? = answersCurrent ? interest.id : nil
        if interest.options.contains(.subscribers) {
            send(.subscriber(id: Self.catchAllID, wireExpr: WireExpr("**")), interestID: iidForCurrent, to: id)
        }
        if interest.options.contains(.queryables) {
            send(.queryable(id: Self.catchAllID, wireExpr: WireExpr("**"), info: QueryableInfo(complete: false, distance: 1)),
                 interestID: iidForCurrent, to: id)
        }
        guard interest.options.contains(.tokens) else {
            if answersCurrent { send(.final, interestID: interest.id, to: id) }
            return
        }
        if interest.mode == .current {
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
            return
        }
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

    /// The id of the gateway's catch-all subscriber and queryable towards devices.
    static let catchAllID: UInt32 = 1

    private func announceToken(_ key: String, alive: Bool, interestID: UInt32?, to id: UInt32) {
        guard let tokenID = faces.withLock({ fs -> UInt32? in
            guard var f = fs[id] else { return nil }
            let t = f.tokenID(for: key)
            if !alive { f.announcedTokens.removeValue(forKey: key) }
            fs[id] = f
            return t
        }) else { return }
        let d: Declaration = alive ? .token(id: tokenID, wireExpr: WireExpr(key)) : .undeclareToken(id: tokenID, wireExpr: WireExpr(key))
        send(d, interestID: interestID, to: id)
    }
}

/// The session's declaration handles, which the gateway treats alike.
protocol Undeclarable: Sendable {
    func undeclare()
}

extension Subscriber: Undeclarable {}
extension Queryable: Undeclarable {}
extension LivelinessToken: Undeclarable {}
extension LivelinessSubscriber: Undeclarable {}
