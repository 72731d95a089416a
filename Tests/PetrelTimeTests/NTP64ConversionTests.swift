import Testing
import PetrelTime

@Suite("NTP64 conversions (uhlc 0.9 semantics)")
struct NTP64ConversionTests {
    @Test func oneSecondIsTwoToThe32() {
        #expect(NTP64(seconds: 1, nanoseconds: 0).rawValue == 1 << 32)
        #expect(NTP64(duration: .seconds(1)).rawValue == 1 << 32)
        #expect(NTP64(rawValue: 1 << 32).seconds == 1)
        #expect(NTP64(rawValue: 1 << 32).fraction == 0)
        #expect(NTP64(rawValue: 1 << 32).duration == .seconds(1))
        #expect(NTP64.unitsPerSecond == 1 << 32)
    }

    @Test func halfSecondAndMilliseconds() {
        #expect(NTP64(duration: .milliseconds(500)).rawValue == 1 << 31)
        #expect(NTP64.duration(milliseconds: 500) == 1 << 31)
        #expect(NTP64(duration: .milliseconds(1500)).rawValue == (1 << 32) + (1 << 31))
        // 1 ms = 2^32 / 1000 = 4294967.296 -> 4294967 (rounded down, as uhlc).
        #expect(NTP64(duration: .milliseconds(1)).rawValue == 4_294_967)
        for ms in [0, 1, 7, 250, 499, 500, 501, 999, 1000, 123_456] as [UInt64] {
            #expect(NTP64(duration: .milliseconds(Int64(ms))).rawValue == NTP64.duration(milliseconds: ms))
        }
    }

    @Test func nanosecondsRoundTripExactly() {
        // uhlc's own test: Duration(42 s, 84 ns) -> NTP64 -> 42_000_000_084 ns.
        let t = NTP64(duration: .seconds(42) + .nanoseconds(84))
        #expect(t.seconds == 42)
        #expect(t.subsecondNanoseconds == 84)
        #expect(t.duration == .seconds(42) + .nanoseconds(84))
        // Every whole nanosecond survives the trip (fraction rounded down, nanos up).
        var rng = Xorshift(seed: 7)
        for _ in 0..<20_000 {
            let n = UInt32(rng.next() % 1_000_000_000)
            #expect(NTP64(seconds: 0, nanoseconds: n).subsecondNanoseconds == n)
        }
        for n: UInt32 in [0, 1, 2, 999_999_998, 999_999_999] {
            #expect(NTP64(seconds: 5, nanoseconds: n).subsecondNanoseconds == n)
        }
    }

    @Test func fractionJustBelowOneSecondRoundsUpToTheNextSecond() {
        let t = NTP64(rawValue: (7 << 32) | 0xFFFF_FFFF)
        #expect(t.subsecondNanoseconds == 1_000_000_000)
        #expect(t.duration == .seconds(8))
        #expect(t.rfc3339 == "1970-01-01T00:00:08.000000000Z")
    }

    @Test func durationEdges() {
        #expect(NTP64(duration: .zero).rawValue == 0)
        #expect(NTP64(duration: .milliseconds(-5)).rawValue == 0)
        #expect(NTP64(duration: .seconds(Int64(UInt32.max) + 1)).rawValue == .max)
    }

    @Test func decimalTextIsUhlcDisplay() {
        let t = NTP64(rawValue: 7_386_690_599_959_157_260)
        #expect(t.decimalString == "7386690599959157260")
        #expect(NTP64(decimal: "7386690599959157260") == t)
        #expect(NTP64(decimal: "18446744073709551615")?.rawValue == .max)
        #expect(NTP64(decimal: "18446744073709551616") == nil)
        #expect(NTP64(decimal: "") == nil)
        #expect(NTP64(decimal: "12a") == nil)
        #expect(NTP64(decimal: "-1") == nil)
        var rng = Xorshift(seed: 11)
        for _ in 0..<10_000 {
            let v = NTP64(rawValue: rng.next())
            #expect(NTP64(decimal: v.decimalString) == v)
        }
    }

