import PetrelKeyExpr
import PetrelTime
import PetrelWire

/// The querier's side of consolidation (zenoh-wire.md §13.2): routers do not
/// consolidate, the querying session does. Error replies are never
/// consolidated; they are delivered as they come, as Zenoh does.
struct ReplyConsolidator {
    /// The mode applied locally: Auto has already been resolved.
    let mode: ConsolidationMode
    private var latestByKey: [String: Reply] = [:]
    private var keyOrder: [String] = []

    init(mode: ConsolidationMode) {
        self.mode = mode
    }

    /// Zenoh's rule for Auto: Latest, unless the selector asks for a time range
    /// (`_time=`), where every version matters, so None.
    static func resolve(_ requested: ConsolidationMode, parameters: String) -> ConsolidationMode {
        guard requested == .auto else { return requested }
        let hasTime = parameters.split(separator: ";").contains { $0.hasPrefix("_time=") }
        return hasTime ? .none : .latest
    }

    /// Takes a reply; returns the replies to deliver now.
    mutating func accept(_ reply: Reply) -> Reply? {
        guard case .success(let sample) = reply.result else { return reply }
        switch mode {
        case .none, .auto:
            return reply
        case .monotonic:
            if let cached = latestByKey[sample.key], !Self.atLeastAsNew(sample.timestamp, as: cached.sample?.timestamp) {
                return nil
            }
            latestByKey[sample.key] = reply
            return reply
        case .latest:
            if let cached = latestByKey[sample.key] {
                if Self.atLeastAsNew(sample.timestamp, as: cached.sample?.timestamp) { latestByKey[sample.key] = reply }
            } else {
                latestByKey[sample.key] = reply
                keyOrder.append(sample.key)
            }
            return nil
        }
    }

    /// What is held back until the final answer (Latest).
    mutating func finish() -> [Reply] {
        guard mode == .latest else { return [] }
        let out = keyOrder.compactMap { latestByKey[$0] }
        latestByKey = [:]
        keyOrder = []
        return out
    }

    /// Zenoh 1.x compares optional timestamps with "none" older than any
    /// timestamp, and a reply at least as new as the kept one replaces it (so
    /// among unstamped replies the last one wins, and Monotonic forwards ties).
    static func atLeastAsNew(_ a: Timestamp?, as b: Timestamp?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (nil, .some): return false
        case (.some, nil): return true
        case let (.some(x), .some(y)): return x >= y
        }
    }
}

/// A `get` in flight.
struct PendingQuery {
    /// Replies whose key does not intersect this are dropped, as Zenoh drops them.
    var key: KeyExpr
    var consolidator: ReplyConsolidator
    var continuation: AsyncStream<Reply>.Continuation
    var timeoutTask: Task<Void, Never>?
    /// Peer mode: the faces (by identity) whose final answer is still missing.
    var awaitingPeers: Set<ObjectIdentifier> = []
}
