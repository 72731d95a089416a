import PetrelTime
import PetrelTransport
import PetrelWire

/// How a session connects and behaves. Field names follow Zenoh's config keys
/// where Zenoh has one (`mode`, `connect.endpoints`, `timestamping`).
public struct SessionConfig: Sendable {
    public var mode: WhatAmI = .client
    /// Routers to connect to, tried in order; the session keeps one link.
    public var connect: [Endpoint]
    public var transport: TransportConfig
    public var reconnect: ReconnectPolicy = ReconnectPolicy()
    /// Stamp our own puts with the hybrid logical clock (Zenoh: off for clients, on for routers).
    public var timestamping: Bool = false
    /// Default timeout of `get` (Zenoh's queries_default_timeout).
    public var queryTimeout: Duration = .seconds(10)
    /// Peer mode: where this session accepts other peers (Zenoh's `listen.endpoints`).
    public var listen: [Endpoint] = []
    /// Multicast scouting and gossip (Zenoh's `scouting.*`).
    public var scouting = ScoutingConfig()

    public init(connect: [Endpoint], zid: ZenohID = .random()) {
        self.connect = connect
        self.transport = TransportConfig(zid: zid)
    }

    public var zid: ZenohID { transport.zid }
}

/// Exponential back-off with jitter between connection attempts.
public struct ReconnectPolicy: Sendable {
    public var initialDelay: Duration = .milliseconds(100)
    public var maxDelay: Duration = .seconds(4)
    public var factor: Double = 2
    /// Each delay is drawn uniformly from [delay × (1 − jitter), delay].
    public var jitter: Double = 0.3

    public init() {}

    func delay(attempt: Int) -> Duration {
        let base = Double(initialDelay.components.seconds) + Double(initialDelay.components.attoseconds) * 1e-18
        let maxS = Double(maxDelay.components.seconds) + Double(maxDelay.components.attoseconds) * 1e-18
        let d = min(base * pow2(factor, attempt), maxS)
        let j = d * (1 - Double.random(in: 0...jitter))
        return .nanoseconds(Int64(j * 1e9))
    }

    private func pow2(_ f: Double, _ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<min(n, 64) { r *= f }
        return r
    }
}
