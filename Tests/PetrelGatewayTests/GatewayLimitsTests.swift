@testable import PetrelGateway
import PetrelSession
import PetrelTestSupport
@testable import PetrelTransport
import PetrelWire
import Testing

/// The gateway's caps on sessions and declarations, driven through fake
/// device sessions: a device over a cap is closed with a reason, logged by
/// name and counted, and the others go on as before.
@Suite("the gateway's limits on devices")
struct GatewayLimitsTests {
    static func gateway(_ limits: GatewayLimits, logs: LogLines) async throws -> Gateway {
        let session = try await Session.open(SessionConfig(connect: []))
        return Gateway(session: session, logger: logs.logger("gateway"), limits: limits)
    }

    func send(_ m: NetworkMessage, from device: FakeDevice, to gateway: Gateway) async {
        gateway.receive(m, from: device, reliability: .reliable)
        await gateway.work.drain()
    }

    func subscriber(_ id: UInt32, _ key: String) -> NetworkMessage {
        .declare(Declare(declaration: .subscriber(id: id, wireExpr: WireExpr(key))))
    }

    func put(_ key: String) -> NetworkMessage {
        .push(Push(wireExpr: WireExpr(key), body: .put(Put(payload: [1, 2, 3][...]))))
    }

    /// Waits (generously) for the gateway's Task that closes a refused device.
    func waitForEnd(_ device: FakeDevice) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while device.endReasons.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("one session more than max_sessions is closed with MAX_SESSIONS and counted; a place freed is taken again")
    func sessionCap() async throws {
        var limits = GatewayLimits()
        limits.maxSessions = 2
        let logs = LogLines()
        let gateway = try await Self.gateway(limits, logs: logs)
        let a = try FakeDevice("a"), b = try FakeDevice("b"), c = try FakeDevice("c"), d = try FakeDevice("d")
        gateway.accepted(a)
        gateway.accepted(b)
        #expect(gateway.devices.count == 2)
        gateway.accepted(c)
        try await waitForEnd(c)
        #expect(c.endReasons == [Close.maxSessions])
        #expect(a.endReasons.isEmpty && b.endReasons.isEmpty, "the devices already there stay")
        #expect(gateway.devices.count == 2)
        #expect(gateway.statistics.overLimit == [.sessions: 1])
        #expect(gateway.statistics.sessionsAccepted == 2)
        #expect(logs.values.contains { $0.hasPrefix("warning device closed: over the gateway's max_sessions (2)")
            && $0.contains("device=\(c.parameters.remoteZID)") && $0.contains("limit=max_sessions") })

        // What the refused device still sends before its link is down is not handled.
        await send(put("c/temp"), from: c, to: gateway)
        #expect(gateway.statistics.samplesFromDevices == 0)
        #expect(gateway.devices.count == 2)
        await send(put("a/temp"), from: a, to: gateway)
        #expect(gateway.statistics.samplesFromDevices == 1, "the others are served as before")

        gateway.linkClosed(c, error: nil)
        gateway.linkClosed(a, error: TransportError.closedByPeer(reason: 0))
        gateway.accepted(d)
        #expect(gateway.devices.count == 2 && d.endReasons.isEmpty, "a's place is free again")
        #expect(gateway.statistics.overLimit == [.sessions: 1])
    }

    @Test("a device past max_declarations_per_session is closed and its declarations leave with it; another device declares on")
    func declarationCap() async throws {
        var limits = GatewayLimits()
        limits.maxDeclarationsPerSession = 3
        let logs = LogLines()
        let gateway = try await Self.gateway(limits, logs: logs)
        let flood = try FakeDevice("flood"), calm = try FakeDevice("calm")
        gateway.accepted(flood)
        gateway.accepted(calm)
        await send(subscriber(1, "f/1"), from: flood, to: gateway)
        await send(.declare(Declare(declaration: .keyExpr(id: 1, wireExpr: WireExpr("f/long/prefix")))), from: flood, to: gateway)
        await send(.interest(Interest(id: 9, mode: .future, options: [.subscribers], wireExpr: WireExpr("x/**"))), from: flood, to: gateway)
        // At the cap: declaring an id again replaces it and is not one more.
        await send(subscriber(1, "f/1b"), from: flood, to: gateway)
        #expect(flood.endReasons.isEmpty)
        #expect(gateway.devices.first?.subscribers == 1)

        await send(subscriber(2, "f/2"), from: flood, to: gateway)
        try await waitForEnd(flood)
        #expect(flood.endReasons == [Close.generic])
        #expect(gateway.statistics.overLimit == [.declarations: 1])
        #expect(logs.values.contains { $0.hasPrefix("warning device closed: over the gateway's max_declarations_per_session (3)")
            && $0.contains("device=\(flood.parameters.remoteZID)") })
        // More from it is ignored until its link is down.
        await send(subscriber(3, "f/3"), from: flood, to: gateway)
        #expect(gateway.statistics.overLimit == [.declarations: 1], "counted once")

        gateway.linkClosed(flood, error: nil)
        #expect(gateway.devices.count == 1)
        for i in 1...3 { await send(subscriber(UInt32(i), "c/\(i)"), from: calm, to: gateway) }
        #expect(calm.endReasons.isEmpty)
        #expect(gateway.devices.first?.subscribers == 3)
    }

    @Test("a device closed by its own session over a byte cap is logged by name and counted once per cap")
    func transportCapsCounted() async throws {
        let logs = LogLines()
        let gateway = try await Self.gateway(GatewayLimits(), logs: logs)
        let slow = try FakeDevice("slow"), frag = try FakeDevice("frag")
        gateway.accepted(slow)
        gateway.accepted(frag)
        gateway.linkClosed(slow, error: .overLimit(.inFlight, "5000000 bytes queued"))
        gateway.linkClosed(frag, error: .overLimit(.reassembly, "4200000 bytes"))
        #expect(gateway.statistics.overLimit == [.inFlight: 1, .reassembly: 1])
        #expect(gateway.devices.isEmpty)
        #expect(logs.values.contains { $0.hasPrefix("warning device closed: over the gateway's max_in_flight_bytes_per_session (4194304)")
            && $0.contains("device=\(slow.parameters.remoteZID)") })
        #expect(logs.values.contains { $0.hasPrefix("warning device closed: over the gateway's max_reassembly_bytes_per_session") })
    }
}
