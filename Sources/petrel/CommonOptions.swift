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
        .option(.option("mode", short: "m", help: "Session mode: client (peer is not supported yet).", default: "client")),
        .option(.option("config", short: "c", help: "Configuration file (JSON5).")),
        .option(.flag("verbose", help: "Log link events to stderr.")),
    ]

    var connect: [String]
    var listen: [String]
    var mode: String
    var config: String?
    var verbose: Bool

    init(_ p: ParsedArguments) {
        connect = p.strings("connect")
        listen = p.strings("listen")
        mode = p.string("mode") ?? "client"
        config = p.string("config")
        verbose = p.flag("verbose")
    }

    static let defaultEndpoint = "tcp/127.0.0.1:7447"

    func sessionConfig() throws -> SessionConfig {
        guard mode == "client" else {
            throw UsageError("mode '\(mode)' is not supported: Petrel tools run as Zenoh clients (use -m client)")
        }
        let texts = connect.isEmpty ? [Self.defaultEndpoint] : connect
        var endpoints: [Endpoint] = []
        for t in texts {
            do { endpoints.append(try Endpoint(t)) } catch { throw UsageError("--connect: \(error)") }
        }
        if let config {
            // The file's routers and transport section (credentials, TLS
            // certificates, lease…), so secrets stay off the command line;
            // -e replaces its routers. Tools do not stamp samples, as before.
            let file: AgentConfig
            do { file = try AgentConfig.load(path: config) } catch { throw ToolError("\(error)") }
            var s = file.sessionConfig()
            if !connect.isEmpty { s.connect = endpoints }
            s.timestamping = false
            return s
        }
        return SessionConfig(connect: endpoints)
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
            return try await Session.open(config, waitForRouter: .milliseconds(Int64(seconds * 1000)), logger: logger())
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
