import ArgumentParser
import Logging
import PetrelSession
import PetrelTransport
import PetrelWire

/// Connection flags every tool takes, in Zenoh's style.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("e"), .customLong("connect")], help: "Endpoint of a router to connect to, e.g. tcp/127.0.0.1:7447 (repeatable).")
    var connect: [String] = []

    @Option(name: [.customShort("l"), .customLong("listen")], help: "Endpoint to listen on (repeatable; agent gateway role).")
    var listen: [String] = []

    @Option(name: [.customShort("m"), .customLong("mode")], help: "Session mode: client (peer is not supported yet).")
    var mode: String = "client"

    @Option(name: [.customShort("c"), .customLong("config")], help: "Configuration file (JSON5).")
    var config: String?

    @Flag(name: .customLong("verbose"), help: "Log link events to stderr.")
    var verbose = false

    static let defaultEndpoint = "tcp/127.0.0.1:7447"

    func sessionConfig() throws -> SessionConfig {
        guard mode == "client" else {
            throw ValidationError("mode '\(mode)' is not supported: Petrel tools run as Zenoh clients (use -m client)")
        }
        let texts = connect.isEmpty ? [Self.defaultEndpoint] : connect
        var endpoints: [Endpoint] = []
        for t in texts {
            do { endpoints.append(try Endpoint(t)) } catch { throw ValidationError("--connect: \(error)") }
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
