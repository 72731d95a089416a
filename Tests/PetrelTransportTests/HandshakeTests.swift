import NIOCore
import PetrelWire
import Testing
@testable import PetrelTransport

/// Opening a session: the agent as a client of a router (connector), and as
/// the gateway a device connects to (listener).
@Suite("Opening a session")
struct HandshakeTests {
    static func config(batchSize: Int = 65535, qos: Bool = true, lease: UInt64 = 10_000) -> TransportConfig {
        var c = TransportConfig()
        c.batchSize = batchSize
        c.qos = qos
        c.leaseMilliseconds = lease
        return c
    }

    // MARK: Connector

    @Test("a client offers its settings, returns the router's cookie, and the session opens with what both agreed")
    func connectorOpens() throws {
        let config = Self.config(batchSize: 4096, lease: 3000)
        let link = try LinkUnderTest(role: .connector, config: config)
        try link.connect()
        guard case .initSyn(let syn) = try link.sentTransportMessages().first else {
            Issue.record("no InitSyn once the TCP link is up")
            return
        }
        #expect(syn.zid == config.zid)
        #expect(syn.batchSize == 4096)
        #expect(syn.qos)
        #expect(syn.patch == 1)

        let ack = InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, batchSize: 2048, cookie: [9, 8, 7][...], qos: false)
        try link.peerSends(.initAck(ack))
        guard case .openSyn(let open) = try link.sentTransportMessages().first else {
            Issue.record("no OpenSyn after the InitAck")
            return
        }
        #expect(Array(open.cookie) == [9, 8, 7])
        #expect(open.leaseMilliseconds == 3000)
        #expect(link.outcome == nil, "the session opens only with the OpenAck")

