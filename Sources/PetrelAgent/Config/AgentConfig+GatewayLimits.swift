import PetrelGateway
import PetrelTransport

extension AgentConfig {
    /// `listen.limits`: the gateway's caps on what one local device may make
    /// the agent hold (`GatewayLimits` has the defaults and what each means).
    /// Counts are whole numbers, byte caps sizes (`"4MiB"` or a number).
    mutating func readGatewayLimits(_ l: ConfigObject, _ v: ConfigValidator) {
        var g = gatewayLimits
        g.maxSessions = l.read(SessionLimit.sessions.configKey) { v.integer($0, $1, in: 1...100_000, unit: "sessions") } ?? g.maxSessions
        g.maxDeclarationsPerSession = l.read(SessionLimit.declarations.configKey) {
            v.integer($0, $1, in: 1...10_000_000, unit: "declarations")
        } ?? g.maxDeclarationsPerSession
        // At least one 64 KiB batch: a smaller cap would close devices for a single message.
        g.maxInFlightBytesPerSession = l.read(SessionLimit.inFlight.configKey) { v.size($0, $1, in: (64 << 10)...(1 << 40)) }
            ?? g.maxInFlightBytesPerSession
        g.maxReassemblyBytesPerSession = l.read(SessionLimit.reassembly.configKey) { v.size($0, $1, in: 1024...(1 << 40)) }
            ?? g.maxReassemblyBytesPerSession
        g.maxReassemblyBytesTotal = l.read(SessionLimit.reassemblyTotal.configKey) { v.size($0, $1, in: 1024...(1 << 40)) }
            ?? g.maxReassemblyBytesTotal
        if g.maxReassemblyBytesTotal < g.maxReassemblyBytesPerSession, l.value(SessionLimit.reassemblyTotal.configKey) == nil {
            // Only the session's cap was raised: the total follows it.
            g.maxReassemblyBytesTotal = g.maxReassemblyBytesPerSession
        } else if g.maxReassemblyBytesTotal < g.maxReassemblyBytesPerSession, let m = l.value(SessionLimit.reassemblyTotal.configKey) {
            v.report(l.childPath(SessionLimit.reassemblyTotal.configKey),
                     "must be at least max_reassembly_bytes_per_session (\(g.maxReassemblyBytesPerSession) bytes), found \(g.maxReassemblyBytesTotal)",
                     at: m.offset)
            g.maxReassemblyBytesTotal = gatewayLimits.maxReassemblyBytesTotal
        }
        gatewayLimits = g
    }
}
