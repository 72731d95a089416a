import Foundation
import Testing
import PetrelAgent
#if canImport(Glibc)
import Glibc
#endif

/// A unix datagram socket standing in for systemd's notification socket.
private final class NotifySocket {
    let fd: Int32
    /// What to put in NOTIFY_SOCKET: the path, or `@name` for the abstract namespace.
    let address: String
    private let path: String?

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        let name = "petrel-h7-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes: [UInt8]
        if abstract {
            bytes = [0] + Array(name.utf8)
            address = "@" + name
            path = nil
        } else {
            let p = FileManager.default.temporaryDirectory.path + "/" + name + ".sock"
            bytes = Array(p.utf8) + [0]
            address = p
            path = p
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    }

    /// The next datagram, or nil if none arrives within a second.
    func receive() -> String? {
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }
}

@Suite("systemd notifications")
struct SystemdNotifierTests {
    @Test("READY, STATUS, WATCHDOG, RELOADING and STOPPING arrive as datagrams", arguments: [false, true])
    func messagesArrive(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        #expect(notifier.isEnabled)
        try notifier.ready(status: "connected to tcp/127.0.0.1:7447")
        #expect(socket.receive() == "READY=1\nSTATUS=connected to tcp/127.0.0.1:7447")
        try notifier.ready()
        #expect(socket.receive() == "READY=1")
        try notifier.status("buffering: uplink down")
        #expect(socket.receive() == "STATUS=buffering: uplink down")
        try notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        try notifier.reloading()
        let reloading = try #require(socket.receive())
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(UInt64(reloading.split(separator: "=").last ?? "") != nil)
        try notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test("without NOTIFY_SOCKET every call is a no-op")
    func noSocket() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        try notifier.ready()
        try notifier.watchdog()
        try notifier.stopping()
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for our PID")
    func watchdogInterval() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(15))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42).watchdogInterval == .seconds(15))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "43"], pid: 42).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"]).watchdogInterval == nil)
    }

    @Test("a socket nobody listens on is an error naming it, not a crash")
    func deadSocket() {
        let path = FileManager.default.temporaryDirectory.path + "/petrel-h7-nobody-\(getpid()).sock"
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        let e = #expect(throws: SystemdNotifyError.self) { try notifier.ready() }
        #expect(e?.socketPath == path)
        #expect(e?.operation == "sendto")
        let long = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)])
        #expect(throws: SystemdNotifyError.self) { try long.watchdog() }
    }
}
