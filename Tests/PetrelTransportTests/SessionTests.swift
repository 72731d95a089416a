import NIOCore
import PetrelWire
import Testing
@testable import PetrelTransport

/// An open session with a router: what it delivers, what it drops, and how
/// it stays alive or notices that the router is gone.
@Suite("An open session")
struct SessionTests {
    /// A session opened by the agent as a client; the router's frames start at SN 100.
    static func openSession(lease: UInt64 = 10_000, routerLease: UInt64 = 10_000, maxMessageSize: Int = 64 << 20,
                            patch: UInt64? = 1) throws -> (LinkUnderTest, UnicastTransport) {
        var config = TransportConfig()
        config.leaseMilliseconds = lease
        config.maxMessageSize = maxMessageSize
        let link = try LinkUnderTest(role: .connector, config: config)
        let ack = InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, cookie: [1][...], patch: patch)
        let transport = try #require(try link.routerAccepts(ack: ack, lease: routerLease, initialSN: 100))
        return (link, transport)
    }

    // MARK: Keep-alive and lease

    @Test("a router silent for its whole lease is given up on, and the user is told why")
    func leaseExpires() throws {
        let (link, transport) = try Self.openSession(routerLease: 1000)
        link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        #expect(transport.isOpen && link.channel.isActive, "within the lease the session stays")
        link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        #expect(!transport.isOpen)
        #expect(!link.channel.isActive)
        #expect(link.delegate.closes == [.leaseExpired(1000)])
        try link.finish()
    }

    @Test("a router that keeps talking keeps the session open past its lease")
    func trafficKeepsAlive() throws {
        let (link, transport) = try Self.openSession(routerLease: 1000)
        for _ in 0..<10 {
            link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
            try link.peerSends(.keepAlive(KeepAlive()))
        }
        #expect(transport.isOpen && link.channel.isActive, "open 4 s into a 1 s lease")
        #expect(link.delegate.closes.isEmpty)
        try link.finish()
    }

    @Test("with nothing to send, a keep-alive goes out after lease / 4; while messages flow, none does")
    func keepAlives() throws {
        let (link, transport) = try Self.openSession(lease: 4000)
        _ = try link.sentItems()
        link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(try link.sentItems().isEmpty)
        link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try link.sentTransportMessages() == [.keepAlive(KeepAlive())])

        // A message in every interval says we are alive well enough.
        for i in 0..<3 {
            transport.send(Wire.put("room/temp", "\(i)"))
            link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1000))
            #expect(try link.sentTransportMessages().isEmpty, "interval \(i)")
        }
        link.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1000))
        #expect(try link.sentTransportMessages() == [.keepAlive(KeepAlive())])
        try link.finish()
    }

    @Test("a Close from the router ends the session with its reason")
    func routerCloses() throws {
        let (link, transport) = try Self.openSession()
        try link.peerSends(.close(Close(reason: Close.expired, closesSession: true)))
        #expect(!transport.isOpen && !link.channel.isActive)
        #expect(link.delegate.closes == [.closedByPeer(reason: Close.expired)])
        try link.finish()
    }

    @Test("a batch larger than the negotiated size closes the session as malformed")
    func batchTooLarge() throws {
        var config = TransportConfig()
        config.batchSize = 512
        let link = try LinkUnderTest(role: .connector, config: config)
        try #require(try link.routerAccepts() != nil)
        try link.peerSends(Wire.frame(sn: 100, Wire.put("a", bytes: 600)))
        #expect(link.delegate.received.isEmpty)
        guard case .malformed? = link.delegate.closes.first ?? nil else {
            Issue.record("closed with \(link.delegate.closes), not as malformed")
            return
        }
        try link.finish()
    }

    // MARK: Sequence numbers

    @Test("a frame with a new SN is delivered; a repeated or older one is dropped")
    func duplicatesAndStale() throws {
        let (link, _) = try Self.openSession()
        try link.peerSends(Wire.frame(sn: 100, Wire.put("k", "first")))
        try link.peerSends(Wire.frame(sn: 100, Wire.put("k", "repeated")))
        try link.peerSends(Wire.frame(sn: 99, Wire.put("k", "older")))
        try link.peerSends(Wire.frame(sn: 101, Wire.put("k", "next")))
        // A gap is no reason to drop: best-effort frames may be lost on the way.
        try link.peerSends(Wire.frame(sn: 110, Wire.put("k", "later")))
        try link.peerSends(Wire.frame(sn: 105, Wire.put("k", "late")))
        #expect(link.delegate.received == [Wire.put("k", "first"), Wire.put("k", "next"), Wire.put("k", "later")])
        try link.finish()
    }

    @Test("reliable and best-effort frames count their SNs apart")
    func channelsApart() throws {
        let (link, _) = try Self.openSession()
        try link.peerSends(Wire.frame(sn: 100, reliability: .reliable, Wire.put("k", "reliable")))
        try link.peerSends(Wire.frame(sn: 100, reliability: .bestEffort, Wire.put("k", "best effort")))
        #expect(link.delegate.received == [Wire.put("k", "reliable"), Wire.put("k", "best effort")])
        #expect(link.delegate.reliabilities == [.reliable, .bestEffort])
        try link.finish()
    }

    @Test("every message of a dropped frame is dropped, and the next frame's are delivered")
    func wholeFrameDropped() throws {
        let (link, _) = try Self.openSession()
        try link.peerSends(Wire.frame(sn: 100, Wire.put("k", "a")))
        try link.peerSends(Wire.frame(sn: 100, Wire.put("k", "b"), Wire.put("k", "c")),
                           Wire.frame(sn: 101, Wire.put("k", "d"), Wire.put("k", "e")))
        #expect(link.delegate.received == [Wire.put("k", "a"), Wire.put("k", "d"), Wire.put("k", "e")])
        try link.finish()
    }

    // MARK: Fragments

    /// `message` cut into `parts` fragments with SNs from `sn`, the first marked First.
    static func fragments(of message: NetworkMessage, parts: Int, from sn: UInt64) -> [[UInt8]] {
        let bytes = Wire.encoded(message)
        let size = (bytes.count + parts - 1) / parts
        return (0..<parts).map { i in
            let chunk = bytes[(i * size)..<min((i + 1) * size, bytes.count)]
            return Wire.fragment(sn: sn + UInt64(i), more: i < parts - 1, first: i == 0, chunk)
        }
    }

    @Test("a message in three fragments is delivered once, whole, after the last")
    func reassembles() throws {
        let (link, _) = try Self.openSession()
        let message = Wire.put("camera/frame", bytes: 3000)
        let parts = Self.fragments(of: message, parts: 3, from: 100)
        try link.peerSends(parts[0])
        try link.peerSends(parts[1])
        #expect(link.delegate.received.isEmpty, "not before the last fragment")
        try link.peerSends(parts[2])
        #expect(link.delegate.received == [message])
        // The last fragment again is stale, not the end of another message.
        try link.peerSends(parts[2])
        #expect(link.delegate.received.count == 1)
        try link.finish()
    }

    @Test("a lost fragment discards its message; the next message arrives")
    func gapDiscards() throws {
        let (link, _) = try Self.openSession()
        let lost = Self.fragments(of: Wire.put("camera/frame", bytes: 3000), parts: 3, from: 100)
        try link.peerSends(lost[0])
        try link.peerSends(lost[2])
        #expect(link.delegate.received.isEmpty, "a message with a hole in it is not delivered")
        let next = Wire.put("camera/frame", bytes: 2000)
        for part in Self.fragments(of: next, parts: 2, from: 103) { try link.peerSends(part) }
        #expect(link.delegate.received == [next])
        #expect(link.channel.isActive)
        try link.finish()
    }

    @Test("a fragmented message larger than the limit is dropped with a warning; the session goes on")
    func tooLarge() throws {
        let (link, transport) = try Self.openSession(maxMessageSize: 1000)
        for part in Self.fragments(of: Wire.put("camera/frame", bytes: 3000), parts: 3, from: 100) { try link.peerSends(part) }
        #expect(link.delegate.received.isEmpty)
        #expect(link.logs.values.contains { $0.hasPrefix("warning dropped a fragmented message larger than 1000 bytes") })
        #expect(transport.isOpen && link.channel.isActive)
        let small = Wire.put("camera/frame", bytes: 600)
        for part in Self.fragments(of: small, parts: 2, from: 103) { try link.peerSends(part) }
        #expect(link.delegate.received == [small])
        try link.finish()
    }
}
