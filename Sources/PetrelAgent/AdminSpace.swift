import Foundation
import PetrelSession
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ v: T) -> String { (try? encoder.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "null" }
        let base = "@/\(zid)/petrel"
        return [
            ("\(base)/status", json(status)),
            ("\(base)/links", json(status.links)),
            ("\(base)/counters", json(status.counters)),
            ("\(base)/version", json(status.version)),
        ]
    }
}

/// What the admin space and `petrel info` report.
struct AgentStatus: Codable, Sendable {
    struct Link: Codable, Sendable {
        var endpoint: String
        var role: String
        var state: String
        var peer: String?
        var batchSize: Int?
        var leaseMs: UInt64?
    }

    struct Counters: Codable, Sendable {
        var samplesIn: UInt64
        var samplesOut: UInt64
        var queriesIn: UInt64
        var queriesOut: UInt64
        var repliesIn: UInt64
        var drops: UInt64
        var reconnects: UInt64
        var framingErrors: UInt64
    }

    struct Version: Codable, Sendable {
        var petrel: String
        var zenohProtocol: Int
        var swift: String
    }

    var zid: String
    var mode: String
    var uptimeSeconds: Double
    var links: [Link]
    var counters: Counters
    var buffer: [String: UInt64]
    var storages: [String: UInt64]
    var version: Version
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
