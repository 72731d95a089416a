import PetrelTime

/// How time is cut into sub-intervals, intervals and eras (as in the talk).
///
/// Time is cut into sub-intervals of `subIntervalMillis`, numbered from the UNIX epoch
/// (sub-interval `s` holds times in `[s·Δ, (s+1)·Δ)`); `subIntervalsPerInterval` of them
/// make an interval. A time is *settled* once it is older than
/// `now − propagationDelay − maxClockSkew` (the talk's snapshot rule: nothing still in
/// transit, nothing stamped by a clock that is ahead within the allowed drift, can land
/// there any more). Eras, newest first:
/// - current: not settled yet; never compared (messages may still be in flight);
/// - hot: the settled part of the interval holding the settled boundary, and the
///   `hotIntervals` whole intervals before it;
/// - warm: the `warmIntervals` intervals before the hot era;
/// - cold: everything older.
public struct AlignmentLayout: Sendable, Equatable {
    public var subIntervalMillis: UInt64
    public var subIntervalsPerInterval: Int
    /// Hot era = the last N settled intervals (plus the settled part of the newest one).
    public var hotIntervals: Int
    public var warmIntervals: Int
    public var propagationDelayMillis: UInt64
    /// Zenoh's HLC default max delta is 500 ms.
    public var maxClockSkewMillis: UInt64

    public init(subIntervalMillis: UInt64 = 1_000, subIntervalsPerInterval: Int = 10, hotIntervals: Int = 6,
                warmIntervals: Int = 60, propagationDelayMillis: UInt64 = 200, maxClockSkewMillis: UInt64 = 500) {
        self.subIntervalMillis = subIntervalMillis
        self.subIntervalsPerInterval = subIntervalsPerInterval
        self.hotIntervals = hotIntervals
        self.warmIntervals = warmIntervals
        self.propagationDelayMillis = propagationDelayMillis
        self.maxClockSkewMillis = maxClockSkewMillis
    }

    /// 1 s sub-intervals, 10 s intervals, a hot era of 6 intervals (about a minute), a warm
    /// era of 60 (10 minutes), 200 ms propagation delay (the talk's sample settings), 500 ms skew.
    public static let `default` = AlignmentLayout()

    /// Why a layout cannot be used, or `nil` when it can.
    public var problem: String? {
        if subIntervalMillis == 0 { return "subIntervalMillis must be at least 1" }
        if subIntervalMillis > 86_400_000 { return "subIntervalMillis must be at most one day (86400000)" }
        if subIntervalsPerInterval < 1 { return "subIntervalsPerInterval must be at least 1" }
        if hotIntervals < 0 { return "hotIntervals must not be negative" }
        if warmIntervals < 0 { return "warmIntervals must not be negative" }
        return nil
    }

    /// Length of a sub-interval in NTP64 units (never 0).
    var subIntervalUnits: UInt64 { max(1, NTP64.duration(milliseconds: subIntervalMillis)) }
    var spi: UInt64 { UInt64(max(1, subIntervalsPerInterval)) }

    /// The sub-interval a time falls in.
    public func subInterval(of time: NTP64) -> UInt64 { time.rawValue / subIntervalUnits }
    /// The interval a sub-interval belongs to.
    public func interval(ofSubInterval s: UInt64) -> UInt64 { s / spi }
    /// The first time of a sub-interval (saturating in year 2106).
    public func startTime(ofSubInterval s: UInt64) -> NTP64 {
        let (v, o) = s.multipliedReportingOverflow(by: subIntervalUnits)
        return NTP64(rawValue: o ? .max : v)
    }

    /// The first sub-interval that is not settled at `now`.
    public func settledEnd(now: NTP64) -> UInt64 {
        let lag = NTP64.duration(milliseconds: propagationDelayMillis &+ maxClockSkewMillis)
        return (now.rawValue > lag ? now.rawValue - lag : 0) / subIntervalUnits
    }

    /// The sub-intervals of each era at `now` (current's upper end is `UInt64.max`).
    public func eraBounds(now: NTP64) -> EraBounds {
        let settled = settledEnd(now: now)
        let hotStart = Self.saturatingSub(settled / spi, UInt64(max(0, hotIntervals))) * spi
        let warmStart = Self.saturatingSub(hotStart, UInt64(max(0, warmIntervals)) &* spi)
        return EraBounds(warmStart: warmStart, hotStart: min(hotStart, settled), settledEnd: settled)
    }

    /// Which era a time is in, seen at `now`.
    public func era(of time: NTP64, now: NTP64) -> AlignmentEra {
        eraBounds(now: now).era(ofSubInterval: subInterval(of: time))
    }

    /// The sub-intervals a reconciliation over `eras` compares: the span from the oldest
    /// to the newest era named (eras in between are included; an empty set gives an empty window).
    public func window(eras: Set<AlignmentEra>, now: NTP64) -> AlignmentWindow {
        let b = eraBounds(now: now)
        var lower = UInt64.max, upper: UInt64 = 0
        for era in eras {
            let r = b.range(of: era)
            guard r.lowerBound < r.upperBound else { continue }
            lower = min(lower, r.lowerBound)
            upper = max(upper, r.upperBound)
        }
        return lower < upper ? AlignmentWindow(from: lower, to: upper) : AlignmentWindow(from: 0, to: 0)
    }

    static func saturatingSub(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : 0 }
}

/// The eras of alignment, newest to oldest.
public enum AlignmentEra: UInt8, Sendable, CaseIterable {
    case current, hot, warm, cold
}

/// Where each era starts, in sub-intervals, at one moment.
public struct EraBounds: Sendable, Equatable {
    public var warmStart: UInt64
    public var hotStart: UInt64
    /// The first unsettled sub-interval (current starts here).
    public var settledEnd: UInt64

    public func range(of era: AlignmentEra) -> Range<UInt64> {
        switch era {
        case .cold: return 0..<warmStart
        case .warm: return warmStart..<hotStart
        case .hot: return hotStart..<settledEnd
        case .current: return settledEnd..<UInt64.max
        }
    }

    public func era(ofSubInterval s: UInt64) -> AlignmentEra {
        if s >= settledEnd { return .current }
        if s >= hotStart { return .hot }
        if s >= warmStart { return .warm }
        return .cold
    }
}

/// A half-open range of sub-intervals `[from, to)`: what one reconciliation compares.
public struct AlignmentWindow: Sendable, Hashable, CustomStringConvertible {
    public var from: UInt64
    public var to: UInt64
    public init(from: UInt64, to: UInt64) {
        self.from = from
        self.to = max(from, to)
    }
    public var isEmpty: Bool { from >= to }
    public func contains(subInterval s: UInt64) -> Bool { s >= from && s < to }
    public var description: String { "[\(from), \(to))" }
}
