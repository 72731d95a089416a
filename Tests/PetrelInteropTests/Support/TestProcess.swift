import Foundation
import Synchronization

/// A child process a test starts (a real Zenoh router, Zenoh's Python API, the
/// `petrel` tool), with its output collected line by line.
final class TestProcess: Sendable {
    let name: String
    private let process: Process
    private let lines = Mutex<[String]>([])
    private let stderrLines = Mutex<[String]>([])
    private let partial = Mutex<(out: Data, err: Data)>((Data(), Data()))

    init(_ name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        self.name = name
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PYTHONUNBUFFERED"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        process = p
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil; self?.closed(stderr: false) } else { self?.take(data, stderr: false) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil; self?.closed(stderr: true) } else { self?.take(data, stderr: true) }
        }
        // Children inherit the spawning thread's signal mask, and the test
        // runner's worker threads block SIGTERM/SIGINT/SIGHUP: a child started
        // from one would never see the signals the tests send it.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&unblock, s) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try p.run()
        Self.register(p.processIdentifier)
    }

    /// Every child a test started, killed when the test process exits so a
    /// failed or interrupted test never leaves a router running.
    private static let children = Mutex<Set<Int32>>([])
    private static let installExitHook: Void = {
        atexit {
            for pid in TestProcess.children.withLock({ $0 }) { Foundation.kill(pid, SIGKILL) }
        }
    }()

    private static func register(_ pid: Int32) {
        _ = installExitHook
        children.withLock { _ = $0.insert(pid) }
    }

    /// Both pipes reached end of file: every line the child wrote has been read.
    private let eof = Mutex<(out: Bool, err: Bool)>((false, false))

    private func closed(stderr: Bool) {
        eof.withLock { if stderr { $0.err = true } else { $0.out = true } }
    }

    private func take(_ data: Data, stderr: Bool) {
        guard !data.isEmpty else { return }
        let complete: [String] = partial.withLock { buf in
            var d = (stderr ? buf.err : buf.out) + data
            var out: [String] = []
            while let nl = d.firstIndex(of: 0x0A) {
                out.append(String(decoding: d[d.startIndex..<nl], as: UTF8.self))
                d = Data(d[(nl + 1)...])
            }
            if stderr { buf.err = d } else { buf.out = d }
            return out
        }
        if stderr { stderrLines.withLock { $0.append(contentsOf: complete) } } else { lines.withLock { $0.append(contentsOf: complete) } }
    }

    var output: [String] { lines.withLock { $0 } }
    var errorOutput: [String] { stderrLines.withLock { $0 } }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits until some stdout line satisfies `predicate`; returns it, or nil on timeout.
    @discardableResult
    func waitForLine(timeout: Duration = .seconds(30), where predicate: (String) -> Bool) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let l = output.first(where: predicate) { return l }
            if !process.isRunning {
                try? await Task.sleep(for: .milliseconds(50))
                return output.first(where: predicate)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Waits until at least `count` stdout lines satisfy `predicate`.
    func waitForLines(_ count: Int, timeout: Duration = .seconds(15), where predicate: (String) -> Bool = { _ in true }) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let got = output.filter(predicate)
            if got.count >= count || !process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? await Task.sleep(for: .milliseconds(30))
        return output.filter(predicate)
    }

    /// Waits for the process to exit; returns its status (nil if it did not exit in time).
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // The last lines may still be in the pipes when the child is gone:
        // wait for end of file on both (grandchildren may hold them open, so bounded).
        let drained = ContinuousClock.now + .seconds(2)
        while eof.withLock({ !($0.out && $0.err) }) && ContinuousClock.now < drained {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