        try link.peerSends(.openAck(OpenAck(leaseMilliseconds: 5000, initialSN: 42)))
        let transport = try #require(link.transport)
        #expect(transport.parameters == TransportParameters(
            remoteZID: LinkUnderTest.routerZID, remoteWhatAmI: .router, batchSize: 2048, resolution: 0x0A,
            qos: false, patch: false, remoteLeaseMilliseconds: 5000, remoteInitialSN: 42, localInitialSN: open.initialSN))
        #expect(!link.hasHandshakeHandler && link.hasSessionHandler, "the session handler took the link over")
        try link.finish()
    }

    @Test("a frame that arrives in the same read as the OpenAck reaches the session's user")
    func frameWithOpenAck() throws {
        let link = try LinkUnderTest(role: .connector)
        try link.connect()
        try link.peerSends(.initAck(InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, cookie: [1][...])))
        _ = try link.sentTransportMessages()
        try link.peerSends(Wire.batch(.openAck(OpenAck(leaseMilliseconds: 10_000, initialSN: 7))),
                           Wire.frame(sn: 7, Wire.put("room/temp", "21.5")))
        #expect(link.transport != nil)
        #expect(link.delegate.received == [Wire.put("room/temp", "21.5")])
        try link.finish()
    }

    @Test("a message the handshake does not expect closes the link, and the open fails saying which")
    func connectorUnexpected() throws {
        let link = try LinkUnderTest(role: .connector)
        try link.connect()
        // An OpenAck before any InitAck.
        try link.peerSends(.openAck(OpenAck(leaseMilliseconds: 10_000, initialSN: 1)))
        guard case .handshake(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure)), not a handshake error")
            return
        }
        #expect(why.contains("unexpected"))
        #expect(!link.channel.isActive, "the link is closed")
        #expect(!link.hasSessionHandler)
        try link.finish()
    }

    @Test("bytes that are no message close the link as malformed")
    func connectorGarbage() throws {
        let link = try LinkUnderTest(role: .connector)
        try link.connect()
        try link.peerSends([0xFF, 0xFF, 0xFF])
        guard case .malformed = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure)), not as malformed")
            return
        }
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a router that closes during the handshake fails the open with its reason")
    func routerCloses() throws {
        let link = try LinkUnderTest(role: .connector)
        try link.connect()
        try link.peerSends(.close(Close(reason: Close.maxSessions, closesSession: true)))
        #expect(link.failure == .closedByPeer(reason: Close.maxSessions))
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a router that answers a larger SN resolution than offered is refused")
    func largerResolution() throws {
        var config = Self.config()
        config.resolution = 0x05
        let link = try LinkUnderTest(role: .connector, config: config)
        try link.connect()
        _ = try link.sentTransportMessages()
        try link.peerSends(.initAck(InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, resolution: 0x0A, cookie: [1][...])))
        guard case .handshake(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure)), not a handshake error")
            return
        }
        #expect(why.contains("resolution"))
        #expect(try link.sentTransportMessages().isEmpty, "no OpenSyn")
        try link.finish()
    }

    @Test("a TCP link starts the handshake when connected, a serial link when its own handshake is done, UDP when told")
    func whenEachLinkStarts() throws {
        let tcp = try LinkUnderTest(role: .connector, framing: .stream)
        try tcp.connect()
        #expect(try tcp.sentTransportMessages().count == 1)
        try tcp.finish()

        let serial = try LinkUnderTest(role: .connector, framing: .serial)
        try serial.connect()
        #expect(try serial.sentTransportMessages().isEmpty, "the serial link is not ready yet")
        serial.channel.pipeline.fireUserInboundEventTriggered(SerialLinkEvent.linkReady)
        guard case .initSyn(let syn) = try serial.sentTransportMessages().first else {
            Issue.record("no InitSyn once the serial link is ready")
            return
        }
        #expect(Int(syn.batchSize) == SerialLink.mtu, "a serial link offers no more than its MTU")
        try serial.finish()

        let udp = try LinkUnderTest(role: .connector, framing: .datagram)
        try udp.connect()
        #expect(try udp.sentTransportMessages().isEmpty)
        udp.handshake.startHandshake()
        guard case .initSyn(let udpSyn) = try udp.sentTransportMessages().first else {
            Issue.record("no InitSyn when the UDP socket is set up")
            return
        }
        #expect(udpSyn.batchSize == 65487, "a datagram is at most 65535 bytes less the UDP and IPv6 headers")
        try udp.finish()
    }

    // MARK: Listener

    /// A device's InitSyn, as zenoh-pico sends it.
    static func deviceSyn() -> InitSyn {
        InitSyn(whatAmI: .client, zid: TransportConfig().zid, resolution: 0x0A, batchSize: 1024, qos: false, patch: 1)
    }

    @Test("the gateway answers a device with the smaller offers and a cookie, and opens the session when the cookie comes back")
    func listenerOpens() throws {
        let link = try LinkUnderTest(role: .listener, config: Self.config(lease: 3000))
        try link.connect()
        #expect(try link.sentTransportMessages().isEmpty, "a listener waits for the device")
        let syn = Self.deviceSyn()
        try link.peerSends(.initSyn(syn))
        guard case .initAck(let ack) = try link.sentTransportMessages().first else {
            Issue.record("no InitAck")
            return
        }
        #expect(ack.batchSize == 1024)
        #expect(!ack.qos, "the device did not offer QoS")
        #expect(ack.patch == 1)
        #expect(ack.cookie.count == 16)

        try link.peerSends(.openSyn(OpenSyn(leaseMilliseconds: 2500, initialSN: 7, cookie: ack.cookie)))
        guard case .openAck(let openAck) = try link.sentTransportMessages().first else {
            Issue.record("no OpenAck")
            return
        }
        #expect(openAck.leaseMilliseconds == 3000)
        let transport = try #require(link.transport)
        #expect(transport.parameters == TransportParameters(
            remoteZID: syn.zid, remoteWhatAmI: .client, batchSize: 1024, resolution: 0x0A, qos: false, patch: true,
            remoteLeaseMilliseconds: 2500, remoteInitialSN: 7, localInitialSN: openAck.initialSN))
        #expect(!link.hasHandshakeHandler && link.hasSessionHandler)
        try link.finish()
    }

    @Test("the gateway hears of a device's session before any message of it, even one read with the OpenSyn")
    func gatewayHearsFirst() throws {
        /// Touched only on the test's thread (the embedded loop's).
        final class Heard: @unchecked Sendable {
            var delegate: RecordingDelegate?
            var messagesBeforeSession: Int?
        }
        let heard = Heard()
        let link = try LinkUnderTest(gateway: TransportConfig()) { _ in
            heard.messagesBeforeSession = heard.delegate?.received.count
        }
        heard.delegate = link.delegate
        try link.connect()
        try link.peerSends(.initSyn(Self.deviceSyn()))
        guard case .initAck(let ack) = try link.sentTransportMessages().first else {
            Issue.record("no InitAck")
            return
        }
        try link.peerSends(Wire.batch(.openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 3, cookie: ack.cookie))),
                           Wire.frame(sn: 3, Wire.put("device/temp", "19")))
        #expect(heard.messagesBeforeSession == 0)
        #expect(link.delegate.received == [Wire.put("device/temp", "19")])
        try link.finish()
    }

    @Test("the gateway logs why it refused a device")
    func gatewayLogsRefusal() throws {
        let link = try LinkUnderTest(gateway: TransportConfig()) { _ in }
        try link.connect()
        try link.peerSends(.keepAlive(KeepAlive()))
        #expect(!link.channel.isActive)
        #expect(link.logs.values.contains { $0.hasPrefix("info link refused") && $0.contains("unexpected") })
        try link.finish()
    }

    @Test("a device whose OpenSyn does not bring our cookie back is refused and its link closed")
    func listenerWrongCookie() throws {
        let link = try LinkUnderTest(role: .listener)
        try link.connect()
        try link.peerSends(.initSyn(Self.deviceSyn()))
        _ = try link.sentTransportMessages()
        try link.peerSends(.openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 1, cookie: [0, 0, 0][...])))
        #expect(link.failure == .handshake("the OpenSyn did not return our cookie"))
        #expect(try link.sentTransportMessages().isEmpty, "no OpenAck")
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a device speaking another protocol version is told Close(invalid) and refused")
    func listenerOtherVersion() throws {
        let link = try LinkUnderTest(role: .listener)
        try link.connect()
        var syn = Self.deviceSyn()
        syn.version = 0x08
        try link.peerSends(.initSyn(syn))
        #expect(try link.sentTransportMessages() == [.close(Close(reason: Close.invalid, closesSession: true))])
        guard case .handshake(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure)), not a handshake error")
            return
        }
        #expect(why.contains("version 8"))
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a device that sends data before the handshake is refused")
    func listenerDataFirst() throws {
        let link = try LinkUnderTest(role: .listener)
        try link.connect()
        try link.peerSends(Wire.frame(sn: 0, Wire.put("a", "b")))
        guard case .handshake = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure)), not a handshake error")
            return
        }
        #expect(link.delegate.received.isEmpty)
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a link that goes down during the handshake fails the open")
    func linkDropsDuringHandshake() throws {
        let link = try LinkUnderTest(role: .listener)
        try link.connect()
        try link.peerSends(.initSyn(Self.deviceSyn()))
        try link.channel.close().wait()
        #expect(link.failure == .link("connection closed during the handshake"))
        try link.finish()
    }
}
