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
                let sub = try? await self.session.declareSubscriber(k.string, relayed: true) { [weak self] sample in
                    self?.deliver(sample, to: id, through: subID)
                }
                self.keep(sub, on: id) { f, s in
                    if f.subscribers[subID] == nil { return false }
                    f.upstreamSubscribers[subID] = s
                    return true
                }
            }
            refreshInterestAnswers()
        case .undeclareSubscriber(let subID, _):
            faces.withLock { fs in _ = fs[id]?.subscribers.removeValue(forKey: subID) }
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.upstreamSubscribers.removeValue(forKey: subID) }?.undeclare()
            }
            refreshInterestAnswers()
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
            refreshInterestAnswers()
        case .undeclareQueryable(let qid, _):
            faces.withLock { fs in _ = fs[id]?.queryables.removeValue(forKey: qid) }
            work.enqueue { [weak self] in
                self?.faces.withLock { fs in fs[id]?.upstreamQueryables.removeValue(forKey: qid) }?.undeclare()
            }
            refreshInterestAnswers()
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
    func keep<T: Undeclarable>(_ handle: T?, on id: UInt32, _ store: (inout Face, T) -> Bool) {
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

    func announceToken(_ key: String, alive: Bool, interestID: UInt32?, to id: UInt32) {
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
