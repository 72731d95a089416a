import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A socat pseudo-terminal pair standing in for a serial cable: what one end
/// writes, the other reads; stopping socat makes both ends vanish, as an
/// unplugged USB adapter does. Shared by the serial port and serial link tests
/// (the interop tests drive socat through their own process helper).
public final class SocatPtyPair {
    public let process = Process()
    /// One end (e.g. the board: the port under test).
    public let a: String
    /// The other end (e.g. the sensor, the peer, or the test writing raw bytes).
    public let b: String
    /// A scratch folder of its own (the links live there), removed with the pair.
    public let dir: String

    /// socat is not installed: the test fails with what to install, never skips.
    public struct SocatMissing: Error, CustomStringConvertible {
        public var description: String { "socat is missing: apt-get install socat (scripts/setup installs it)" }
    }

    public init(prefix: String = "petrel-pty") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        a = "\(dir)/a"
        b = "\(dir)/b"
        guard let socat = ["/usr/bin/socat", "/bin/socat", "/usr/local/bin/socat"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SocatMissing()
        }
        process.executableURL = URL(fileURLWithPath: socat)
        process.arguments = ["pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"]
        process.standardError = FileHandle.nullDevice
        // The test runner's threads block SIGTERM; socat would inherit that
        // mask and never hear `stop()`.
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

    /// SIGTERM: socat removes its links and both ptys vanish.
    public func stop() {
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
