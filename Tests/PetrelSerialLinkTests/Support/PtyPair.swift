import Foundation
import Testing

/// A socat pseudo-terminal pair standing in for a serial cable: what one end
/// writes, the other reads. Adapted from the interop tests' helper.
final class PtyPair {
    let process = Process()
    /// One end, e.g. the board running Petrel.
    let a: String
    /// The other end, e.g. the peer (another Petrel channel, or the test writing raw bytes).
    let b: String
    let dir: String

    struct SocatMissing: Error, CustomStringConvertible {
        var description: String { "socat is missing: apt-get install socat (scripts/setup installs it)" }
    }

    init(sourceLocation: SourceLocation = #_sourceLocation) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-link-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        a = "\(dir)/a"
        b = "\(dir)/b"
        guard let socat = ["/usr/bin/socat", "/bin/socat", "/usr/local/bin/socat"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("socat is missing: apt-get install socat", sourceLocation: sourceLocation)
            throw SocatMissing()
        }
        process.executableURL = URL(fileURLWithPath: socat)
        process.arguments = ["pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"]
        process.standardError = FileHandle.nullDevice
        // The test runner's threads block SIGTERM; socat would inherit that mask.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&unblock, s) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        for _ in 0..<500 where !(FileManager.default.fileExists(atPath: a) && FileManager.default.fileExists(atPath: b)) {
            usleep(10_000)
        }
        // socat makes the links just before it starts relaying.
        usleep(100_000)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
