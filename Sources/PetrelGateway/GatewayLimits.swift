import PetrelTransport
import PetrelWire

/// What a local device may make the gateway hold (issue #16: a broken or
/// hostile device must not exhaust the board). A device over a cap is closed
/// with a Close naming a reason, logged with the device and the cap, and
/// counted (`Gateway.Totals.overLimit`); other devices and the uplink go on.
///
/// The defaults suit a Raspberry Pi with a handful of microcontrollers and
/// local clients: a zenoh-pico device declares a few keys and sends messages
/// of a few KiB; these leave room for a hundred times that and still bound
/// the worst case at a few tens of MiB.
public struct GatewayLimits: Sendable, Equatable {
    /// Device sessions open at once (all listeners together); one more is
    /// closed right after its handshake with reason MAX_SESSIONS.
    public var maxSessions: Int = 64
    /// Declarations one session may hold: key expressions, subscribers,
    /// queryables, tokens, and interests kept open (future mode).
    public var maxDeclarationsPerSession: Int = 1000
    /// Bytes queued toward one device (the session's transmit queue and its
    /// socket's write buffer) before it is closed as not reading (UNRESPONSIVE).
    public var maxInFlightBytesPerSession: Int = 4 << 20
    /// Bytes of unfinished fragmented messages one session may hold.
    public var maxReassemblyBytesPerSession: Int = 4 << 20
    /// The same, all device sessions together.
    public var maxReassemblyBytesTotal: Int = 32 << 20

    public init() {}

    /// The value of the cap `limit`.
    public func value(of limit: SessionLimit) -> Int {
        switch limit {
        case .sessions: maxSessions
        case .declarations: maxDeclarationsPerSession
        case .inFlight: maxInFlightBytesPerSession
        case .reassembly: maxReassemblyBytesPerSession
        case .reassemblyTotal: maxReassemblyBytesTotal
        }
    }
}

extension Face {
    /// What the device made the gateway keep for it, counted against
    /// `GatewayLimits.maxDeclarationsPerSession`.
    var declarationCount: Int {
        exprs.count + subscribers.count + queryables.count + tokenKeys.count
            + livelinessSubscribers.count + answers.interests.count
    }

    /// Whether handling `message` would add a declaration (rather than replace
    /// one with the same id, remove one, or keep nothing).
    func adds(_ message: NetworkMessage) -> Bool {
        switch message {
        case .declare(let d):
            switch d.declaration {
            case .keyExpr(let id, _): return exprs[id] == nil
            case .subscriber(let id, _): return subscribers[id] == nil
            case .queryable(let id, _, _): return queryables[id] == nil
            case .token(let id, _): return tokenKeys[id] == nil
            default: return false
            }
        case .interest(let i):
            return (i.mode == .future || i.mode == .currentFuture) && answers.interests[i.id] == nil
                && livelinessSubscribers[i.id] == nil
        default:
            return false
        }
    }
}
