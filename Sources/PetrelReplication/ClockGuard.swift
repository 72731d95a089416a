import PetrelTime
import Synchronization

/// Refuses remote timestamps too far in the future, as Zenoh's HLC does
/// (uhlc's `max_delta`, 500 ms by default): a sample stamped by a clock that
/// runs ahead by more than the allowed drift would win every last-writer-wins
/// race for as long as that clock stays ahead, and alignment would spread it
/// to every replica. Such samples are dropped and counted, never stored.
public final class ClockGuard: Sendable {
    /// How far ahead of local time a timestamp may be.
    public let maxDrift: Duration
    private let maxDriftUnits: UInt64
    private let now: @Sendable () -> NTP64
    private let rejectedCount = Atomic<UInt64>(0)

    public init(maxDrift: Duration, now: @escaping @Sendable () -> NTP64) {
        self.maxDrift = maxDrift
        self.maxDriftUnits = NTP64(duration: maxDrift).rawValue
        self.now = now
    }

    /// Samples refused so far.
    public var rejected: UInt64 { rejectedCount.load(ordering: .relaxed) }

    /// Whether `timestamp` is acceptable; a refused one is counted. Exactly
    /// `maxDrift` ahead is accepted, as uhlc does.
    public func admit(_ timestamp: Timestamp) -> Bool {
        let local = now().rawValue
        let t = timestamp.time.rawValue
        if t > local && t - local > maxDriftUnits {
            rejectedCount.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// How far ahead of local time `timestamp` is, in milliseconds (0 if not ahead): for logs.
    public func aheadMilliseconds(_ timestamp: Timestamp) -> UInt64 {
        let local = now().rawValue, t = timestamp.time.rawValue
        guard t > local else { return 0 }
        return ((t - local) * 1000) >> 32
    }
}
