/// A 64-bit NTP-style time: the upper 32 bits are seconds since the UNIX epoch
/// (1970, as uhlc uses it), the lower 32 bits a fraction of a second in units of
/// 2^-32 s. The hybrid logical clock uses the lowest 4 bits as a counter.
public struct NTP64: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Whole seconds since the UNIX epoch.
    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    /// Fraction of a second, in units of 2^-32 s.
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// Makes a time from seconds and nanoseconds since the UNIX epoch.
    public init(seconds: UInt64, nanoseconds: UInt32) {
        let frac = (UInt64(nanoseconds) << 32) / 1_000_000_000
        rawValue = (seconds << 32) &+ frac
    }

    /// Nanoseconds since the UNIX epoch (rounded up, as uhlc rounds).
    public var nanosecondsSinceEpoch: UInt64 {
        UInt64(seconds) * 1_000_000_000 + UInt64(subsecondNanoseconds)
    }

    /// A duration expressed in NTP64 units.
    public static func duration(milliseconds: UInt64) -> UInt64 {
        (milliseconds / 1000) << 32 | ((milliseconds % 1000) << 32) / 1000
    }

    public static func < (a: NTP64, b: NTP64) -> Bool { a.rawValue < b.rawValue }

    /// The raw value in decimal, as Zenoh (uhlc) prints it.
    public var description: String { decimalString }
}

/// A hybrid-logical-clock timestamp: a time and the ID of the clock that made it.
/// Ordered by time first, then by ID, as uhlc orders them, so two different
/// clocks never produce equal timestamps.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var time: NTP64
    public var id: ZenohID

    @inlinable public init(time: NTP64, id: ZenohID) {
        self.time = time
        self.id = id
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.time != b.time ? a.time < b.time : a.id < b.id
    }

    /// `<NTP64 in decimal>/<id>`, as Zenoh prints timestamps.
    public var description: String { decimalString }
}
