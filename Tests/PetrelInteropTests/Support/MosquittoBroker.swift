import Foundation
import Testing

/// A real Mosquitto broker on a free loopback port, with its own config file
/// and directory (Debian's `mosquitto`, installed by scripts/setup), and the
/// `mosquitto_pub` / `mosquitto_sub` clients against it.
final class MosquittoBroker: Sendable {
    let port: Int
    let dir: String
    let configFile: String
    private let current: LockedProcess

    final class LockedProcess: @unchecked Sendable {
        private let lock = NSLock()
        private var p: TestProcess?
        var value: TestProcess? {
            get { lock.lock(); defer { lock.unlock() }; return p }
            set { lock.lock(); p = newValue; lock.unlock() }
        }
    }

    static let broker = "/usr/sbin/mosquitto"
    static let tools = ["/usr/bin/stdbuf", "/usr/bin/mosquitto_pub", "/usr/bin/mosquitto_sub", "/usr/bin/mosquitto_passwd", "/usr/bin/openssl"]

    /// Fails the test (never skips) when Mosquitto or its clients are missing.
    static func requireMosquitto(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for path in [broker] + tools where !FileManager.default.isExecutableFile(atPath: path) {
            Issue.record("\(path) is missing: install the Debian packages mosquitto, mosquitto-clients and openssl (scripts/setup does)",
                         sourceLocation: sourceLocation)
            throw TestEnvironment.MissingDependency()
        }
    }

    static func tempDir(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-\(name)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Starts a broker. `config` lines come after `listener PORT 127.0.0.1`
    /// (default: `allow_anonymous true`).
    static func start(config: [String] = ["allow_anonymous true"], dir: String? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> MosquittoBroker {
        try requireMosquitto(sourceLocation: sourceLocation)
        let dir = dir ?? tempDir("mosquitto")
        let port = TestEnvironment.freePort()
        let file = dir + "/mosquitto.conf"
        // `user root`: started as root, mosquitto would otherwise switch to the
        // mosquitto user, who cannot read the test's key files and directories.
        let user = getuid() == 0 ? ["user root"] : []
        let text = (["listener \(port) 127.0.0.1"] + user + config + ["log_dest stderr", "log_type all"]).joined(separator: "\n") + "\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let broker = MosquittoBroker(port: port, dir: dir, configFile: file)
        try await broker.run(sourceLocation: sourceLocation)
        return broker
    }

    private init(port: Int, dir: String, configFile: String) {
        self.port = port
        self.dir = dir
        self.configFile = configFile
        self.current = LockedProcess()
    }

    /// (Re)starts the broker process on the same port and config.
    func run(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let p = try TestProcess("mosquitto:\(port)", executable: Self.broker, arguments: ["-c", configFile])
        current.value = p
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if p.errorOutput.contains(where: { $0.contains(" running") }) { return }
            if !p.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("mosquitto did not start on port \(port): \(p.errorOutput.suffix(8).joined(separator: "\n"))", sourceLocation: sourceLocation)
        p.kill()
        throw BrokerFailed()
    }

    struct BrokerFailed: Error {}

    var process: TestProcess? { current.value }
    var endpoint: String { "tcp/127.0.0.1:\(port)" }

    /// SIGKILL: no goodbye to clients, no final save of the persistence file.
    func kill() async {
        guard let p = current.value else { return }
        p.kill()
        _ = await p.waitForExit(timeout: .seconds(5))
    }

    func stop() async {
        guard let p = current.value else { return }
        p.terminate()
        if await p.waitForExit(timeout: .seconds(5)) == nil { p.kill() }
    }

    // MARK: Clients

    /// `mosquitto_pub` against this broker; returns its exit status.
    @discardableResult
    func publish(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int32? {
        let p = try TestProcess("mosquitto_pub", executable: "/usr/bin/mosquitto_pub", arguments: ["-h", "127.0.0.1", "-p", "\(port)"] + args)
        let status = await p.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "mosquitto_pub \(args.prefix(6)) failed: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
        return status
    }

    /// Publishes `lines` as one message each (`mosquitto_pub -l`).
    func publishLines(_ lines: [String], topic: String, extra: [String] = []) async throws {
        let file = dir + "/lines-\(UUID().uuidString).txt"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let args = (["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-l"] + extra).map { "'\($0)'" }.joined(separator: " ")
        let p = try TestProcess("mosquitto_pub -l", executable: "/bin/sh", arguments: ["-c", "/usr/bin/mosquitto_pub \(args) < '\(file)'"])
        let status = await p.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "mosquitto_pub -l failed: \(p.errorOutput.suffix(5))")
    }

    /// Starts `mosquitto_sub` and waits for its SUBACK. Each message is a
    /// stdout line `MSG <retain> <topic> <payload>` (see `messages`).
    func subscribe(_ filter: String, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestProcess {
        // stdbuf: mosquitto_sub's stdout is a pipe here, which stdio would buffer.
        let p = try TestProcess("mosquitto_sub", executable: "/usr/bin/stdbuf",
                                arguments: ["-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", "\(port)", "-t", filter,
                                            "-d", "-F", "MSG %r %t %p"] + extra)
        if await p.waitForLine(timeout: .seconds(10), where: { $0.contains("SUBACK") }) == nil {
            Issue.record("mosquitto_sub \(filter) got no SUBACK: \(p.output.suffix(5)) \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
        }
        return p
    }
}

/// The messages a `MosquittoBroker.subscribe` process printed: (retain, topic, payload).
func mqttMessages(_ p: TestProcess) -> [(retain: Bool, topic: String, payload: String)] {
    p.output.compactMap { line in
        guard line.hasPrefix("MSG ") else { return nil }
        let parts = line.dropFirst(4).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        return (parts[0] == "1", String(parts[1]), parts.count > 2 ? String(parts[2]) : "")
    }
}

/// Waits until `p` printed at least `n` messages (or `timeout` passes). Keeps
/// waiting after the process exits: its last lines may still be in the pipe.
@discardableResult
func waitForMQTTMessages(_ p: TestProcess, _ n: Int, timeout: Duration = .seconds(15)) async -> [(retain: Bool, topic: String, payload: String)] {
    let deadline = ContinuousClock.now + timeout
    while mqttMessages(p).count < n && ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(20))
    }
    return mqttMessages(p)
}

/// Waits until `p` printed at least `n` stdout lines satisfying `predicate`,
/// also after it exited (its last lines may still be in the pipe).
func waitForOutput(_ p: TestProcess, _ n: Int, timeout: Duration = .seconds(15), where predicate: (String) -> Bool) async -> [String] {
    let deadline = ContinuousClock.now + timeout
    while p.output.filter(predicate).count < n && ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(20))
    }
    return p.output.filter(predicate)
}

