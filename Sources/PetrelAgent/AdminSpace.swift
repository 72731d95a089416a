import PetrelSession
import PetrelSystem
import PetrelTransport
import PetrelWire

/// The agent's admin space: `@/<zid>/petrel/**` answers Zenoh queries with
/// JSON describing the agent (links, sessions, counters, buffer, storages,
/// versions), so `get("@/**/petrel/**")` anywhere in the network finds every agent.
struct AdminSpace: Sendable {
    let zid: String
    let provider: @Sendable () -> AgentStatus

    var keyExpr: String { "@/\(zid)/petrel/**" }

    /// The admin keys and what each holds.
    func entries() -> [(key: String, json: String)] {
        let status = provider()
        let base = "@/\(zid)/petrel"
        return [
            ("\(base)/status", JSONWriter.write(status)),
            ("\(base)/links", JSONWriter.write(status.links)),
            ("\(base)/sessions", JSONWriter.write(status.sessions)),
            ("\(base)/counters", JSONWriter.write(status.counters)),
            ("\(base)/version", JSONWriter.write(status.version)),
        ]
    }
}

/// What the admin space and `petrel info` report. Written as JSON objects
/// whose keys are the property names, sorted (see the `JSONWritable`
/// conformances below); nil optionals are left out.
struct AgentStatus: Sendable {
    struct Link: Sendable {
        var endpoint: String
        var role: String
        var state: String
        var peer: String?
        var batchSize: Int?
        var leaseMs: UInt64?
        /// Serial links: frames dropped (line noise) and how the port was opened.
        var framingErrors: UInt64? = nil
        var backend: String? = nil
    }

    struct Counters: Sendable {
        var samplesIn: UInt64
        var samplesOut: UInt64
        var queriesIn: UInt64
        var queriesOut: UInt64
        var repliesIn: UInt64
        var drops: UInt64
        var reconnects: UInt64
        var framingErrors: UInt64
    }

    /// A session: the upstream one, or a device's with the gateway.
    struct SessionInfo: Sendable {
        var role: String
        var peer: String
        var whatAmI: String
        var link: String
        var subscribers: Int?
        var queryables: Int?
        var tokens: Int?
        var samplesIn: UInt64?
        var samplesOut: UInt64?
    }

    struct Version: Sendable {
        var petrel: String
        var zenohProtocol: Int
        var swift: String
    }

    var zid: String
    var mode: String
    var uptimeSeconds: Double
    var links: [Link]
    var sessions: [SessionInfo] = []
    var counters: Counters
    var buffer: [String: UInt64]
    var storages: [String: UInt64]
    var version: Version
    /// The gateway's counters (devices over its caps); nil without listen endpoints.
    var gateway: [String: UInt64]? = nil
    /// Aligned storages: per storage key, the alignment counters (clockRejected, reconciliations, ...).
    var alignment: [String: [String: UInt64]]? = nil
}

extension AgentStatus: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.object { o in
            o.fieldIfPresent("alignment", alignment)
            o.field("buffer", buffer)
            o.field("counters", counters)
            o.fieldIfPresent("gateway", gateway)
            o.field("links", links)
            o.field("mode", mode)
            o.field("sessions", sessions)
            o.field("storages", storages)
            o.field("uptimeSeconds", uptimeSeconds)
            o.field("version", version)
            o.field("zid", zid)
        }
    }
}

extension AgentStatus.Link: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.object { o in
            o.fieldIfPresent("backend", backend)
            o.fieldIfPresent("batchSize", batchSize)
            o.field("endpoint", endpoint)
            o.fieldIfPresent("framingErrors", framingErrors)
            o.fieldIfPresent("leaseMs", leaseMs)
            o.fieldIfPresent("peer", peer)
            o.field("role", role)
            o.field("state", state)
        }
    }
}

extension AgentStatus.SessionInfo: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("link", link)
            o.field("peer", peer)
            o.fieldIfPresent("queryables", queryables)
            o.field("role", role)
            o.fieldIfPresent("samplesIn", samplesIn)
            o.fieldIfPresent("samplesOut", samplesOut)
            o.fieldIfPresent("subscribers", subscribers)
            o.fieldIfPresent("tokens", tokens)
            o.field("whatAmI", whatAmI)
        }
    }
}

extension AgentStatus.Counters: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("drops", drops)
            o.field("framingErrors", framingErrors)
            o.field("queriesIn", queriesIn)
            o.field("queriesOut", queriesOut)
            o.field("reconnects", reconnects)
            o.field("repliesIn", repliesIn)
            o.field("samplesIn", samplesIn)
            o.field("samplesOut", samplesOut)
        }
    }
}

extension AgentStatus.Version: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.object { o in
            o.field("petrel", petrel)
            o.field("swift", swift)
            o.field("zenohProtocol", zenohProtocol)
        }
    }
}

enum PetrelVersion {
    static let string = "0.1.0"
    static let swift: String = {
        #if swift(>=6.3)
        return "6.3"
        #elseif swift(>=6.2)
        return "6.2"
        #else
        return "6"
        #endif
    }()
}
