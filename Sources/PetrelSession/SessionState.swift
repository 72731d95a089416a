import PetrelKeyExpr
import PetrelTime
import PetrelWire
import Synchronization

/// Everything a session has declared or has in flight, under the session's lock.
struct SessionState {
    var nextExprID: UInt16 = 1
    var nextEntityID: UInt32 = 1
    var nextRequestID: UInt32 = 1
    var nextInterestID: UInt32 = 1

    /// Key expressions we declared (id → text); re-declared on every new link.
    var localExprs: [UInt16: String] = [:]
    /// Key expressions the router declared to us on the current link.
    var remoteExprs: [UInt16: String] = [:]

    var subscribers: [UInt32: SubscriberEntry] = [:]
    var queryables: [UInt32: QueryableEntry] = [:]
    var tokens: [UInt32: String] = [:]
    /// Liveliness subscribers, by the id of their interest.
    var livelinessSubscribers: [UInt32: LivelinessSubscriberEntry] = [:]
    /// Liveliness gets in flight, by interest id.
    var livelinessGets: [UInt32: LivelinessGet] = [:]
    /// Tokens the router announced (its token id → key), to resolve undeclarations.
    var remoteTokens: [UInt32: String] = [:]
    var pendingQueries: [UInt32: PendingQuery] = [:]
    /// The network's subscribers and queryables, for a gateway (`watchDeclarations`).
    var declarationWatch: DeclarationWatch?

    /// Where pushes on a wire expression go: resolved key and matching
    /// subscribers, so a stream of samples on the same key costs one lookup
    /// and no allocation each. Cleared whenever subscribers or the router's
    /// key-expression ids change.
    var routes: [WireExpr: Route] = [:] {
        // Whatever clears or changes the cache forgets the recent routes too.
        didSet { recentRoutes = (nil, nil) }
    }

    struct Route {
        var key: String
        var handlers: [@Sendable (Sample) -> Void]
    }

    /// The two routes used last, newest first: a stream of samples on one key
    /// compares one wire expression instead of hashing it into `routes` each
    /// time, and so does a reply on another key sent from its callback (a
    /// session's own puts go through `route` too, for its local subscribers).
    var recentRoutes: (newest: (expr: WireExpr, route: Route)?, older: (expr: WireExpr, route: Route)?) = (nil, nil)

    /// Resolves a push's key and subscribers, through the route cache.
    mutating func route(_ e: WireExpr) -> Route? {
        if let newest = recentRoutes.newest, newest.expr == e { return newest.route }
        if let older = recentRoutes.older, older.expr == e {
            recentRoutes = (older, recentRoutes.newest)
            return older.route
        }
        if let r = routes[e] {
            recentRoutes = ((e, r), recentRoutes.newest)
            return r
        }
        guard let key = resolve(e) else { return nil }
        var handlers: [@Sendable (Sample) -> Void] = []
        if !subscribers.isEmpty, let k = try? KeyExpr(key) {
            for entry in subscribers.values where entry.key.intersects(k) { handlers.append(entry.handler) }
        }
        let r = Route(key: key, handlers: handlers)
        // Bounded: a stream of ever-new keys must not grow memory.
        if routes.count >= 4096 { routes.removeAll(keepingCapacity: true) }
        let newest = recentRoutes.newest // still right: adding a route changes no other
        routes[e] = r
        recentRoutes = ((e, r), newest)
        return r
    }

    mutating func takeEntityID() -> UInt32 {
        defer { nextEntityID &+= 1 }
        return nextEntityID
    }

    mutating func takeExprID() -> UInt16 {
        defer { nextExprID = nextExprID == UInt16.max ? 1 : nextExprID + 1 }
        return nextExprID
    }

    mutating func takeRequestID() -> UInt32 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    mutating func takeInterestID() -> UInt32 {
        defer { nextInterestID &+= 1 }
        return nextInterestID
    }