/// `petrel agent -c FILE` with an `mqtt` section, as a board runs it.
enum MQTTAgent {
    /// Writes the config, starts the agent and waits until it is connected to
    /// both the Zenoh router and the broker (unless `waitForBroker` is false).
    /// `extra`: more top-level config entries (e.g. `storages: [...],`).
    static func start(router: ZenohRouter, mqtt: String, extra: String = "", waitForBroker: Bool = true,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestProcess {
        try TestEnvironment.requirePetrel(sourceLocation: sourceLocation)
        let dir = MosquittoBroker.tempDir("agent")
        let file = dir + "/agent.json5"
        let config = """
        {
          connect: { endpoints: ["\(router.tcp)"] },
          heartbeat: { interval: "0s" },
          buffer: { dir: "\(dir)" },
          mqtt: \(mqtt),
          \(extra)
        }
        """
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        // It may hold the broker's password: the agent refuses such a file if every user can read it.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let agent = try TestProcess("petrel agent", executable: TestEnvironment.petrel, arguments: ["agent", "-c", file],
                                    environment: ["PETREL_DATA_DIR": dir])
        var needed = ["session open"]
        if waitForBroker { needed.append("connected to the MQTT broker") }
        let ok = await waitForLog(agent, timeout: .seconds(20)) { lines in needed.allSatisfy { n in lines.contains { $0.contains(n) } } }
        if !ok {
            Issue.record("the agent did not connect (\(needed)); it said: \(allOutput(agent).suffix(10).joined(separator: "\n"))",
                         sourceLocation: sourceLocation)
        }
        // Let the router propagate the bridge's subscribers and queryables.
        try await Task.sleep(for: .milliseconds(300))
        return agent
    }

    static func allOutput(_ p: TestProcess) -> [String] { p.errorOutput + p.output }

    /// Waits until the agent's log (stdout and stderr) satisfies `done`.
    static func waitForLog(_ p: TestProcess, timeout: Duration, _ done: ([String]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if done(allOutput(p)) { return true }
            if !p.isRunning { return done(allOutput(p)) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
