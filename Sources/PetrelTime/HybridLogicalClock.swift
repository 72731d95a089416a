import Synchronization

/// A hybrid logical clock with the semantics of uhlc 0.9, the clock Zenoh uses:
/// timestamps are NTP64 physical times whose lowest 4 bits are a logical
/// counter, paired with this clock's ID.
///
/// - Timestamps from one clock strictly increase, even when the physical clock
///   stands still or steps backwards (the counter, then the time bits, advance).
/// - Merging a remote timestamp (`update(with:)`) moves this clock past it, so
///   anything stamped afterwards orders after what was received ("happened
///   before" is respected across peers).
/// - A remote timestamp more than `maxDelta` ahead of local physical time is
///   refused instead of dragging the clock into the future (uhlc's default
///   500 ms; Zenoh routers then drop or re-stamp the sample).
///
/// Thread-safe: the last issued time sits behind a mutex; the physical clock is
/// read before taking it, as uhlc does.
public final class HybridLogicalClock: Sendable {
    /// Bits of the NTP64 fraction used as the logical counter (uhlc `CSIZE`).
    public static let counterBits = 4
    /// Mask of the counter bits (uhlc `CMASK`).
    public static let counterMask: UInt64 = (1 << 4) - 1
    /// uhlc's default `max_delta` (500 ms; Zenoh takes it from `UHLC_MAX_DELTA_MS`).
    public static let defaultMaxDelta: Duration = .milliseconds(500)

    /// The ID stamped on every timestamp this clock issues.
    public let id: ZenohID
    /// How far ahead of local physical time a remote timestamp may be, in NTP64 units.
    public let maxDelta: NTP64
    public let physicalClock: any PhysicalClock
    private let last: Mutex<NTP64>
    /// The newest remote time seen through `observe`, not merged yet (0: none).
    private let observed = Atomic<UInt64>(0)

    /// A clock issuing timestamps for `id`. `maxDelta` is converted to NTP64 as uhlc
    /// converts durations (nanoseconds, fraction rounded down).
    public init(id: ZenohID, maxDelta: Duration = HybridLogicalClock.defaultMaxDelta,
                physicalClock: any PhysicalClock = SystemClock()) {
        self.id = id
        self.maxDelta = NTP64(duration: maxDelta)
        self.physicalClock = physicalClock
        self.last = Mutex(NTP64(rawValue: 0))
    }

    /// The most recent time issued or merged (for inspection and tests).
    public var lastTime: NTP64 { last.withLock { $0 } }

    /// A new timestamp, strictly greater than every timestamp this clock issued
    /// before and than every remote timestamp it merged.
    ///
    /// Rule (uhlc `new_timestamp`): `now` = physical time with the counter bits
    /// cleared; if `now` is past the last time (its counter bits cleared too), the
    /// new time is `now`, otherwise last + 1.
    public func newTimestamp() -> Timestamp {
        mergeObserved()
        let now = physicalNow()
        let time = last.withLock { last -> NTP64 in
            if now.rawValue > last.rawValue & ~Self.counterMask {
                last = now
            } else {
                last = Self.successor(of: last)
            }
            return last
        }
        return Timestamp(time: time, id: id)
    }

    /// Merges a timestamp received from elsewhere, so later local timestamps order
    /// after it.
    ///
    /// Rule (uhlc `update_with_timestamp`): with `now` = physical time with the
    /// counter bits cleared, a timestamp more than `maxDelta` ahead of `now` is
    /// refused (exactly `maxDelta` ahead is accepted) and the clock is left alone.
    /// Otherwise the last time becomes `now` if `now` is the largest of (now,
    /// remote, last), else remote + 1 if the remote time is the largest, else last + 1.
    public func update(with timestamp: Timestamp) throws(ClockDriftError) {
        let now = physicalNow()
        let remote = timestamp.time
        if remote > now && remote.rawValue - now.rawValue > maxDelta.rawValue {
            throw ClockDriftError(timestamp: timestamp, now: now, maxDelta: maxDelta)
        }
        last.withLock { last in
            let newest = Swift.max(now, remote, last)
            if newest == now {
                last = now
            } else if newest == remote {
                last = Self.successor(of: remote)
            } else {
                last = Self.successor(of: last)
            }
        }
    }

    /// The cheap form of `update(with:)` for a stream of received samples:
    /// remembers the newest remote time (no clock read, no lock), merged with
    /// the same rule and drift check before the next timestamp is issued.
    public func observe(_ timestamp: Timestamp) {
        let t = timestamp.time.rawValue
        var current = observed.load(ordering: .relaxed)
        while t > current {
            let (exchanged, actual) = observed.compareExchange(expected: current, desired: t, ordering: .relaxed)
            if exchanged { break }
            current = actual
        }
    }

    private func mergeObserved() {
        let pending = observed.exchange(0, ordering: .relaxed)
        guard pending != 0 else { return }
        try? update(with: Timestamp(time: NTP64(rawValue: pending), id: id))
    }

    private func physicalNow() -> NTP64 {
        NTP64(rawValue: physicalClock.now().rawValue & ~Self.counterMask)
    }

    /// t + 1, saturating: only reachable in year 2106, where uhlc would overflow.
    private static func successor(of t: NTP64) -> NTP64 {
        NTP64(rawValue: t.rawValue == .max ? .max : t.rawValue + 1)
    }
}

/// A remote timestamp was too far in the future to merge: its clock is ahead of
/// ours by more than the allowed drift. The clock was not changed.
public struct ClockDriftError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The refused timestamp.
    public var timestamp: Timestamp
    /// Local physical time when it was refused (counter bits cleared).
    public var now: NTP64
    /// The allowed drift, in NTP64 units.
    public var maxDelta: NTP64

    public init(timestamp: Timestamp, now: NTP64, maxDelta: NTP64) {
        self.timestamp = timestamp
        self.now = now
        self.maxDelta = maxDelta
    }

    /// How far ahead of local time the timestamp was, in NTP64 units (> `maxDelta`).
    public var ahead: NTP64 { NTP64(rawValue: timestamp.time.rawValue &- now.rawValue) }

    public var description: String {
        "timestamp from \(timestamp.id) is \(Self.millis(ahead)) ms ahead of local time, more than the "
            + "\(Self.millis(maxDelta)) ms allowed: \(timestamp.time.rfc3339) vs. now \(now.rfc3339)"
    }

    /// Milliseconds with three decimals, e.g. `500.000`.
    private static func millis(_ t: NTP64) -> String {
        let micros = (UInt64(t.seconds) * 1_000_000) + (UInt64(t.fraction) * 1_000_000) >> 32
        let frac = String(micros % 1000)
        return String(micros / 1000) + "." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}
