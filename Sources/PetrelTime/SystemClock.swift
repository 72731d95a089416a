// The one place PetrelTime touches the C library: reading the wall clock.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock (`CLOCK_REALTIME`), as uhlc's default clock reads it
/// (`SystemTime::now()` since the UNIX epoch), converted to NTP64 the same way
/// (fraction = nanoseconds × 2^32 / 10^9, rounded down).
///
/// A wall clock can step backwards (NTP, manual setting); the hybrid logical
/// clock built on it stays monotonic regardless, by counting in its logical bits.
public struct SystemClock: PhysicalClock {
    public init() {}

    public func now() -> NTP64 {
        var ts = timespec()
        // Cannot fail for CLOCK_REALTIME with a valid pointer; a clock set before
        // 1970 reads as the epoch rather than wrapping.
        _ = clock_gettime(CLOCK_REALTIME, &ts)
        return NTP64(seconds: UInt64(clamping: ts.tv_sec), nanoseconds: UInt32(clamping: ts.tv_nsec))
    }
}
