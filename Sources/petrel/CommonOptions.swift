import Logging
import PetrelAgent
import PetrelSession
import PetrelTransport
import PetrelWire

/// Connection flags every tool takes, in Zenoh's style.
struct ConnectionOptions: Sendable {
    static let members: [CommandSpec.Member] = [
        .option(.option("connect", short: "e", help: "Endpoint of a router to connect to, e.g. tcp/127.0.0.1:7447 (repeatable).", repeatable: true)),
        .option(.option("listen", short: "l", help: "Endpoint to listen on (repeatable; agent gateway role).", repeatable: true)),
        .option(.option("mode", short: "m", help: "Session mode: client, or peer (listens on --listen, dials --connect, no router needed).", default: "client")),
        .option(.option("config", short: "c", help: "Configuration file (JSON5).")),
        .option(.flag("verbose", help: "Log link events to stderr.")),
        .option(.flag("scout", help: "Find a router (or, with -m peer, peers) by multicast scouting on 224.0.0.224:7446.")),
    ]

    var connect: [String]
    var listen: [String]
    var mode: String
    var config: String?
    var verbose: Bool
    var scout: Bool

    init(_ p: ParsedArguments) {
        connect = p.strings("connect")
        listen = p.strings("listen")
        mode = p.string("mode") ?? "client"
        config = p.string("config")
        verbose = p.flag("verbose")
        scout = p.flag("scout")
    }

    static let defaultEndpoint = "tcp/127.0.0.1:7447"

    func sessionConfig() throws -> SessionConfig {
        guard mode == "client" || mode == "peer" else {
            throw UsageError("mode '\(mode)' is not supported: Petrel tools run as Zenoh clients or peers (use -m client or -m peer)")
        }
        // A client with neither --connect nor --scout goes to the local router; a peer dials only what it is given.
        let texts = connect.isEmpty && !scout && mode == "client" ? [Self.defaultEndpoint] : connect
        var endpoints: [Endpoint] = []
        for t in texts {
            do { endpoints.append(try Endpoint(t)) } catch { throw UsageError("--connect: \(error)") }
        }
        var session: SessionConfig
        if let config {
            // The file's routers and transport section (credentials, TLS
            // certificates, lease…), so secrets stay off the command line;
            // -e replaces its routers. Tools do not stamp samples, as before.
            let file: AgentConfig
            do { file = try AgentConfig.load(path: config) } catch { throw ToolError("\(error)") }
            session = file.sessionConfig()
            if !connect.isEmpty { session.connect = endpoints }
            session.timestamping = false
        } else {
            session = SessionConfig(connect: endpoints)
        }
        if scout { session.scouting.multicast.enabled = true }
        if mode == "peer" {
            session.mode = .peer
            for t in listen {
                do { session.listen.append(try Endpoint(t)) } catch { throw UsageError("--listen: \(error)") }
            }
        }
        return session
    }

    func logger() -> Logger {
        var l = Logger(label: "petrel")
        l.logLevel = verbose ? .info : .error
        return l
    }

    /// Opens a session, or exits with a clear message if no router answers in time.
    func openSession(timeout seconds: Double) async throws -> Session {
        let config = try sessionConfig()
        do {
            // A peer that only listens waits for nobody: whoever dials it comes when it comes.
            let listensOnly = config.mode == .peer && config.connect.isEmpty && !scout
            let session = try await Session.open(config, waitForRouter: listensOnly ? nil : .milliseconds(Int64(seconds * 1000)),
                                                 logger: logger())
            // A peer routes by what its peers declared: let their declarations arrive first.
            if config.mode == .peer && !listensOnly {
                _ = await session.waitForPeerDeclarations(timeout: .milliseconds(Int64(seconds * 1000)))
            }
            return session
        } catch let e as SessionError {
            throw ToolError(e.description)
        }
    }
}

/// A failure a tool reports on stderr with a non-zero exit status.
struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func parseEncoding(_ s: String?) -> Encoding {
    guard let s, !s.isEmpty else { return .zenohBytes }
    return Encoding(s)
}
