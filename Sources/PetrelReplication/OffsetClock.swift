import PetrelTime

/// The system clock moved by a fixed offset: the test knob that skews one
/// process's clock (`PETREL_TEST_CLOCK_OFFSET_MS`), so convergence is tested
/// with clocks that disagree within the allowed drift.
public struct OffsetClock: PhysicalClock {
    public let offsetMilliseconds: Int64
    let base = SystemClock()

    public init(offsetMilliseconds: Int64) {
        self.offsetMilliseconds = offsetMilliseconds
    }

    public func now() -> NTP64 {
        let t = base.now().rawValue
        let units = NTP64.duration(milliseconds: UInt64(offsetMilliseconds.magnitude))
        return NTP64(rawValue: offsetMilliseconds >= 0 ? t &+ units : t &- units)
    }

    /// The offset `PETREL_TEST_CLOCK_OFFSET_MS` asks for (0 when unset or not a number).
    public static func fromEnvironment(_ environment: [String: String]) -> OffsetClock {
        OffsetClock(offsetMilliseconds: environment["PETREL_TEST_CLOCK_OFFSET_MS"].flatMap { Int64($0) } ?? 0)
    }
}
