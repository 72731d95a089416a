import Synchronization

/// Where a hybrid logical clock reads physical time: an NTP64 time since the
/// UNIX epoch. Injected so that tests (and simulations) control time exactly;
/// production code uses `SystemClock`.
public protocol PhysicalClock: Sendable {
    /// The current physical time. Called outside the clock's lock, on any thread.
    func now() -> NTP64
}

/// A physical clock that only moves when told to: for deterministic tests of
/// anything that stamps or ages data.
public final class ManualClock: PhysicalClock {
    private let time: Mutex<NTP64>

    public init(_ start: NTP64 = NTP64(rawValue: 0)) {
        time = Mutex(start)
    }

    public func now() -> NTP64 { time.withLock { $0 } }

    /// Jumps to `newTime`, forwards or backwards (a stepped wall clock does both).
    public func set(_ newTime: NTP64) { time.withLock { $0 = newTime } }

    /// Moves forward by `ntp64Units` (2^-32 s each), saturating at the maximum.
    public func advance(by ntp64Units: UInt64) {
        time.withLock { t in
            let (sum, overflow) = t.rawValue.addingReportingOverflow(ntp64Units)
            t.rawValue = overflow ? .max : sum
        }
    }

    /// Moves forward by `duration` (negative durations are ignored).
    public func advance(by duration: Duration) {
        advance(by: NTP64(duration: duration).rawValue)
    }
}
