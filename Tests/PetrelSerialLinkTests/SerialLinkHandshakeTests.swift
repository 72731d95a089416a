import Foundation
import NIOCore
import NIOPosix
import PetrelSerialPort
import PetrelTransport
import Testing

private let group = MultiThreadedEventLoopGroup.singleton

private func open(_ path: String, _ role: SerialLink.Role, _ received: Received,
                  statistics: SerialLinkStatistics = SerialLinkStatistics()) async throws -> Channel {
    try await SerialLink.openChannel(endpoint: try Endpoint("serial/\(path)#baudrate=115200"), role: role, group: group,
                                     statistics: statistics) { channel in
        try channel.pipeline.syncOperations.addHandler(received.handler())
    }
}

private func send(_ channel: Channel, _ bytes: [UInt8]) async throws {
    try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
}

@Suite("Serial link handshake over a pty pair", .serialized, .timeLimit(.minutes(1)))
struct SerialLinkHandshakeTests {
    @Test("a connector and a listener on the two ends of a cable finish the link handshake and exchange batches both ways")
    func connectorAndListener() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let (atListener, atConnector) = (Received(), Received())
        let (listenerStats, connectorStats) = (SerialLinkStatistics(), SerialLinkStatistics())
        let listener = try await open(cable.a, .listener, atListener, statistics: listenerStats)
        let connector = try await open(cable.b, .connector, atConnector, statistics: connectorStats)
        defer {
            listener.close(promise: nil)
            connector.close(promise: nil)
        }

        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        #expect(await atListener.waitUntil { $0.readyCount == 1 })
        #expect(listenerStats.backend == .termios)  // ptys: libserialport 0.1.1 does not open them

