import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PetrelWire
import Testing
@testable import PetrelTransport

/// The listener side of the handshake (the agent's gateway role), met by
/// Petrel's own connector over loopback.
@Suite("Listening for devices' sessions")
struct ListenerTests {
    final class Inbox: TransportDelegate, @unchecked Sendable {
        let messages = NIOLockedValueBox<[NetworkMessage]>([])
        let closes = NIOLockedValueBox<Int>(0)
        func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {
            let m = message
            messages.withLockedValue { $0.append(m) }
        }
        func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {
            closes.withLockedValue { $0 += 1 }
        }
        func waitFor(_ n: Int) async -> [NetworkMessage] {
            let deadline = ContinuousClock.now + .seconds(5)
            while messages.withLockedValue({ $0.count }) < n && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return messages.withLockedValue { $0 }
        }
    }

    static func push(_ key: String, _ text: String) -> Push {
        Push(wireExpr: WireExpr(key), body: .put(Put(payload: Array(text.utf8)[...])))
    }

    @Test("a client's handshake with a listener agrees on the smaller batch and on QoS only when both offer it",
          arguments: [("tcp", true), ("udp", false)])
    func handshake(proto: String, clientQoS: Bool) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let atListener = Inbox()
        let accepted = NIOLockedValueBox<[UnicastTransport]>([])
        var listenConfig = TransportConfig()
        listenConfig.whatAmI = .router
        listenConfig.batchSize = 8192
        let listener = try await TransportListener.listen(on: try Endpoint("\(proto)/127.0.0.1:0"), config: listenConfig, group: group,
                                                          delegate: atListener, logger: Logger(label: "test")) { t in
            accepted.withLockedValue { $0.append(t) }
        }
        let port = try #require(listener.localAddress?.port)
        var clientConfig = TransportConfig()
        clientConfig.qos = clientQoS
        let atClient = Inbox()
        let client = try await UnicastTransport.connect(to: try Endpoint("\(proto)/127.0.0.1:\(port)"), config: clientConfig,
                                                        group: group, delegate: atClient, logger: Logger(label: "test"))
        #expect(client.parameters.batchSize == 8192)
        #expect(client.parameters.qos == clientQoS)
        #expect(client.parameters.remoteWhatAmI == .router)
        #expect(client.parameters.remoteZID == listenConfig.zid)

        // Data both ways once the session is open.
        client.send(Self.push("dev/a", "up"))
        let got = await atListener.waitFor(1)
        #expect(got == [.push(Self.push("dev/a", "up"))])
        let server = try #require(accepted.withLockedValue { $0.first })
        #expect(server.parameters.remoteZID == clientConfig.zid)
        #expect(server.parameters.batchSize == 8192)
        server.send(Self.push("dev/a/cmd", "down"))
        #expect(await atClient.waitFor(1) == [.push(Self.push("dev/a/cmd", "down"))])

        await client.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while atListener.closes.withLockedValue({ $0 }) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(atListener.closes.withLockedValue { $0 } == 1, "the listener side saw the client's Close")
        await listener.close()
    }

    @Test("messages sent one at a time, each in its own batch, arrive intact: a batch's buffer is reused only empty",
          arguments: ["tcp", "udp"])
    func oneAtATime(proto: String) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let atListener = Inbox()
        let listener = try await TransportListener.listen(on: try Endpoint("\(proto)/127.0.0.1:0"), config: TransportConfig(), group: group,
                                                          delegate: atListener, logger: Logger(label: "test")) { _ in }
        let port = try #require(listener.localAddress?.port)
        let client = try await UnicastTransport.connect(to: try Endpoint("\(proto)/127.0.0.1:\(port)"), config: TransportConfig(),
                                                        group: group, delegate: Inbox(), logger: Logger(label: "test"))
        // Sizes go up and down so a reused buffer with a longer previous batch in it would show.
        let texts = (0..<200).map { i in String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: [3000, 5, 700, 1][i % 4]) + "\(i)" }
        for (i, text) in texts.enumerated() {
            #expect(client.send(Self.push("dev/seq", text), express: i % 2 == 0))
            _ = await atListener.waitFor(i + 1)
        }
        let got = await atListener.waitFor(texts.count)
        #expect(got == texts.map { .push(Self.push("dev/seq", $0)) })
        await client.close()
        await listener.close()
    }

    @Test("a UDP listener keeps two devices' sessions apart")
    func udpPeers() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let atListener = Inbox()
        let accepted = NIOLockedValueBox<[UnicastTransport]>([])
        let listener = try await TransportListener.listen(on: try Endpoint("udp/127.0.0.1:0"), config: TransportConfig(), group: group,
                                                          delegate: atListener, logger: Logger(label: "test")) { t in
            accepted.withLockedValue { $0.append(t) }
        }
        let port = try #require(listener.localAddress?.port)
        let endpoint = try Endpoint("udp/127.0.0.1:\(port)")
        let configA = TransportConfig()
        let configB = TransportConfig()
        let a = try await UnicastTransport.connect(to: endpoint, config: configA, group: group, delegate: Inbox(), logger: Logger(label: "a"))
        let b = try await UnicastTransport.connect(to: endpoint, config: configB, group: group, delegate: Inbox(), logger: Logger(label: "b"))
        for i in 0..<50 {
            a.send(Self.push("a", "\(i)"))
            b.send(Self.push("b", "\(i)"))
        }
        let got = await atListener.waitFor(100)
        #expect(got.count == 100)
        #expect(accepted.withLockedValue { $0.count } == 2)
        let peers = Set(accepted.withLockedValue { $0.map(\.parameters.remoteZID) })
        #expect(peers == [configA.zid, configB.zid])
        // Each device's messages came on its own session, in order.
        var perKey: [String: [String]] = [:]
        for case .push(let p) in got {
            if case .put(let put) = p.body { perKey[p.wireExpr.suffix, default: []].append(String(decoding: put.payload, as: UTF8.self)) }
        }
        #expect(perKey["a"] == (0..<50).map { "\($0)" } && perKey["b"] == (0..<50).map { "\($0)" })
        await a.close()
        await b.close()
        await listener.close()
    }
}
