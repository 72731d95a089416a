import PetrelKeyExpr
import PetrelSession
import PetrelTransport
import PetrelWire

/// One device's session with the gateway, and what it declared. The device's
/// declarations live upstream as declarations of the agent's own session
/// (`upstream*`), so the router sees one client, the agent.
struct Face {
    let id: UInt32
    let transport: any DeviceLink
    /// Key expressions the device declared (its ids, M=1 on its messages).
    var exprs: [UInt16: String] = [:]
    /// The device's subscribers by its ids, and their upstream counterparts.
    var subscribers: [UInt32: KeyExpr] = [:]
    var upstreamSubscribers: [UInt32: Subscriber] = [:]
    var queryables: [UInt32: (key: KeyExpr, complete: Bool)] = [:]
    var upstreamQueryables: [UInt32: Queryable] = [:]
    var upstreamTokens: [UInt32: LivelinessToken] = [:]
    /// Keys of the device's tokens, to answer undeclarations without a key.
    var tokenKeys: [UInt32: String] = [:]
    /// Liveliness subscribers the device asked for (by its interest id).
    var livelinessSubscribers: [UInt32: LivelinessSubscriber] = [:]
    /// What the gateway declared to the device in answer to its subscriber
    /// and queryable interests.
    var answers = InterestAnswers()
    /// Queries the gateway sent to this device, by the request id used on this face.
    var forwarded: [UInt32: ForwardedQuery] = [:]
    var nextRequestID: UInt32 = 1
    /// Ids the gateway gave the tokens it announces to this device.
    var announcedTokens: [String: UInt32] = [:]
    var nextTokenID: UInt32 = 1
    var samplesIn: UInt64 = 0
    /// Being closed for going over a cap: nothing more it sends is handled.
    var refused = false
    var samplesOut: UInt64 = 0

    init(id: UInt32, transport: any DeviceLink) {
        self.id = id
        self.transport = transport
    }

    /// The full key of a wire expression the device sent: M=1 names the
    /// device's own ids; the gateway declares none, so M=0 only with scope 0.
    func resolve(_ e: WireExpr) -> String? {
        if e.scope == 0 { return e.suffix }
        guard e.mapping == .sender, let prefix = exprs[e.scope] else { return nil }
        return prefix + e.suffix
    }

    mutating func takeRequestID() -> UInt32 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    mutating func tokenID(for key: String) -> UInt32 {
        if let id = announcedTokens[key] { return id }
        let id = nextTokenID
        nextTokenID &+= 1
        announcedTokens[key] = id
        return id
    }

    /// Of the device's subscribers, the one a sample on `key` is delivered
    /// through: the lowest id among those that match, so a device with
    /// overlapping subscribers gets each sample once (as from a router).
    func deliveringSubscriber(for key: KeyExpr) -> UInt32? {
        var best: UInt32?
        for (id, k) in subscribers where k.intersects(key) {
            if best == nil || id < best! { best = id }
        }
        return best
    }
}

/// Where the answers of a query sent to a device go.
enum ForwardedQuery {
    /// A query that reached the agent's session (from upstream): answered
    /// through its `Query`; `done` is called on the device's final answer.
    case upstream(PetrelSession.Query, done: @Sendable () -> Void)
    /// A query from another device of the gateway.
    case local(QueryFanIn)
}
