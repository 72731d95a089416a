#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells systemd how the service is doing (the `sd_notify` protocol) without
/// linking libsystemd: one datagram per message on the AF_UNIX socket named by
/// `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
///
/// With `Type=notify`, systemd considers the agent started only after
/// `READY=1`; with `WatchdogSec=`, it restarts the agent when `WATCHDOG=1`
/// stops arriving. Without `$NOTIFY_SOCKET` (not under systemd) every call
/// does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket address from `$NOTIFY_SOCKET`; nil when not run by systemd.
    public let socketPath: String?
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as systemd
    /// advises; nil when no watchdog is set up for this process.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessEnvironment.current(), pid: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"]
        socketPath = (path?.isEmpty ?? true) ? nil : path
        // A watchdog meant for another process (WATCHDOG_PID set, not us) is not ours.
        if let usec = environment["WATCHDOG_USEC"].flatMap({ Int64($0) }), usec > 0,
           environment["WATCHDOG_PID"].flatMap({ Int32($0) }).map({ $0 == pid }) ?? true {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1` (with a `STATUS=` line when given): start-up is complete.
    public func ready(status: String? = nil) throws(SystemdNotifyError) {
        try send(status.map { "READY=1\nSTATUS=\($0)" } ?? "READY=1")
    }

    /// `STATUS=...`: one line shown by `systemctl status`.
    public func status(_ text: String) throws(SystemdNotifyError) {
        try send("STATUS=\(text)")
    }

    /// `WATCHDOG=1`: still alive; send every `watchdogInterval`.
    public func watchdog() throws(SystemdNotifyError) {
        try send("WATCHDOG=1")
    }

    /// `STOPPING=1`: shutting down on purpose.
    public func stopping() throws(SystemdNotifyError) {
        try send("STOPPING=1")
    }

    /// `RELOADING=1` with the `MONOTONIC_USEC` that `Type=notify-reload` needs;
    /// send `ready()` when the reload is done.
    public func reloading() throws(SystemdNotifyError) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
        try send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }

    /// Sends `message` (newline-separated `KEY=value` assignments) as one datagram.
    ///
    /// - Throws: `SystemdNotifyError` when the socket cannot be created or the
    ///   datagram not sent (e.g. systemd went away). Does nothing and succeeds
    ///   when `NOTIFY_SOCKET` is not set.
    public func send(_ message: String) throws(SystemdNotifyError) {
        guard let socketPath else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A filesystem path needs room for its terminating NUL; an abstract name does not have one.
        guard pathBytes.count + (abstract ? 0 : 1) <= capacity, pathBytes.count > (abstract ? 1 : 0) else {
            throw SystemdNotifyError(socketPath: socketPath, operation: "address", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + pathBytes.count + (abstract ? 0 : 1))

        let fd = socket(AF_UNIX, Self.datagramType, 0)
        guard fd >= 0 else { throw SystemdNotifyError(socketPath: socketPath, operation: "socket", errno: errno) }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        guard sent == bytes.count else {
            throw SystemdNotifyError(socketPath: socketPath, operation: "sendto", errno: sent < 0 ? errno : EMSGSIZE)
        }
    }

    #if canImport(Glibc)
    private static let datagramType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    #else
    private static let datagramType = SOCK_DGRAM
    #endif
}

/// A notification could not be delivered to systemd.
public struct SystemdNotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var socketPath: String
    /// The call that failed: `address`, `socket` or `sendto`.
    public var operation: String
    public var errno: Int32

    public init(socketPath: String, operation: String, errno: Int32) {
        self.socketPath = socketPath
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "cannot notify systemd at '\(socketPath)': \(operation): \(String(cString: strerror(errno)))"
    }
}