        // A KeepAlive batch, a batch with zeros in it, and a full 1500-byte batch, each way.
        let batches: [[UInt8]] = [[0x04], [0x00, 0x11, 0x00], (0..<1500).map { UInt8(truncatingIfNeeded: $0 * 7) }]
        for b in batches { try await send(connector, b) }
        for b in batches.reversed() { try await send(listener, b) }
        #expect(await atListener.waitUntil { $0.batches.count == 3 })
        #expect(await atConnector.waitUntil { $0.batches.count == 3 })
        #expect(atListener.batches == batches)
        #expect(atConnector.batches == batches.reversed())
        #expect(listenerStats.counters.rejected == 0)
        #expect(connectorStats.counters.rejected == 0)
        #expect(connectorStats.counters.initsSent >= 1)
        #expect(listenerStats.counters.acksSent >= 1)
        #expect(atListener.readyCount == 1 && atConnector.readyCount == 1)
    }

    @Test("a burst of 40 full batches arrives whole and in order, and the link stays up")
    func burst() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let (atListener, atConnector) = (Received(), Received())
        let stats = SerialLinkStatistics()
        let listener = try await open(cable.a, .listener, atListener, statistics: stats)
        let connector = try await open(cable.b, .connector, atConnector)
        defer {
            listener.close(promise: nil)
            connector.close(promise: nil)
        }
        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        let batches = (0..<40).map { i in (0..<1500).map { UInt8(truncatingIfNeeded: $0 &+ i) } }
        for b in batches { connector.write(connector.allocator.buffer(bytes: b), promise: nil) }
        connector.flush()
        #expect(await atListener.waitUntil(timeout: .seconds(10)) { $0.batches.count == 40 })
        #expect(atListener.batches == batches)
        #expect(stats.counters.rejected == 0)
        #expect(listener.isActive && connector.isActive)
    }

    @Test("a batch over the serial MTU of 1500 bytes is refused and nothing is sent")
    func oversizeBatch() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let (atListener, atConnector) = (Received(), Received())
        let connectorStats = SerialLinkStatistics()
        let listener = try await open(cable.a, .listener, atListener)
        let connector = try await open(cable.b, .connector, atConnector, statistics: connectorStats)
        defer {
            listener.close(promise: nil)
            connector.close(promise: nil)
        }
        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        await #expect(throws: SerialLinkError.batchTooLarge(size: 1501, max: 1500)) {
            try await send(connector, [UInt8](repeating: 1, count: 1501))
        }
        try await send(connector, [0x04])
        #expect(await atListener.waitUntil { $0.batches.count == 1 })
        #expect(atListener.batches == [[0x04]])
        #expect(connectorStats.counters.oversizeBatchesRefused == 1)
        #expect(connector.isActive)
    }

    @Test("a connector started before the listener sends Init every 250 ms until the listener answers")
    func connectorFirst() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let (atListener, atConnector) = (Received(), Received())
        let connectorStats = SerialLinkStatistics()
        let connector = try await open(cable.b, .connector, atConnector, statistics: connectorStats)
        defer { connector.close(promise: nil) }
        try await Task.sleep(for: .milliseconds(900))
        #expect(atConnector.readyCount == 0)
        let tries = connectorStats.counters.initsSent
        #expect((3...5).contains(tries), "Init at 0, 250, 500, 750 ms: \(tries)")

        // Writing before the link is up is refused.
        await #expect(throws: SerialLinkError.notReady) { try await send(connector, [0x04]) }

        let listener = try await open(cable.a, .listener, atListener)
        defer { listener.close(promise: nil) }
        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        #expect(await atListener.waitUntil { $0.readyCount == 1 })
        try await send(connector, [0x04])
        #expect(await atListener.waitUntil { $0.batches == [[0x04]] })
        // Inits the connector sent while nobody listened were discarded at open, not taken for a restart.
        #expect(listener.isActive)
    }

    @Test("a listener whose peer restarts (Init after data) answers Reset and closes the link")
    func listenerResetsOnSecondInit() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atListener = Received()
        let stats = SerialLinkStatistics()
        let listener = try await open(cable.a, .listener, atListener, statistics: stats)
        defer { listener.close(promise: nil) }
        let peer = try RawPeer(cable.b)

        try peer.write(Wire.initFrame)
        #expect(peer.readFrame() == Wire.initAck)
        #expect(await atListener.waitUntil { $0.readyCount == 1 })
        try peer.write(wireFrame([0x04]))
        #expect(await atListener.waitUntil { $0.batches == [[0x04]] })

        // The peer restarts and opens the link again.
        try peer.write(Wire.initFrame)
        #expect(peer.readFrame() == Wire.reset)
        #expect(await becomesInactive(listener))
        #expect(stats.counters.resetsSent == 1)
        #expect(atListener.readyCount == 1)
        #expect(atListener.isClosed)
    }

    @Test("a listener answers Init|Ack again to an Init that crossed its answer (no data yet), and stays up")
    func listenerReacksRetriedInit() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atListener = Received()
        let stats = SerialLinkStatistics()
        let listener = try await open(cable.a, .listener, atListener, statistics: stats)
        defer { listener.close(promise: nil) }
        let peer = try RawPeer(cable.b)

        try peer.write(Wire.initFrame + Wire.initFrame)
        #expect(peer.readFrame() == Wire.initAck)
        #expect(peer.readFrame() == Wire.initAck)
        try peer.write(wireFrame([0x04]))
        #expect(await atListener.waitUntil { $0.batches == [[0x04]] })
        #expect(listener.isActive)
        #expect(atListener.readyCount == 1)
        #expect(stats.counters.acksSent == 2)
        #expect(stats.counters.resetsSent == 0)
    }

    @Test("a connector told Reset waits 250 ms, sends Init again and gets through")
    func connectorRetriesAfterReset() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atConnector = Received()
        let stats = SerialLinkStatistics()
        let peer = try RawPeer(cable.a)  // a listener played by hand
        let connector = try await open(cable.b, .connector, atConnector, statistics: stats)
        defer { connector.close(promise: nil) }

        #expect(peer.readFrame() == Wire.initFrame)
        try peer.write(Wire.reset)
        let resetAt = ContinuousClock.now
        #expect(peer.readFrame() == Wire.initFrame)
        let waited = ContinuousClock.now - resetAt
        #expect(waited >= .milliseconds(200), "waited \(waited) after Reset")
        try peer.write(Wire.initAck)
        #expect(await atConnector.waitUntil { $0.readyCount == 1 })
        #expect(stats.counters.resetsReceived == 1)

        // Batches now go out as data frames (flags 0), exactly as z-serial frames them.
        try await send(connector, [0x00, 0x11, 0x00])
        var frame = peer.readFrame()
        while frame == Wire.initFrame { frame = peer.readFrame() }  // a retry may have been on its way
        #expect(frame == [0x01, 0x02, 0x03, 0x01, 0x02, 0x11, 0x05, 0x73, 0xEC, 0x75, 0xF9, 0x00])

        // A Reset once the link is up: the listener dropped us; the channel closes.
        try peer.write(Wire.reset)
        #expect(await becomesInactive(connector))
        #expect(atConnector.isClosed)
    }

    @Test("data frames that arrive before the link handshake are dropped and counted")
    func dataBeforeHandshake() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atListener = Received()
        let stats = SerialLinkStatistics()
        let listener = try await open(cable.a, .listener, atListener, statistics: stats)
        defer { listener.close(promise: nil) }
        let peer = try RawPeer(cable.b)
        try peer.write(wireFrame([0x04]) + Wire.initFrame + wireFrame([0x05]))
        #expect(peer.readFrame() == Wire.initAck)
        #expect(await atListener.waitUntil { $0.batches == [[0x05]] })
        #expect(stats.counters.droppedBeforeReady == 1)
    }
}
