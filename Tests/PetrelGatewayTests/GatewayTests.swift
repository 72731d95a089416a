@testable import PetrelGateway
import PetrelKeyExpr
import PetrelSession
import PetrelTime
@testable import PetrelTransport
import PetrelWire
import Synchronization
import Testing

/// A device's session played by the test: what the gateway sends it is
/// recorded; what the device sends is handed to the gateway directly.
final class FakeDevice: DeviceLink, Sendable {
    let endpoint: Endpoint
    let parameters: TransportParameters
    private let sent = Mutex<[any Sendable]>([])

    init(_ name: String) throws {
        endpoint = try Endpoint("tcp/127.0.0.1:\(name.utf8.reduce(7000) { $0 + Int($1) })")
        parameters = TransportParameters(remoteZID: .random(), remoteWhatAmI: .client, batchSize: 2048, resolution: 0x0a,
                                         qos: false, patch: true, remoteLeaseMilliseconds: 10_000, remoteInitialSN: 0,
                                         localInitialSN: 0)
    }

    func deliver<M: WireEncodable>(_ message: M, priority: Priority) -> Bool {
        let kept: (any Sendable)? = (message as? Declare) ?? (message as? Push) ?? (message as? Request)
            ?? (message as? Response) ?? (message as? ResponseFinal) ?? (message as? Interest)
        guard let kept else {
            Issue.record("the gateway sent a device a \(M.self)")
            return true
        }
        sent.withLock { $0.append(kept) }
        return true
    }

    /// The Close reasons the gateway ended this session with.
    private let endings = Mutex<[UInt8]>([])
    var endReasons: [UInt8] { endings.withLock { $0 } }

    func end(reason: UInt8) async { endings.withLock { $0.append(reason) } }

    func holdReads(until resume: @escaping @Sendable () async -> Void) {
        Task { await resume() }
    }

    func received<T>(_ type: T.Type) -> [T] { sent.withLock { $0.compactMap { $0 as? T } } }
    var declarations: [Declare] { received(Declare.self) }
    var pushes: [Push] { received(Push.self) }
}

@Suite("the gateway, driven through fake device sessions")
struct GatewayTests {
    /// A gateway whose agent session has no router to connect to; with
    /// `offline`, readings no router takes are collected as the agent's
    /// offline buffer would take them.
    static func gateway(offline: OfflineBuffer? = nil) async throws -> Gateway {
        let session = try await Session.open(SessionConfig(connect: []))
        guard let offline else { return Gateway(session: session) }
        return Gateway(session: session) { sample in offline.samples.withLock { $0.append(sample) } }
    }

    /// Stands for the agent's offline buffer: the readings no router took.
    final class OfflineBuffer: Sendable {
        let samples = Mutex<[Sample]>([])
    }

    func send(_ m: NetworkMessage, from device: FakeDevice, to gateway: Gateway) async {
        gateway.receive(m, from: device, reliability: .reliable)
        await gateway.work.drain()
    }

    func declare(_ d: Declaration, interestID: UInt32? = nil) -> NetworkMessage {
        .declare(Declare(declaration: d, interestID: interestID))
    }

    /// zenoh-pico's publisher: CurrentFuture, K+S+R+A on its own key.
    func publisherInterest(_ id: UInt32, _ key: String) -> NetworkMessage {
        .interest(Interest(id: id, mode: .currentFuture, options: [.keyExprs, .subscribers, .restricted, .aggregate],
                           wireExpr: WireExpr(key)))
    }

    func put(_ key: String, _ value: String) -> NetworkMessage {
        .push(Push(wireExpr: WireExpr(key), body: .put(Put(payload: Array(value.utf8)[...]))))
    }

    @Test("a device's publication reaches another device's subscriber once, and never comes back to itself")
    func publicationsBetweenDevices() async throws {
        let gateway = try await Self.gateway()
        let a = try FakeDevice("a"), b = try FakeDevice("b")
        await send(declare(.subscriber(id: 1, wireExpr: WireExpr("room/**"))), from: a, to: gateway)
        await send(declare(.subscriber(id: 2, wireExpr: WireExpr("room/*"))), from: a, to: gateway)
        await send(declare(.subscriber(id: 1, wireExpr: WireExpr("room/**"))), from: b, to: gateway)
        await send(put("room/temp", "21"), from: b, to: gateway)
        #expect(a.pushes.map(\.wireExpr) == [WireExpr("room/temp")], "once, through one of its two subscribers")
        #expect(b.pushes.isEmpty, "a device's own publication is not sent back to it")
        #expect(gateway.statistics.samplesFromDevices == 1 && gateway.statistics.samplesToDevices == 1)
    }