    /// Full key text of a wire expression as received (§11): M=1 refers to the
    /// sender's (router's) ids, M=0 to ours. `nil` for an unknown id.
    func resolve(_ e: WireExpr) -> String? {
        if e.scope == 0 { return e.suffix }
        let prefix = e.mapping == .sender ? remoteExprs[e.scope] : localExprs[e.scope]
        guard let prefix else { return nil }
        return e.suffix.isEmpty ? prefix : prefix + e.suffix
    }
}

struct SubscriberEntry {
    var key: KeyExpr
    var handler: @Sendable (Sample) -> Void
    /// Set for a subscriber a gateway declared on behalf of one of its devices.
    var relayed = false
}

struct QueryableEntry {
    var key: KeyExpr
    var complete: Bool
    var handler: @Sendable (Query) async -> Void
    /// Set for a queryable a gateway declared on behalf of one of its devices.
    var relayed = false
}

struct LivelinessSubscriberEntry {
    var key: KeyExpr
    var history: Bool
    var handler: @Sendable (Sample) -> Void
}

struct LivelinessGet {
    var continuation: AsyncStream<Reply>.Continuation
}

/// Counters the agent reports in its admin space and `petrel info`. Atomics,
/// because they are bumped on every sample.
public final class SessionCounters: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var samplesOut: UInt64 = 0
        public var samplesIn: UInt64 = 0
        public var queriesOut: UInt64 = 0
        public var queriesIn: UInt64 = 0
        public var repliesIn: UInt64 = 0
        public var dropsDisconnected: UInt64 = 0
        public var unknownKeyExprs: UInt64 = 0
        public var reconnects: UInt64 = 0

        public init() {}

        init(samplesOut: UInt64, samplesIn: UInt64, queriesOut: UInt64, queriesIn: UInt64, repliesIn: UInt64,
             dropsDisconnected: UInt64, unknownKeyExprs: UInt64, reconnects: UInt64) {
            self.samplesOut = samplesOut
            self.samplesIn = samplesIn
            self.queriesOut = queriesOut
            self.queriesIn = queriesIn
            self.repliesIn = repliesIn
            self.dropsDisconnected = dropsDisconnected
            self.unknownKeyExprs = unknownKeyExprs
            self.reconnects = reconnects
        }
    }

    enum Counter: Int, CaseIterable {
        case samplesOut, samplesIn, queriesOut, queriesIn, repliesIn, dropsDisconnected, unknownKeyExprs, reconnects
    }

    private let samplesOut = Atomic<UInt64>(0)
    private let samplesIn = Atomic<UInt64>(0)
    private let queriesOut = Atomic<UInt64>(0)
    private let queriesIn = Atomic<UInt64>(0)
    private let repliesIn = Atomic<UInt64>(0)
    private let dropsDisconnected = Atomic<UInt64>(0)
    private let unknownKeyExprs = Atomic<UInt64>(0)
    private let reconnects = Atomic<UInt64>(0)

    func add(_ counter: Counter, _ n: UInt64) {
        switch counter {
        case .samplesOut: samplesOut.add(n, ordering: .relaxed)
        case .samplesIn: samplesIn.add(n, ordering: .relaxed)
        case .queriesOut: queriesOut.add(n, ordering: .relaxed)
        case .queriesIn: queriesIn.add(n, ordering: .relaxed)
        case .repliesIn: repliesIn.add(n, ordering: .relaxed)
        case .dropsDisconnected: dropsDisconnected.add(n, ordering: .relaxed)
        case .unknownKeyExprs: unknownKeyExprs.add(n, ordering: .relaxed)
        case .reconnects: reconnects.add(n, ordering: .relaxed)
        }
    }

    public func snapshot() -> Snapshot {
        Snapshot(samplesOut: samplesOut.load(ordering: .relaxed), samplesIn: samplesIn.load(ordering: .relaxed),
                 queriesOut: queriesOut.load(ordering: .relaxed), queriesIn: queriesIn.load(ordering: .relaxed),
                 repliesIn: repliesIn.load(ordering: .relaxed), dropsDisconnected: dropsDisconnected.load(ordering: .relaxed),
                 unknownKeyExprs: unknownKeyExprs.load(ordering: .relaxed), reconnects: reconnects.load(ordering: .relaxed))
    }
}
