import PetrelKeyExpr
import PetrelTransport
import PetrelWire

/// The subscribers and queryables a gateway needs to know of to answer its
/// devices' interests as a router would: those elsewhere in the network (the
/// router's answers to one interest of this session) and this session's own,
/// leaving out what a gateway declared on behalf of its devices.
package struct DeclarationView: Sendable {
    package var remoteSubscribers: [KeyExpr] = []
    package var remoteQueryables: [(key: KeyExpr, complete: Bool)] = []
    package var localSubscribers: [KeyExpr] = []
    package var localQueryables: [(key: KeyExpr, complete: Bool)] = []
    /// Whether the router's answer on the current link is whole (false while
    /// it comes in, and before the first link): `remote*` may be out of date.
    package var answered = false
}

/// The network's subscribers and queryables as the router announced them in
/// answer to the watch's interest (ids are the router's, per link).
struct DeclarationWatch {
    typealias Entities = (subscribers: [UInt32: KeyExpr], queryables: [UInt32: (key: KeyExpr, complete: Bool)])

    let interestID: UInt32
    let onChange: @Sendable () -> Void
    var known: Entities = ([:], [:])
    /// The answer on a new link while it comes in; it replaces `known` at its
    /// D_FINAL, so what was known stays in place during an outage and the
    /// answer's first declarations do not read as everything else leaving.
    var incoming: Entities?

    var interest: Interest {
        Interest(id: interestID, mode: .currentFuture, options: [.keyExprs, .subscribers, .queryables], qos: .declare)
    }

    /// Applies a router declaration; whether what is known changed.
    mutating func apply(_ d: Declaration, resolve: (WireExpr) -> String?) -> Bool {
        func update(_ body: (inout Entities) -> Void) -> Bool {
            if incoming != nil { body(&incoming!); return false }
            body(&known)
            return true
        }
        switch d {
        case .subscriber(let id, let w):
            guard let k = resolve(w).flatMap({ try? KeyExpr($0) }) else { return false }
            return update { $0.subscribers[id] = k }
        case .undeclareSubscriber(let id, _):
            return update { $0.subscribers.removeValue(forKey: id) }
        case .queryable(let id, let w, let info):
            guard let k = resolve(w).flatMap({ try? KeyExpr($0) }) else { return false }
            return update { $0.queryables[id] = (k, info.complete) }
        case .undeclareQueryable(let id, _):
            return update { $0.queryables.removeValue(forKey: id) }
        default:
            return false
        }
    }
}

extension Session {
    /// Asks the router for every subscriber and queryable in the network, now
    /// and as they come and go (one interest, sent again on every new link),
    /// and calls `onChange` after each change to them or to this session's
    /// own declarations that were not made for a gateway's devices. Called on
    /// the link's thread or the declaring task; keep it short.
    package func watchDeclarations(onChange: @escaping @Sendable () -> Void) {
        let interest: Interest = state.withLock { s in
            let watch = DeclarationWatch(interestID: s.takeInterestID(), onChange: onChange, incoming: ([:], [:]))
            s.declarationWatch = watch
            return watch.interest
        }
        _ = send(interest, priority: .control)
    }

    package var declarationView: DeclarationView {
        state.withLock { s in
            var v = DeclarationView()
            if let w = s.declarationWatch {
                v.remoteSubscribers = Array(w.known.subscribers.values)
                v.remoteQueryables = Array(w.known.queryables.values)
                v.answered = w.incoming == nil
            }
            v.localSubscribers = s.subscribers.values.filter { !$0.relayed }.map(\.key)
            v.localQueryables = s.queryables.values.filter { !$0.relayed }.map { ($0.key, $0.complete) }
            return v
        }
    }

    /// A router declaration of a subscriber or queryable (answers to the watch).
    func remoteEntityDeclared(_ declare: Declare) {
        let changed: (@Sendable () -> Void)? = state.withLock { s in
            guard var w = s.declarationWatch else { return nil }
            if let iid = declare.interestID, iid != w.interestID { return nil }
            let resolve = { (e: WireExpr) in s.resolve(e) }
            let didChange = w.apply(declare.declaration, resolve: resolve)
            s.declarationWatch = w
            return didChange ? w.onChange : nil
        }
        changed?()
    }

    /// The router's D_FINAL for the watch's interest: its answer on this link is whole.
    func declarationWatchAnswered(_ interestID: UInt32) -> Bool {
        // The watch's own handler when the final is the watch's; nil otherwise.
        let onChange: (@Sendable () -> Void)? = state.withLock { s in
            guard var w = s.declarationWatch, w.interestID == interestID else { return nil }
            if let fresh = w.incoming {
                w.known = fresh
                w.incoming = nil
            }
            s.declarationWatch = w
            return w.onChange
        }
        onChange?()
        return onChange != nil
    }

    /// On a new link: the watch's interest again, its answer collected afresh.
    func renewDeclarationWatch(on t: UnicastTransport) {
        let interest: Interest? = state.withLock { s in
            guard s.declarationWatch != nil else { return nil }
            s.declarationWatch!.incoming = ([:], [:])
            return s.declarationWatch!.interest
        }
        if let interest { t.send(interest, priority: .control) }
    }

    /// This session's own subscribers or queryables changed (not a gateway's relayed ones).
    func localDeclarationsChanged() {
        state.withLock { $0.declarationWatch?.onChange }?()
    }
}
