import PetrelTime

/// A time in Zenoh's time DSL: a fixed instant, or an offset from the moment
/// the range is evaluated (`now()`, `now(-5m)`), resolved where it is used.
public enum TimeExpression: Equatable, Sendable, CustomStringConvertible {
    /// A UTC instant, written in (weak) RFC 3339.
    case fixed(WallTime)
    /// `now(<offset>)`: the evaluation time plus `offsetSeconds` (negative for the past).
    case now(offsetSeconds: Double)

    /// The instant this expression names when evaluated at `now`; nil when it
    /// cannot be represented (a NaN, infinite or astronomically large offset),
    /// which Zenoh then treats as no bound at all.
    public func resolved(now: WallTime) -> WallTime? {
        switch self {
        case .fixed(let t): return t
        case .now(let offset): return now.adding(seconds: offset)
        }
    }

    /// Zenoh's text form: humantime's RFC 3339 (no fraction when it is zero,
    /// else nine digits), `now()`, or `now(<seconds>s)` with Rust's float formatting.
    public var description: String {
        switch self {
        case .fixed(let t): return RFC3339.format(t)
        case .now(let offset):
            return offset == 0 ? "now()" : "now(" + RustFloat.display(offset) + "s)"
        }
    }
}

/// Zenoh's `_time` selector parameter: a range of instants whose bounds are
/// inclusive (`[t..`, `..t]`), exclusive (`]t..`, `..t[`) or absent (`[..t]`).
///
/// Parse one with `TimeRange.parse("[now(-5m)..]")`; see that function for the
/// grammar. A range holding `now(...)` bounds means different instants at
/// different times, so it is resolved against a caller-supplied `now` when
/// used (`contains(_:now:)`, `resolved(now:)`).
public struct TimeRange: Equatable, Sendable, CustomStringConvertible {
    /// One end of a range.
    public enum Bound: Equatable, Sendable {
        case inclusive(TimeExpression)
        case exclusive(TimeExpression)
        case unbounded
    }

    /// The earliest instant in range (or none).
    public var start: Bound
    /// The latest instant in range (or none).
    public var end: Bound

    public init(start: Bound, end: Bound) {
        self.start = start
        self.end = end
    }

    /// Whether `time` is in range when the range is evaluated at `now`, exactly
    /// as Zenoh's `TimeRange::contains`: both converted to nanosecond instants
    /// (NTP64 fractions rounded up, as uhlc does), `now(...)` bounds resolved
    /// at `now`, and a bound that cannot be resolved ignored.
    public func contains(_ time: NTP64, now: NTP64) -> Bool {
        resolved(now: now).contains(time)
    }

    /// The range with its `now(...)` bounds turned into instants, for testing
    /// many times against one evaluation moment.
    public func resolved(now: NTP64) -> ResolvedTimeRange {
        let now = WallTime(now)
        func resolve(_ b: Bound) -> ResolvedTimeRange.Bound {
            switch b {
            case .inclusive(let e): return e.resolved(now: now).map { .inclusive($0) } ?? .unbounded
            case .exclusive(let e): return e.resolved(now: now).map { .exclusive($0) } ?? .unbounded
            case .unbounded: return .unbounded
            }
        }
        return ResolvedTimeRange(start: resolve(start), end: resolve(end))
    }

    /// Zenoh's text form (`[now(-300s)..]`), which `parse` reads back. Always
    /// uses the `..` form; an unbounded start is written `[`, an unbounded end `]`.
    public var description: String {
        var s: String
        switch start {
        case .inclusive(let t): s = "[" + t.description + ".."
        case .exclusive(let t): s = "]" + t.description + ".."
        case .unbounded: s = "[.."
        }
        switch end {
        case .inclusive(let t): s += t.description + "]"
        case .exclusive(let t): s += t.description + "["
        case .unbounded: s += "]"
        }
        return s
    }
}

/// A `TimeRange` evaluated at one moment: its bounds are instants.
public struct ResolvedTimeRange: Equatable, Sendable {
    /// One end of a resolved range; a `now(...)` bound that could not be
    /// resolved is `unbounded`, as in Zenoh.
    public enum Bound: Equatable, Sendable {
        case inclusive(WallTime)
        case exclusive(WallTime)
        case unbounded
    }

    public var start: Bound
    public var end: Bound

    public init(start: Bound, end: Bound) {
        self.start = start
        self.end = end
    }

    /// Whether the instant of `time` (uhlc's `to_system_time`) lies in range.
    public func contains(_ time: NTP64) -> Bool {
        contains(WallTime(time))
    }

    /// Whether `t` lies in range.
    public func contains(_ t: WallTime) -> Bool {
        !isBeforeStart(t) && !isAfterEnd(t)
    }

    /// Whether `t` comes before the start bound (so is out of range).
    func isBeforeStart(_ t: WallTime) -> Bool {
        switch start {
        case .inclusive(let s): return s > t
        case .exclusive(let s): return s >= t
        case .unbounded: return false
        }
    }

    /// Whether `t` comes after the end bound (so is out of range).
    func isAfterEnd(_ t: WallTime) -> Bool {
        switch end {
        case .inclusive(let e): return e < t
        case .exclusive(let e): return e <= t
        case .unbounded: return false
        }
    }
}
