import PetrelSession
import PetrelTime
import PetrelTransport
import PetrelWire

extension AgentConfig {
    /// The session settings this configuration asks for: mode, ID, routers,
    /// timestamping and the `transport` section.
    ///
    /// Without an `id`, each call draws a new random Zenoh ID: call it once per
    /// session. `connect.timeout_ms` is not part of it: pass
    /// `connect.routerWait` to `Session.open(waitForRouter:)`.
    public func sessionConfig() -> SessionConfig {
        var s = SessionConfig(connect: connect.endpoints, zid: id ?? .random())
        s.mode = mode == .peer ? .peer : .client
        s.timestamping = timestamping
        s.transport.whatAmI = s.mode
        // A peer that names no one to dial only listens (and scouts, if asked).
        if mode == .peer && !connect.endpointsGiven { s.connect = [] }
        // A client that names no router scouts for one, when asked to.
        if mode == .client && !connect.endpointsGiven && scouting.multicast.enabled { s.connect = [] }
        // In peer mode the listen endpoints are the session's; in client mode the gateway's.
        if mode == .peer { s.listen = listen }
        s.scouting = scouting
        s.transport.leaseMilliseconds = transport.leaseMilliseconds
        s.transport.keepAliveFactor = transport.keepAliveFactor
        s.transport.batchSize = transport.batchSize
        s.transport.maxMessageSize = transport.maxMessageSize
        s.transport.qos = transport.qos
        s.transport.openTimeoutMilliseconds = transport.openTimeoutMilliseconds
        s.transport.usrpwd = transport.usrpwd
        s.transport.usrpwdDictionary = transport.usrpwdDictionary
        s.transport.tls = transport.tls
        return s
    }

    /// This configuration with command-line flags applied over it: a
    /// non-empty `connect` or `listen` list replaces the file's, a `mode`
    /// replaces the file's mode.
    ///
    /// - Throws: `ConfigError` whose path names the flag (`--connect`,
    ///   `--listen`, `--mode`) for a bad endpoint or an unsupported mode.
    public func overriding(connect: [String] = [], listen: [String] = [], mode: String? = nil) throws(ConfigError) -> AgentConfig {
        var c = self
        if let mode {
            switch mode {
            case "client": c.mode = .client
            case "peer": c.mode = .peer
            case "router":
                throw ConfigError(path: "--mode", message: "\"router\" is not supported yet: the Petrel agent runs as a Zenoh client or peer (use client or peer)", file: "command line")
            default:
                throw ConfigError(path: "--mode", message: "expected client or peer, found \"\(mode)\"", file: "command line")
            }
        }
        if !connect.isEmpty { c.connect.endpoints = try Self.endpoints(connect, flag: "--connect") }
        if !listen.isEmpty { c.listen = try Self.endpoints(listen, flag: "--listen") }
        return c
    }

    private static func endpoints(_ texts: [String], flag: String) throws(ConfigError) -> [Endpoint] {
        var out: [Endpoint] = []
        for t in texts {
            do {
                out.append(try Endpoint(t))
            } catch {
                throw ConfigError(path: flag, message: "'\(t)' is not an endpoint: \(error.reason)", file: "command line")
            }
        }
        return out
    }
}