    @Test("a publisher's aggregate interest: no subscriber, only D_FINAL; another device subscribes, its key is declared; that device leaves, undeclared")
    func interestFollowsOtherDevices() async throws {
        let gateway = try await Self.gateway()
        let publisher = try FakeDevice("pub"), subscriber = try FakeDevice("sub")
        await send(publisherInterest(5, "mcu/1/temp"), from: publisher, to: gateway)
        #expect(publisher.declarations == [Declare(declaration: .final, interestID: 5, qos: .declare)])

        await send(declare(.subscriber(id: 9, wireExpr: WireExpr("mcu/**"))), from: subscriber, to: gateway)
        await gateway.work.drain()
        guard case .subscriber(let id, let w)? = publisher.declarations.last?.declaration else {
            Issue.record("no subscriber announced: \(publisher.declarations)")
            return
        }
        #expect(w == WireExpr("mcu/1/temp"), "zenoh-pico compares the announced key with its own for equality")
        #expect(publisher.declarations.last?.interestID == nil, "a later change is not part of the current answer")

        gateway.linkClosed(subscriber, error: TransportError.closedByPeer(reason: 0))
        await gateway.work.drain()
        #expect(publisher.declarations.last?.declaration == .undeclareSubscriber(id: id, wireExpr: nil))
        #expect(gateway.devices.count == 1)
    }

    @Test("with no router, the offline buffer is the subscriber: a publisher is told it matches, and its readings are kept, stamped")
    func offlineBufferTakesReadings() async throws {
        let kept = OfflineBuffer()
        let gateway = try await Self.gateway(offline: kept)
        let device = try FakeDevice("mcu")
        await send(publisherInterest(3, "mcu/2/hum"), from: device, to: gateway)
        #expect(device.declarations.map(\.declaration) == [.subscriber(id: 1, wireExpr: WireExpr("mcu/2/hum")), .final])
        #expect(device.declarations.map(\.interestID) == [3, 3])
        await send(put("mcu/2/hum", "40"), from: device, to: gateway)
        let samples = kept.samples.withLock { $0 }
        #expect(samples.map(\.key) == ["mcu/2/hum"])
        #expect(samples.first?.timestamp != nil, "stamped with the agent's clock when it passed the gateway")
    }

    @Test("a device's get reaches another device's queryable; replies come back under the asker's request id, then one final")
    func queriesBetweenDevices() async throws {
        let gateway = try await Self.gateway()
        let asker = try FakeDevice("asker"), answerer = try FakeDevice("answerer")
        await send(declare(.queryable(id: 4, wireExpr: WireExpr("cfg/**"), info: QueryableInfo(complete: true))), from: answerer, to: gateway)
        await send(.request(Request(requestID: 77, wireExpr: WireExpr("cfg/baud"))), from: asker, to: gateway)
        let forwarded = try #require(answerer.received(Request.self).first, "the query did not reach the other device")
        #expect(forwarded.wireExpr == WireExpr("cfg/baud"))

        let reply = Response(requestID: forwarded.requestID, wireExpr: WireExpr("cfg/baud"),
                             body: .reply(Reply(body: .put(Put(payload: Array("115200".utf8)[...])))))
        await send(.response(reply), from: answerer, to: gateway)
        await send(.responseFinal(ResponseFinal(requestID: forwarded.requestID)), from: answerer, to: gateway)
        let deadline = ContinuousClock.now + .seconds(5)
        while asker.received(ResponseFinal.self).isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(asker.received(Response.self).map(\.requestID) == [77])
        #expect(asker.received(ResponseFinal.self).map(\.requestID) == [77], "one final answer, under the asker's id")
    }

    @Test("a declaration on a key-expression id the device never declared is counted and ignored")
    func unknownExpressionIDs() async throws {
        let gateway = try await Self.gateway()
        let device = try FakeDevice("bad")
        await send(declare(.subscriber(id: 1, wireExpr: WireExpr(scope: 42, suffix: "/x", mapping: .sender))), from: device, to: gateway)
        await send(.push(Push(wireExpr: WireExpr(scope: 43, suffix: "", mapping: .sender), body: .put(Put(payload: [])))), from: device, to: gateway)
        #expect(gateway.statistics.unknownKeyExprs == 2)
        #expect(gateway.devices.first?.subscribers == 0)
    }
}
