import PetrelTime

/// An instant as Rust's `SystemTime` holds it on Linux: whole seconds since the
/// UNIX epoch (negative before 1970) and nanoseconds within the second.
///
/// Zenoh compares `_time` bounds with sample times in this form, at nanosecond
/// precision, so Petrel does too: a sample's NTP64 time is first converted as
/// uhlc's `to_system_time` converts it (fraction rounded *up* to whole
/// nanoseconds), then compared.
public struct WallTime: Hashable, Comparable, Sendable {
    /// Whole seconds since 1970-01-01T00:00:00Z; negative before it.
    public var seconds: Int64
    /// Nanoseconds within the second, `0..<1_000_000_000`.
    public var nanoseconds: UInt32

    static let nanosPerSecond: UInt32 = 1_000_000_000

    /// `nanoseconds` must be below 10^9 (callers inside this module guarantee it).
    init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The instant of an NTP64 time, as uhlc's `to_system_time`: whole seconds
    /// plus the fraction rounded up to nanoseconds (a fraction just below one
    /// second becomes the next second).
    public init(_ time: NTP64) {
        let nanos = time.subsecondNanoseconds
        if nanos >= Self.nanosPerSecond {
            self.init(seconds: Int64(time.seconds) + 1, nanoseconds: 0)
        } else {
            self.init(seconds: Int64(time.seconds), nanoseconds: nanos)
        }
    }

    public static func < (a: WallTime, b: WallTime) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }

    /// `self` moved by `offset` seconds, as Zenoh's `checked_duration_add`:
    /// the offset becomes a Rust `Duration` (nearest nanosecond, ties to even),
    /// then is added or subtracted with overflow checks. Returns nil when Rust
    /// would: a NaN or infinite offset, one of 2^64 s or more, or a result
    /// outside `Int64` seconds.
    public func adding(seconds offset: Double) -> WallTime? {
        if offset >= 0 {
            guard let d = RustDuration(seconds: offset) else { return nil }
            return adding(d)
        } else {
            guard let d = RustDuration(seconds: -offset) else { return nil }
            return subtracting(d)
        }
    }

    /// Rust's `Timespec::checked_add_duration`.
    func adding(_ d: RustDuration) -> WallTime? {
        guard var secs = Self.checkedAdd(seconds, unsigned: d.seconds) else { return nil }
        var nanos = nanoseconds + d.nanoseconds
        if nanos >= Self.nanosPerSecond {
            nanos -= Self.nanosPerSecond
            let (s, overflow) = secs.addingReportingOverflow(1)
            if overflow { return nil }
            secs = s
        }
        return WallTime(seconds: secs, nanoseconds: nanos)
    }

    /// Rust's `Timespec::checked_sub_duration`.
    func subtracting(_ d: RustDuration) -> WallTime? {
        guard var secs = Self.checkedSubtract(seconds, unsigned: d.seconds) else { return nil }
        var nanos = Int64(nanoseconds) - Int64(d.nanoseconds)
        if nanos < 0 {
            nanos += Int64(Self.nanosPerSecond)
            let (s, overflow) = secs.subtractingReportingOverflow(1)
            if overflow { return nil }
            secs = s
        }
        return WallTime(seconds: secs, nanoseconds: UInt32(nanos))
    }

    /// Rust's `i64::checked_add_unsigned`.
    private static func checkedAdd(_ a: Int64, unsigned b: UInt64) -> Int64? {
        let rhs = Int64(bitPattern: b)
        let (r, overflow) = a.addingReportingOverflow(rhs)
        return overflow != (rhs < 0) ? nil : r
    }

    /// Rust's `i64::checked_sub_unsigned`.
    private static func checkedSubtract(_ a: Int64, unsigned b: UInt64) -> Int64? {
        let rhs = Int64(bitPattern: b)
        let (r, overflow) = a.subtractingReportingOverflow(rhs)
        return overflow != (rhs < 0) ? nil : r
    }
}

/// A non-negative duration made from float seconds exactly as Rust's
/// `Duration::try_from_secs_f64` makes it: the float's exact binary value
/// rounded to the nearest nanosecond, ties to even.
struct RustDuration: Equatable, Sendable {
    var seconds: UInt64
    var nanoseconds: UInt32

    init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Nil where Rust returns an error: negative, NaN, infinite, or 2^64 s or more.
    /// (-0.0 is zero, as in Rust.)
    init?(seconds value: Double) {
        if value < 0 { return nil }
        let mantissaBits: UInt64 = 52
        let mantissaMask: UInt64 = (1 << mantissaBits) - 1
        let bits = value.bitPattern
        let mantissa = (bits & mantissaMask) | (mantissaMask + 1)
        let exponent = Int((bits >> mantissaBits) & 0x7FF) - 1023
        if exponent < -31 {
            // Below half a nanosecond: rounds to zero.
            self.init(seconds: 0, nanoseconds: 0)
        } else if exponent < 0 {
            // value = mantissa * 2^(exponent-52) < 1 s.
            let nanos = Self.roundedNanos(fraction: mantissa, shift: Int(mantissaBits) - exponent)
            self = nanos == 1_000_000_000 ? RustDuration(seconds: 1, nanoseconds: 0) : RustDuration(seconds: 0, nanoseconds: nanos)
        } else if exponent < Int(mantissaBits) {
            let secs = mantissa >> (mantissaBits - UInt64(exponent))
            let fraction = (mantissa << UInt64(exponent)) & mantissaMask
            let nanos = Self.roundedNanos(fraction: fraction, shift: Int(mantissaBits))
            self = nanos == 1_000_000_000 ? RustDuration(seconds: secs + 1, nanoseconds: 0) : RustDuration(seconds: secs, nanoseconds: nanos)
        } else if exponent < 64 {
            self.init(seconds: mantissa << UInt64(exponent - Int(mantissaBits)), nanoseconds: 0)
        } else {
            return nil // too big, infinite or NaN
        }
    }

    /// round(10^9 * fraction / 2^shift), ties to even, for shift in 52...83
    /// (the product needs up to 83 bits, so it is held in two words).
    private static func roundedNanos(fraction: UInt64, shift: Int) -> UInt32 {
        let (hi, lo) = UInt64(1_000_000_000).multipliedFullWidth(by: fraction)
        let quotient: UInt64
        let remainder: (hi: UInt64, lo: UInt64)
        if shift < 64 {
            quotient = (hi << UInt64(64 - shift)) | (lo >> UInt64(shift))
            remainder = (0, lo & ((1 << UInt64(shift)) - 1))
        } else {
            quotient = hi >> UInt64(shift - 64)
            remainder = (hi & ((1 << UInt64(shift - 64)) - 1), lo)
        }
        let half: (hi: UInt64, lo: UInt64) = shift - 1 < 64 ? (0, 1 << UInt64(shift - 1)) : (1 << UInt64(shift - 65), 0)
        let roundUp = remainder > half || (remainder == half && quotient & 1 == 1)
        return UInt32(truncatingIfNeeded: quotient + (roundUp ? 1 : 0))
    }
}
