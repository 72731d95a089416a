import Foundation
import NIOCore
import NIOPosix
import PetrelSerialPort
import PetrelTransport
import Testing

/// The other tests open ptys through SerialPort's termios fallback
/// (libserialport 0.1.1 refuses ptys). This one drives the libserialport
/// path, what real UARTs and USB adapters use: scripts/pty_uart_shim.c makes
/// ptys look like UARTs, and since LD_PRELOAD only works from a process's
/// start, the test binary runs itself again with the shim preloaded, limited
/// to the child test below.
@Suite("Serial link through libserialport (ptys disguised as UARTs)", .serialized, .timeLimit(.minutes(2)))
struct LibserialportPathTests {
    static let childA = "PETREL_SERIAL_LINK_CHILD_A"
    static let childB = "PETREL_SERIAL_LINK_CHILD_B"

    @Test("a connector and a listener opened through libserialport at 921600 baud handshake and exchange batches")
    func throughLibserialport() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let shim = try buildShim(in: cable.dir)
        let log = "\(cable.dir)/child.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "LibserialportPathTests/child"]
        child.environment = ProcessInfo.processInfo.environment.merging(
            ["LD_PRELOAD": shim, Self.childA: cable.a, Self.childB: cable.b]) { $1 }
        let output = FileHandle(forWritingAtPath: log)!
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while child.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(child.terminationStatus == 0, "the child failed:\n\(text.suffix(3000))")
        #expect(text.contains("backends: libserialport libserialport"), "\(text.suffix(3000))")
        #expect(text.contains("Test run with 1 test"), "the child ran something else:\n\(text.suffix(3000))")
    }

    /// Runs only in the child (its environment names the two ends of the cable).
    @Test("child", .enabled(if: ProcessInfo.processInfo.environment[Self.childA] != nil))
    func child() async throws {
        let env = ProcessInfo.processInfo.environment
        let a = try #require(env[Self.childA])
        let b = try #require(env[Self.childB])
        let (atListener, atConnector) = (Received(), Received())
        let (sl, sc) = (SerialLinkStatistics(), SerialLinkStatistics())
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await SerialLink.openChannel(endpoint: try Endpoint("serial/\(a)#baudrate=921600"), role: .listener,
                                                        group: group, statistics: sl) { try $0.pipeline.syncOperations.addHandler(atListener.handler()) }
        let connector = try await SerialLink.openChannel(endpoint: try Endpoint("serial/\(b)#baudrate=921600"), role: .connector,
                                                         group: group, statistics: sc) { try $0.pipeline.syncOperations.addHandler(atConnector.handler()) }
        print("backends: \(sl.backend.map(\.rawValue) ?? "-") \(sc.backend.map(\.rawValue) ?? "-")")
        #expect(sl.backend == .libserialport && sc.backend == .libserialport)
        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        #expect(await atListener.waitUntil { $0.readyCount == 1 })
        let batch = (0..<1500).map { UInt8(truncatingIfNeeded: $0) }
        try await connector.writeAndFlush(connector.allocator.buffer(bytes: batch)).get()
        try await listener.writeAndFlush(listener.allocator.buffer(bytes: [0x04])).get()
        #expect(await atListener.waitUntil { $0.batches == [batch] })
        #expect(await atConnector.waitUntil { $0.batches == [[0x04]] })
        try await connector.close()
        try await listener.close()
        // Closed means closed: the libserialport handle went with the channel.
        // (The port is released by a closeFuture callback, which may run just after close() returns.)
        var left = RawPeer.openDescriptors(to: a) + RawPeer.openDescriptors(to: b)
        for _ in 0..<100 where left != 0 {
            try await Task.sleep(for: .milliseconds(10))
            left = RawPeer.openDescriptors(to: a) + RawPeer.openDescriptors(to: b)
        }
        #expect(left == 0)
    }

    /// Compiles scripts/pty_uart_shim.c with the C compiler Swift ships (or cc).
    private func buildShim(in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/pty_uart_shim.c").path
        let output = "\(dir)/libpty_uart_shim.so"
        let candidates = ["/opt/swift/usr/bin/clang", "/usr/bin/cc", "/usr/bin/clang", "/usr/bin/gcc"]
        guard let compiler = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("no C compiler found (\(candidates)) to build scripts/pty_uart_shim.c: apt-get install gcc libc6-dev", sourceLocation: sourceLocation)
            throw ShimFailed()
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: compiler)
        p.arguments = ["-shared", "-fPIC", "-O1", "-o", output, source, "-ldl"]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            Issue.record("\(compiler) could not build \(source)", sourceLocation: sourceLocation)
            throw ShimFailed()
        }
        return output
    }

    struct ShimFailed: Error {}
}
