import Dispatch
import Logging
import PetrelAgent

#if canImport(Glibc)
import Glibc
#endif

struct AgentCommand: ToolCommand {
    static let spec = CommandSpec(
        name: "agent",
        abstract: "Run the Petrel agent: a Zenoh client with admin space, bridges and storage.",
        discussion: """
            Without -c, runs on the embedded default: client mode, connects to tcp/127.0.0.1:7447 \
            (retrying with back-off while no router answers), admin space on @/<zid>/petrel/**.
            SIGTERM/SIGINT close the session and exit 0; SIGHUP reloads the configuration file.
            """,
        members: [
            .option(.option("config", short: "c", help: "Configuration file (JSON5).")),
            .option(.option("check-config", help: "Validate a configuration file and exit (0 when valid).")),
            .option(.option("connect", short: "e", help: "Router endpoint (repeatable; replaces the file's connect.endpoints).", repeatable: true)),
            .option(.option("listen", short: "l", help: "Endpoint to listen on (repeatable; replaces the file's listen.endpoints).", repeatable: true)),
            .option(.option("mode", short: "m", help: "Session mode (client).")),
            .option(.flag("allow-insecure-secrets", help: "Accept a configuration (or usrpwd dictionary) file with secrets that every user can read.")),
        ])

    var config: String?
    var checkConfig: String?
    var connect: [String]
    var listen: [String]
    var mode: String?
    var allowInsecureSecrets: Bool

    init(_ p: ParsedArguments) {
        config = p.string("config")
        checkConfig = p.string("check-config")
        connect = p.strings("connect")
        listen = p.strings("listen")
        mode = p.string("mode")
        allowInsecureSecrets = p.flag("allow-insecure-secrets")
    }

    func run() async throws {
        if let path = checkConfig {
            try check(path)
            return
        }
        let loaded: AgentConfig
        do {
            let base = try config.map { path throws(ConfigError) in try AgentConfig.load(path: path, allowInsecureSecrets: allowInsecureSecrets) } ?? AgentConfig.embeddedDefault
            loaded = try base.overriding(connect: connect, listen: listen, mode: mode)
        } catch {
            writeError("petrel: \(error)")
            throw ExitCode(2)
        }
        let level = loaded.logLevel
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "petrel.agent")
        let agent = Agent(config: loaded, logger: logger)
        let configPath = config
        let signals = SignalHandlers()
        signals.on(SIGTERM) { Task { await agent.stop() } }
        signals.on(SIGINT) { Task { await agent.stop() } }
        signals.on(SIGHUP) {
            guard let configPath else { return }
            do {
                agent.reload(try AgentConfig.load(path: configPath, allowInsecureSecrets: allowInsecureSecrets))
            } catch {
                logger.error("configuration not reloaded", metadata: ["reason": "\(error)"])
            }
        }
        do {
            try await agent.start()
        } catch {
            writeError("petrel: agent failed to start: \(error)")
            throw ExitCode(1)
        }
        await agent.waitUntilStopped()
        signals.cancel()
    }

    private func check(_ path: String) throws {
        var problems = AgentConfig.validate(path: path, allowInsecureSecrets: allowInsecureSecrets)
        if problems.isEmpty, let c = try? AgentConfig.load(path: path, allowInsecureSecrets: allowInsecureSecrets) {
            problems = c.checkSystem()
        }
        if problems.isEmpty {
            emit("\(path): OK")
            return
        }
        for p in problems { writeError("\(p)") }
        throw ExitCode(1)
    }
}

/// Turns POSIX signals into callbacks on a dispatch queue.
final class SignalHandlers: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "petrel.signals")

    func on(_ signalNumber: Int32, _ body: @escaping @Sendable () -> Void) {
        // A parent may have started us with the signal blocked (threads of
        // many supervisors and test runners block it); the agent must hear it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: body)
        source.resume()
        sources.append(source)
    }

    func cancel() {
        for s in sources { s.cancel() }
    }
}

func writeError(_ line: String) {
    var s = line + "\n"
    s.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
}