    @Test func rfc3339KnownValues() {
        // uhlc's documentation example. Its comment shows `.860479000Z`, written
        // before uhlc 0.8.1 made `subsec_nanos` round up (div_ceil, PR #25); the
        // fraction is 860479000.02 ns, so 0.8.1+ (what Zenoh 1.x builds) prints ...001.
        #expect(NTP64(rawValue: 7_386_690_599_959_157_260).rfc3339 == "2024-07-01T15:32:06.860479001Z")
        #expect(NTP64(rawValue: 0).rfc3339 == "1970-01-01T00:00:00.000000000Z")
        #expect(NTP64(rawValue: 1 << 31).rfc3339 == "1970-01-01T00:00:00.500000000Z")
        #expect(NTP64(seconds: 951_782_400, nanoseconds: 1).rfc3339 == "2000-02-29T00:00:00.000000001Z")
        #expect(NTP64(seconds: UInt64(UInt32.max), nanoseconds: 0).rfc3339 == "2106-02-07T06:28:15.000000000Z")
        // The timestamp captured from zenoh 1.10.2 (zenoh-wire.md §2.5).
        let captured = NTP64(rawValue: 0x6b07_b76f_134a_6e10)
        #expect(captured.rfc3339.hasPrefix("2026-"))
    }

    @Test func rfc3339Parsing() {
        #expect(NTP64(rfc3339: "2024-07-01T15:32:06.860479000Z") == NTP64(seconds: 1_719_847_926, nanoseconds: 860_479_000))
        #expect(NTP64(rfc3339: "1970-01-01T00:00:00Z")?.rawValue == 0)
        #expect(NTP64(rfc3339: "1970-01-01T00:00:00.5Z")?.rawValue == 1 << 31)
        #expect(NTP64(rfc3339: "2000-02-29T00:00:00.000000001Z") == NTP64(seconds: 951_782_400, nanoseconds: 1))
        #expect(NTP64(rfc3339: "2106-02-07T06:28:15Z") == NTP64(seconds: UInt64(UInt32.max), nanoseconds: 0))
        // humantime's leniencies, which uhlc inherits: leap second, bare dot, extra digits.
        #expect(NTP64(rfc3339: "2024-07-01T23:59:60Z") == NTP64(rfc3339: "2024-07-01T23:59:59Z"))
        #expect(NTP64(rfc3339: "2024-07-01T15:32:06.Z") == NTP64(rfc3339: "2024-07-01T15:32:06Z"))
        #expect(NTP64(rfc3339: "2024-07-01T15:32:06.12345678987654321012345Z")
                == NTP64(rfc3339: "2024-07-01T15:32:06.123456789Z"))
        for bad in ["", "2024-07-01", "2024-07-01T15:32:06", "2024-07-01 15:32:06Z", "2024-07-01T15:32:06+00:00",
                    "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-04-31T00:00:00Z",
                    "2024-07-01T24:00:00Z", "2024-07-01T23:60:00Z", "2024-07-01T23:59:61Z", "1969-12-31T23:59:59Z",
                    "2106-02-07T06:28:16Z", "2024-07-01T15:32:06.1x2Z", "2024-07-01T15:32:06.5ZZ",
                    "2024-07-01T15:32:06,5Z", "2024-07-01T15:32:0xZ", "2024-07-01t15:32:06Z"] {
            #expect(NTP64(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test func rfc3339RoundTripsWholeNanoseconds() {
        var rng = Xorshift(seed: 3)
        for _ in 0..<10_000 {
            let t = NTP64(seconds: rng.next() % (UInt64(UInt32.max) + 1), nanoseconds: UInt32(rng.next() % 1_000_000_000))
            #expect(NTP64(rfc3339: t.rfc3339) == t, "\(t.rawValue)")
        }
    }

    @Test func calendarAgreesWithCountingDays() {
        // Walk every day NTP64 can express and compare with a naive calendar.
        var (y, m, d) = (1970, 1, 1)
        let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for day in 0...Int(UInt64(UInt32.max) / 86_400) {
            let text = NTP64(seconds: UInt64(day) * 86_400, nanoseconds: 0).rfc3339
            let expected = "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)T00:00:00.000000000Z"
            if text != expected { Issue.record("day \(day): \(text) != \(expected)"); return }
            d += 1
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            if d > (m == 2 && leap ? 29 : monthDays[m - 1]) { d = 1; m += 1 }
            if m > 12 { m = 1; y += 1 }
        }
    }
}

/// A tiny deterministic generator for these tests.
struct Xorshift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
