import PetrelKeyExpr
import PetrelTime
import PetrelTransport
import PetrelWire
import Synchronization

/// One open transport with another Zenoh peer (or a router met as a peer)
/// and what that node declared on it: its key-expression ids, subscribers,
/// queryables and tokens. Zenoh 1.x peers send each other all their own
/// declarations on open, closed by `DECLARE(I, interest 0, D_FINAL)`, and
/// every later change as it happens, with no explicit interest (captured
/// from 1.10.2), so this table is whole once the final has arrived.
final class PeerFace: Sendable {
    let transport: UnicastTransport
    var zid: ZenohID { transport.parameters.remoteZID }
    var whatAmI: WhatAmI { transport.parameters.remoteWhatAmI }
    /// Whether we opened it (the other node accepted): decides which of two
    /// simultaneous transports between the same pair survives.
    let initiatedHere: Bool
    let state = Mutex(PeerFaceState())

    init(transport: UnicastTransport, initiatedHere: Bool) {
        self.transport = transport
        self.initiatedHere = initiatedHere
    }


    /// Whether this peer declared a subscriber a sample on `key` should go to
    /// (cached per key: a stream of puts on one key checks once).
    func wantsSample(_ key: KeyExpr) -> Bool {
        state.withLock { s in
            if let known = s.subscriberMatches[key.string] { return known }
            let wants = s.subscribers.values.contains { $0.intersects(key) }
            if s.subscriberMatches.count >= 4096 { s.subscriberMatches.removeAll(keepingCapacity: true) }
            s.subscriberMatches[key.string] = wants
            return wants
        }
    }

    /// Whether this peer declared a queryable a query on `key` (with `target`) should go to.
    func answers(_ key: KeyExpr, target: QueryTarget) -> Bool {
        state.withLock { s in
            s.queryables.values.contains { $0.key.intersects(key) && (target != .allComplete || $0.complete) }
        }
    }
}

struct PeerFaceState {
    var remoteExprs: [UInt16: String] = [:]
    var subscribers: [UInt32: KeyExpr] = [:] {
        didSet { subscriberMatches.removeAll() }
    }
    var queryables: [UInt32: (key: KeyExpr, complete: Bool)] = [:]
    var tokens: [UInt32: String] = [:]
    /// Whether its D_FINAL for the initial declarations arrived.
    var declarationsComplete = false
    /// Gossip: the peer's psid → ZID mapping (entries may name a node by psid only).
    var psids: [UInt64: ZenohID] = [:]
    /// Where the peer says it listens (from its own link state).
    var locators: [String]?
    var gossipSN: UInt64 = 0
    var subscriberMatches: [String: Bool] = [:]
}
