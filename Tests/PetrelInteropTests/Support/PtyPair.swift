import Foundation
import Synchronization
import Testing

/// A pseudo-terminal pair made by socat, standing in for a serial cable:
/// the bridge opens `board`, the test plays the sensor on `sensor`.
/// Killing socat makes both vanish, as a USB adapter does when unplugged.
final class PtyPair: Sendable {
    let sensor: String
    let board: String
    private let process = Mutex<TestProcess?>(nil)

    /// A directory for pty links and config files, removed by nobody (it is small, under /tmp).
    static func makeDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-serial-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static var socat: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"] {
            let p = "\(dir)/socat"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Fails the test (never skips) when socat is not installed.
    static func requireSocat(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let s = socat else {
            Issue.record("socat is missing: run scripts/setup (it installs the Debian package socat)", sourceLocation: sourceLocation)
            throw TestEnvironment.MissingDependency()
        }
        return s
    }

    /// Starts socat with links `dir/sensor<suffix>` and `dir/board<suffix>`.
    init(in dir: String, suffix: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws {
        sensor = "\(dir)/sensor\(suffix)"
        board = "\(dir)/board\(suffix)"
        try await start(sourceLocation: sourceLocation)
    }

    /// Starts socat again with the same link names (after `kill`).
    func start(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let socat = try Self.requireSocat(sourceLocation: sourceLocation)
        let p = try TestProcess("socat \(board)", executable: socat,
                                arguments: ["-d", "-d", "pty,raw,echo=0,link=\(sensor)", "pty,raw,echo=0,link=\(board)"])
        process.withLock { $0 = p }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: sensor) && FileManager.default.fileExists(atPath: board) && p.isRunning {
                // socat reports the pair before it starts relaying.
                if p.errorOutput.contains(where: { $0.contains("starting data transfer loop") }) { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("socat did not make the pty pair: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
        throw SocatFailed()
    }

    struct SocatFailed: Error {}

    /// Kills socat: both ptys vanish (SIGTERM: socat removes its links;
    /// SIGKILL: the links stay behind, dangling, as after a crash).
    func kill(hard: Bool = false) async {
        guard let p = process.withLock({ $0 }) else { return }
        if hard { p.kill() } else { p.terminate() }
        _ = await p.waitForExit(timeout: .seconds(5))
        p.kill()
    }

    deinit {
        process.withLock { $0?.kill() }
    }
}

/// scripts/serial_sensor.py: the sensor side (write, garbage, read) and the
/// counting Zenoh subscriber (collect).
enum SerialSensorScript {
    static func start(_ args: [String]) throws -> TestProcess {
        try TestEnvironment.requirePython()
        return try TestProcess("serial_sensor \(args.first ?? "")", executable: TestEnvironment.python,
                               arguments: [TestEnvironment.script("serial_sensor.py")] + args)
    }

    /// Runs a `write`/`garbage` command to completion; returns its summary.
    @discardableResult
    static func run(_ args: [String], timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let p = try start(args)
        let status = await p.waitForExit(timeout: timeout)
        guard status == 0, let last = p.output.last, let summary = jsonObject(last) else {
            p.kill()
            Issue.record("serial_sensor.py \(args.prefix(2)) failed (status \(String(describing: status))): \(p.errorOutput.suffix(5))",
                         sourceLocation: sourceLocation)
            throw ScriptFailed()
        }
        return summary
    }

    struct ScriptFailed: Error {}

    /// A counting subscriber at the router; `summary()` waits for its result.
    static func collect(_ router: ZenohRouter, _ key: String, expect: Int, timeout: Int = 90, idle: Double = 0,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> Collect {
        let p = try start(["collect", "-e", router.tcp, key, "--expect", "\(expect)", "--timeout", "\(timeout)", "--idle", "\(idle)"])
        if await p.waitForLine(timeout: .seconds(30), where: { $0.contains("\"ready\"") }) == nil {
            Issue.record("the collector did not get ready: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
        }
        // Let the router propagate the subscription.
        try await Task.sleep(for: .milliseconds(300))
        return Collect(process: p, timeout: timeout)
    }

    struct Collect {
        let process: TestProcess
        let timeout: Int

        /// Per key: count, distinct, encodings, timestamped, backwards, ints{min,max,distinct,missing}.
        func summary(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
            _ = await process.waitForExit(timeout: .seconds(Int64(timeout + 30)))
            guard let line = process.output.last(where: { $0.contains("\"summary\"") }),
                  let summary = jsonObject(line)?["summary"] as? [String: Any] else {
                process.kill()
                Issue.record("the collector gave no summary: \(process.errorOutput.suffix(5))", sourceLocation: sourceLocation)
                throw ScriptFailed()
            }
            return summary
        }
    }
}

/// `petrel agent` with a config file written by the test, its stderr kept.
enum SerialAgent {
    static func writeConfig(_ dir: String, router: ZenohRouter, serial: [String]) throws -> String {
        let path = "\(dir)/agent.json5"
        let text = """
            {
              connect: { endpoints: ["\(router.tcp)"] },
              serial: [
                \(serial.joined(separator: ",\n    "))
              ],
            }
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func start(config: String, environment: [String: String] = [:]) throws -> TestProcess {
        try TestEnvironment.requirePetrel()
        let dataDir = URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("data").path
        return try TestProcess("petrel agent", executable: TestEnvironment.petrel, arguments: ["agent", "-c", config],
                               environment: ["PETREL_DATA_DIR": dataDir].merging(environment) { $1 })
    }

    /// Waits until `count` stderr lines contain `text`.
    @discardableResult
    static func waitForLog(_ agent: TestProcess, _ text: String, count: Int = 1, timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if agent.errorOutput.filter({ $0.contains(text) }).count >= count { return true }
            if !agent.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
