import PetrelWire
import Synchronization

/// Which of the gateway's caps a device went over (issue #16): the reason a
/// device's session was closed, and the counter it adds to.
public enum SessionLimit: String, Sendable, CaseIterable, CustomStringConvertible {
    /// More device sessions at once than the gateway takes.
    case sessions
    /// More declarations (key expressions, subscribers, queryables, tokens,
    /// liveliness subscribers) held for one session.
    case declarations
    /// More bytes queued toward one device than it is reading.
    case inFlight
    /// More bytes of unfinished fragmented messages held for one session.
    case reassembly
    /// The unfinished fragmented messages of all sessions together.
    case reassemblyTotal

    /// The config key (under `listen.limits`) that sets this cap.
    public var configKey: String {
        switch self {
        case .sessions: "max_sessions"
        case .declarations: "max_declarations_per_session"
        case .inFlight: "max_in_flight_bytes_per_session"
        case .reassembly: "max_reassembly_bytes_per_session"
        case .reassemblyTotal: "max_reassembly_bytes_total"
        }
    }

    public var description: String { configKey }

    /// The reason code of the Close the device gets. Zenoh has codes for too
    /// many sessions (MAX_SESSIONS) and for a peer that does not keep up
    /// (UNRESPONSIVE); none for a peer that holds too much, which gets GENERIC.
    public var closeReason: UInt8 {
        switch self {
        case .sessions: Close.maxSessions
        case .inFlight: Close.unresponsive
        case .declarations, .reassembly, .reassemblyTotal: Close.generic
        }
    }
}

/// Caps on what one accepted session may make the agent hold, enforced by its
/// session handler (the gateway enforces the session and declaration caps
/// itself). nil means no cap: the uplink's own session has none.
public struct SessionLimits: Sendable {
    /// Bytes queued toward the peer, in the session's transmit queue and the
    /// socket's write buffer, before the peer is closed as not keeping up.
    public var maxInFlightBytes: Int?
    /// Bytes of unfinished fragmented messages held for the peer, all its channels together.
    public var maxReassemblyBytes: Int?
    /// The same, shared by every session that holds this budget.
    public var reassemblyBudget: ReassemblyBudget?

    public init(maxInFlightBytes: Int? = nil, maxReassemblyBytes: Int? = nil, reassemblyBudget: ReassemblyBudget? = nil) {
        self.maxInFlightBytes = maxInFlightBytes
        self.maxReassemblyBytes = maxReassemblyBytes
        self.reassemblyBudget = reassemblyBudget
    }
}

/// Bytes of reassembly buffers that all of a gateway's device sessions may
/// hold together. Each session reserves what its partial messages hold and
/// releases it when they complete, are dropped, or the session ends.
public final class ReassemblyBudget: Sendable {
    public let limit: Int
    private let used = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Bytes reserved now.
    public var inUse: Int { used.load(ordering: .relaxed) }

    /// Reserves `bytes` if they fit under the limit.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limit else { return false }
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        used.subtract(bytes, ordering: .relaxed)
    }
}
