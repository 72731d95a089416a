import NIOCore
import PetrelWire
import Testing
@testable import PetrelTransport

/// The caps a device's session handler enforces for the gateway: bytes of
/// unfinished fragmented messages (per session and all sessions together) and
/// bytes queued toward a device that does not read.
@Suite("A device session's limits")
struct SessionLimitsTests {
    /// A device's session with the gateway, opened by the test playing the
    /// device (batches of 1024 bytes, patch 1); the device's frames start at SN 10.
    static func deviceSession(_ limits: SessionLimits) throws -> (LinkUnderTest, UnicastTransport) {
        var config = TransportConfig()
        config.whatAmI = .router
        config.limits = limits
        let link = try LinkUnderTest(role: .listener, config: config)
        try link.connect()
        try link.peerSends(.initSyn(InitSyn(whatAmI: .client, zid: TransportConfig().zid, resolution: 0x0A, batchSize: 1024,
                                            qos: false, patch: 1)))
        guard case .initAck(let ack)? = try link.sentTransportMessages().first else { throw Missing.initAck }
        try link.peerSends(.openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 10, cookie: ack.cookie)))
        _ = try link.sentTransportMessages()
        guard let t = link.transport else { throw Missing.session }
        return (link, t)
    }

    enum Missing: Error { case initAck, session }

    /// A fragment of 900 bytes; `first` starts a message.
    static func piece(sn: UInt64, first: Bool = false, more: Bool = true) -> [UInt8] {
        Wire.fragment(sn: sn, more: more, first: first, Array(repeating: 0x42, count: 900)[...])
    }

    @Test("a reassembly that never ends is cut off at max_reassembly_bytes_per_session: Close, and the gateway is told which cap")
    func reassemblyCap() throws {
        let (link, transport) = try Self.deviceSession(SessionLimits(maxReassemblyBytes: 2000))
        try link.peerSends(Self.piece(sn: 10, first: true))
        try link.peerSends(Self.piece(sn: 11))
        #expect(transport.isOpen, "1800 bytes held: under the cap")
        try link.peerSends(Self.piece(sn: 12))
        #expect(!transport.isOpen && !link.channel.isActive)
        #expect(link.delegate.closes.count == 1)
        guard case .overLimit(.reassembly, let detail)?? = link.delegate.closes.first else {
            Issue.record("closed with \(link.delegate.closes)")
            return
        }
        #expect(detail.contains("2700 bytes"))
        #expect(try link.sentTransportMessages().contains(.close(Close(reason: Close.generic, closesSession: true))))
        #expect(link.logs.values.contains { $0.hasPrefix("warning session closed") && $0.contains("max_reassembly_bytes_per_session") })
        try link.finish()
    }

    @Test("sessions share max_reassembly_bytes_total: the one that would go over is closed, the other completes, and the budget is given back")
    func sharedReassemblyBudget() throws {
        let budget = ReassemblyBudget(limit: 3000)
        let limits = SessionLimits(maxReassemblyBytes: 2500, reassemblyBudget: budget)
        let (first, firstTransport) = try Self.deviceSession(limits)
        let (second, secondTransport) = try Self.deviceSession(limits)
        try first.peerSends(Self.piece(sn: 10, first: true))
        try first.peerSends(Self.piece(sn: 11))
        #expect(budget.inUse == 1800)
        try second.peerSends(Self.piece(sn: 10, first: true))
        #expect(budget.inUse == 2700)
        try second.peerSends(Self.piece(sn: 11))
        #expect(!secondTransport.isOpen, "3600 bytes would be held in all")
        guard case .overLimit(.reassemblyTotal, _)?? = second.delegate.closes.first else {
            Issue.record("closed with \(second.delegate.closes)")
            return
        }
        #expect(budget.inUse == 1800, "what the closed session held is given back")
        #expect(firstTransport.isOpen)
        // The first device's message ends, and is delivered whole; nothing is held any more.
        try first.peerSends(Wire.fragment(sn: 12, more: false, first: false, [][...]))
        #expect(budget.inUse == 0)
        #expect(firstTransport.isOpen)
        try first.finish()
        try second.finish()
    }

    /// Stands for a socket whose peer stopped reading: writes pile up in the
    /// channel's write buffer, never flushed to anyone.
    final class StalledSocket: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        func flush(context: ChannelHandlerContext) {}
    }

    @Test("a device that does not read is closed once max_in_flight_bytes_per_session are queued toward it (UNRESPONSIVE)")
    func inFlightCap() throws {
        let (link, transport) = try Self.deviceSession(SessionLimits(maxInFlightBytes: 64 << 10))
        try link.channel.pipeline.syncOperations.addHandler(StalledSocket(), position: .first)
        let reading = Wire.put("device/cmd", bytes: 500)
        guard case .push(let push) = reading else { return }
        var sent = 0
        while transport.isOpen && sent < 1000 {
            transport.send(push)
            link.channel.embeddedEventLoop.run()
            sent += 1
        }
        // 64 KiB in 500-byte messages: a little over 130 of them.
        #expect(!transport.isOpen, "still open after \(sent) messages")
        #expect(sent > 100 && sent < 150, "closed after \(sent) messages")
        guard case .overLimit(.inFlight, _)?? = link.delegate.closes.first else {
            Issue.record("closed with \(link.delegate.closes)")
            return
        }
        #expect(SessionLimit.inFlight.closeReason == Close.unresponsive)
        try link.finish()
    }

    @Test("without limits (the uplink), nothing is capped: a long reassembly and a stalled socket keep the session")
    func noLimits() throws {
        let (link, transport) = try Self.deviceSession(SessionLimits())
        try link.channel.pipeline.syncOperations.addHandler(StalledSocket(), position: .first)
        try link.peerSends(Self.piece(sn: 10, first: true))
        for sn in 11..<30 { try link.peerSends(Self.piece(sn: UInt64(sn))) }
        guard case .push(let push) = Wire.put("device/cmd", bytes: 500) else { return }
        for _ in 0..<300 { transport.send(push); link.channel.embeddedEventLoop.run() }
        #expect(transport.isOpen)
        try link.finish()
    }
}
