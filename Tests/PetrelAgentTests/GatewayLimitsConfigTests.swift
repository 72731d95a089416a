import PetrelGateway
import PetrelTransport
import Testing
@testable import PetrelAgent

/// `listen.limits`: the gateway's caps, with defaults for a Pi and errors that name the key.
@Suite("Gateway limits in the configuration")
struct GatewayLimitsConfigTests {
    @Test("absent, the defaults: 64 sessions, 1000 declarations, 4 MiB in flight and of reassembly per device, 32 MiB in all")
    func defaults() throws {
        let c = try AgentConfig.parse("{ listen: { endpoints: ['tcp/0.0.0.0:7447'] } }", source: "c.json5")
        #expect(c.gatewayLimits == GatewayLimits())
        #expect(c.gatewayLimits.maxSessions == 64 && c.gatewayLimits.maxDeclarationsPerSession == 1000)
        #expect(c.gatewayLimits.maxInFlightBytesPerSession == 4 << 20 && c.gatewayLimits.maxReassemblyBytesPerSession == 4 << 20)
        #expect(c.gatewayLimits.maxReassemblyBytesTotal == 32 << 20)
    }

    @Test("every key is read; sizes take units")
    func everyKey() throws {
        let c = try AgentConfig.parse("""
            { listen: { endpoints: ['tcp/0.0.0.0:7447'], limits: { max_sessions: 8, max_declarations_per_session: 50,
              max_in_flight_bytes_per_session: "256KiB", max_reassembly_bytes_per_session: 65536, max_reassembly_bytes_total: "1MiB" } } }
            """, source: "c.json5")
        #expect(c.gatewayLimits.maxSessions == 8)
        #expect(c.gatewayLimits.maxDeclarationsPerSession == 50)
        #expect(c.gatewayLimits.maxInFlightBytesPerSession == 256 << 10)
        #expect(c.gatewayLimits.maxReassemblyBytesPerSession == 65536)
        #expect(c.gatewayLimits.maxReassemblyBytesTotal == 1 << 20)
    }

    @Test("bad values are errors naming the key")
    func errors() throws {
        let errors = AgentConfig.validate("""
            { listen: { limits: { max_sessions: 0, max_declarations_per_session: "many", max_in_flight_bytes_per_session: "1KB",
              max_reassembly_bytes_per_session: "8MiB", max_reassembly_bytes_total: "4MiB", max_sesions: 3 } } }
            """, source: "c.json5")
        #expect(errors.map(\.path) == ["listen.limits.max_sessions", "listen.limits.max_declarations_per_session",
                                       "listen.limits.max_in_flight_bytes_per_session", "listen.limits.max_reassembly_bytes_total",
                                       "listen.limits.max_sesions"])
        #expect(errors.last?.message.contains("did you mean 'max_sessions'") == true)
        #expect(errors[3].message.contains("at least max_reassembly_bytes_per_session"))
    }

    @Test("raising only the session's reassembly cap raises the total with it")
    func totalFollows() throws {
        let c = try AgentConfig.parse("{ listen: { limits: { max_reassembly_bytes_per_session: '64MiB' } } }", source: "c.json5")
        #expect(c.gatewayLimits.maxReassemblyBytesTotal == 64 << 20)
    }
}
