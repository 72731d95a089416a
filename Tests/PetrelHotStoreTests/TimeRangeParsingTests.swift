import PetrelTime
import Testing
@testable import PetrelHotStore

/// Zenoh's time DSL, with the cases of zenoh-util's and humantime's own tests
/// and the quirks of Zenoh's parser.
@Suite struct TimeRangeParsingTests {
    private func wall(_ s: Int64, _ ns: UInt32 = 0) -> WallTime { WallTime(seconds: s, nanoseconds: ns) }

    // MARK: ranges (zenoh-util test_parse_time_range)

    @Test func unboundedRange() throws {
        #expect(try TimeRange.parse("[..]") == TimeRange(start: .unbounded, end: .unbounded))
        // The delimiters of an empty side do not matter.
        #expect(try TimeRange.parse("]..[") == TimeRange(start: .unbounded, end: .unbounded))
    }

    @Test func inclusiveAndExclusiveNowRanges() throws {
        #expect(try TimeRange.parse("[now(-1h)..now(1h)]")
            == TimeRange(start: .inclusive(.now(offsetSeconds: -3600)), end: .inclusive(.now(offsetSeconds: 3600))))
        #expect(try TimeRange.parse("]now(-1h)..now(1h)[")
            == TimeRange(start: .exclusive(.now(offsetSeconds: -3600)), end: .exclusive(.now(offsetSeconds: 3600))))
        #expect(try TimeRange.parse("[now(-5m)..]")
            == TimeRange(start: .inclusive(.now(offsetSeconds: -300)), end: .unbounded))
        #expect(try TimeRange.parse("[..now()[") == TimeRange(start: .unbounded, end: .exclusive(.now(offsetSeconds: 0))))
    }

    @Test func fixedRanges() throws {
        let r = try TimeRange.parse("[2022-06-30T01:02:03.5Z..2022-06-30T01:02:04Z[")
        #expect(r.start == .inclusive(.fixed(wall(1_656_550_923, 500_000_000))))
        #expect(r.end == .exclusive(.fixed(wall(1_656_550_924))))
        #expect(try TimeRange.parse("]2012-01-01 00:00:00..]") == TimeRange(start: .exclusive(.fixed(wall(1_325_376_000))), end: .unbounded))
    }

    @Test func durationForm() throws {
        #expect(try TimeRange.parse("[2022-06-30T01:02:03Z;1h]")
            == TimeRange(start: .inclusive(.fixed(wall(1_656_550_923))), end: .inclusive(.fixed(wall(1_656_554_523)))))
        #expect(try TimeRange.parse("]2022-06-30T01:02:03Z;0.25[")
            == TimeRange(start: .exclusive(.fixed(wall(1_656_550_923))), end: .exclusive(.fixed(wall(1_656_550_923, 250_000_000)))))
        #expect(try TimeRange.parse("[now(-1h);30m[")
            == TimeRange(start: .inclusive(.now(offsetSeconds: -3600)), end: .exclusive(.now(offsetSeconds: -1800))))
        // A negative duration moves a now() end backwards, as Zenoh's f64 sum does.
        #expect(try TimeRange.parse("[now();-1m]").end == .inclusive(.now(offsetSeconds: -60)))
    }

    @Test func rangeErrors() {
        func reason(_ s: String) -> TimeRangeError.Reason? {
            do { _ = try TimeRange.parse(s); return nil } catch { return error.reason }
        }
        #expect(reason("") == .tooShort)
        #expect(reason("[;]") == .tooShort)
        #expect(reason("[..") == .tooShort)
        #expect(reason("(..]") == .badStartDelimiter)
        #expect(reason("[..)") == .badEndDelimiter)
        #expect(reason("[now()]") == .missingSeparator)
        #expect(reason("[;1h]") == .durationWithoutStart)
        #expect(reason("[now(-1h)..1h]") == .invalidTime("1h"))
        #expect(reason("[2020-11-05..]") == .invalidTime("2020-11-05"))
        #expect(reason("[now(1x)..]") == .invalidDuration("1x"))
        #expect(reason("[now();]") == .invalidDuration(""))
        // Zenoh panics on these; Petrel refuses them.
        #expect(reason("[2022-06-30T01:02:03Z;-1h]") == .unrepresentableEnd("-1h"))
        #expect(reason("[2022-06-30T01:02:03Z;nan]") == .unrepresentableEnd("nan"))
        #expect(reason("[2022-06-30T01:02:03Z;1e300]") == .unrepresentableEnd("1e300"))
        #expect(reason("[now(s)..]") == .invalidDuration("s"))
        // A ';' range cannot be unbounded at the start.
        #expect(reason("[;]x") == .badEndDelimiter)
    }

    @Test func errorsNameTheInput() {
        do {
            _ = try TimeRange.parse("[now(-1q)..]")
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("[now(-1q)..]"))
            #expect(error.description.contains("-1q") || error.description.contains("1q"))
        }
    }

    // MARK: times (zenoh-util test_parse_time_expr, humantime tests)

    @Test func timeExpressions() throws {
        #expect(try TimeRange.parseTime("2022-06-30T01:02:03.226942997Z") == .fixed(wall(1_656_550_923, 226_942_997)))
        #expect(try TimeRange.parseTime("2022-06-30T01:02:03Z") == .fixed(wall(1_656_550_923)))
        #expect(try TimeRange.parseTime("2022-06-30T01:02:03") == .fixed(wall(1_656_550_923)))
        #expect(try TimeRange.parseTime("2022-06-30 01:02:03Z") == .fixed(wall(1_656_550_923)))
        #expect(try TimeRange.parseTime("now()") == .now(offsetSeconds: 0))
        #expect(try TimeRange.parseTime("now(0)") == .now(offsetSeconds: 0))
        #expect(try TimeRange.parseTime("now(123.45)") == .now(offsetSeconds: 123.45))
        #expect(try TimeRange.parseTime("now(1h)") == .now(offsetSeconds: 3600))
        #expect(try TimeRange.parseTime("now(-1h)") == .now(offsetSeconds: -3600))
        #expect(try TimeRange.parseTime("now(-5m)") == .now(offsetSeconds: -300))
        for bad in ["", "1h", "2020-11-05", "now(", "now(-)", "now)", "NOW()", "now(1h", "now(1 h)", "now(--)"] {
            #expect(throws: TimeRangeError.self, "\(bad)") { try TimeRange.parseTime(bad) }
        }
    }

    @Test func nowOffsetQuirks() throws {
        // Zenoh strips one '-' and hands the rest to Rust's float parser,
        // which takes its own sign.
        #expect(try TimeRange.parseTime("now(+1h)") == .now(offsetSeconds: 3600))
        #expect(try TimeRange.parseTime("now(--1h)") == .now(offsetSeconds: 3600))
        #expect(try TimeRange.parseTime("now(-+2s)") == .now(offsetSeconds: -2))
        #expect(try TimeRange.parseTime("now(inf)") == .now(offsetSeconds: .infinity))
        #expect(try TimeRange.parseTime("now(1e3ms)") == .now(offsetSeconds: 1))
    }

    @Test func weakRFC3339() throws {
        #expect(RFC3339.parseWeak(Array("1970-01-01 00:00:00".utf8)[...]) == wall(0))
        #expect(RFC3339.parseWeak(Array("1970-01-01 00:00:00.000123".utf8)[...]) == wall(0, 123_000))
        #expect(RFC3339.parseWeak(Array("1970-01-01T00:00:00.000123".utf8)[...]) == wall(0, 123_000))
        #expect(RFC3339.parseWeak(Array("1970-01-01T00:00:00.123Z".utf8)[...]) == wall(0, 123_000_000))
        #expect(RFC3339.parseWeak(Array("2018-02-13T23:08:32Z".utf8)[...]) == wall(1_518_563_312))
        #expect(RFC3339.parseWeak(Array("2012-01-01T00:00:00Z".utf8)[...]) == wall(1_325_376_000))
        #expect(RFC3339.parseWeak(Array("2016-12-31T23:59:60Z".utf8)[...]) == wall(1_483_228_799))
        #expect(RFC3339.parseWeak(Array("2024-02-29T12:00:00Z".utf8)[...]) == wall(1_709_208_000))
        #expect(RFC3339.parseWeak(Array("9999-12-31T23:59:59Z".utf8)[...]) == wall(253_402_300_799))
        // Past 2106 (beyond NTP64) is still an instant, as in Zenoh.
        #expect(RFC3339.parseWeak(Array("2106-02-07T06:28:16Z".utf8)[...]) == wall(4_294_967_296))
        // Fraction digits past the ninth are checked but ignored; a bare '.' is zero.
        #expect(RFC3339.parseWeak(Array("1970-01-01T00:00:00.1234567891Z".utf8)[...]) == wall(0, 123_456_789))
        #expect(RFC3339.parseWeak(Array("1970-01-01T00:00:01.Z".utf8)[...]) == wall(1))
        #expect(RFC3339.parseWeak(Array("1970-01-01T00:00:01.".utf8)[...]) == wall(1))
        for bad in ["1970-00-01T00:00:00Z", "1970-32-01T00:00:00Z", "1970-01-00T00:00:00Z", "1970-12-35T00:00:00Z",
                    "1970-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1970-12-30T00:00:78Z", "1970-12-30T00:78:00Z",
                    "1970-12-30T24:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:00", "1970-01-01t00:00:00Z",
                    "1970-01-01T00:00:00z", "1970-01-01T00:00:00.1Z2", "1970-01-01T00:00:00.1x", "1970-01-01T00:00:0",
                    "1970-01-01T00:00:00ZZ", "2020-11-05"] {
            #expect(RFC3339.parseWeak(Array(bad.utf8)[...]) == nil, "\(bad)")
        }
        // humantime's break_data: any byte of a valid time replaced by 'x' fails.
        let good = Array("2016-12-31T23:59:60Z".utf8)
        for i in good.indices {
            var b = good
            b[i] = UInt8(ascii: "x")
            #expect(RFC3339.parseWeak(b[...]) == nil, "position \(i)")
        }
    }

    @Test func rfc3339FormatIsHumantimeSmartPrecision() {
        #expect(RFC3339.format(wall(0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(wall(1_518_563_312)) == "2018-02-13T23:08:32Z")
        #expect(RFC3339.format(wall(1_518_563_312, 123_000_000)) == "2018-02-13T23:08:32.123000000Z")
        #expect(RFC3339.format(wall(253_402_300_799)) == "9999-12-31T23:59:59Z")
        // Every day over two years (a leap year included) reads back.
        for day in Int64(0)...(365 * 2) {
            let t = wall(1_325_376_000 + day * 86_400 + 3_723, UInt32(day))
            #expect(RFC3339.parseWeak(Array(RFC3339.format(t).utf8)[...]) == t)
        }
    }

    // MARK: durations (zenoh-util test_parse_duration)

    @Test func durations() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("1.2", 1.2), ("1u", 0.000001), ("2u", 0.000002), ("1.5ms", 0.0015), ("100ms", 0.1),
            ("10s", 10), ("0.5s", 0.5), ("1.1m", 66), ("1.5h", 5400), ("1d", 86400), ("1w", 604_800),
            ("5m", 300), ("2e3s", 2000), (".5", 0.5), ("1.", 1), ("+3", 3), ("-3", -3), ("1E2", 100),
        ]
        for (text, seconds) in cases {
            #expect(try TimeRange.parseDurationSeconds(text) == seconds, "\(text)")
        }
        #expect(try TimeRange.parseDurationSeconds("inf") == .infinity)
        #expect(try TimeRange.parseDurationSeconds("NaN").isNaN)
        for bad in ["", "1x", "abcd", "4mm", "1h4m", "s", "ms", "m", ".", "e5", "1e", "0x10", " 1", "1 ", "1_000", "1.2.3", "--1"] {
            #expect(throws: TimeRangeError.self, "\(bad)") { try TimeRange.parseDurationSeconds(bad) }
        }
    }

    // MARK: contains (zenoh-util test_time_range_contains)

    @Test func containsLikeZenoh() throws {
        let now = NTP64(seconds: 1_700_000_000, nanoseconds: 0)
        func contains(_ range: String, _ t: NTP64) throws -> Bool { try TimeRange.parse(range).contains(t, now: now) }
        let epoch = NTP64(rawValue: 0)
        #expect(try contains("[now(-1s)..now(1s)]", now))
        #expect(try !contains("[now(-2s)..now(-1s)]", now))
        #expect(try !contains("[now(1s)..now(2s)]", now))
        #expect(try contains("[now(-1m)..]", now))
        #expect(try contains("[..now(1m)]", now))
        #expect(try contains("[..]", epoch))
        #expect(try contains("[..]", now))
        #expect(try contains("[1970-01-01T00:00:00Z..]", epoch))
        #expect(try contains("[..1970-01-01T00:00:00Z]", epoch))
        #expect(try !contains("]1970-01-01T00:00:00Z..]", epoch))
        #expect(try !contains("[..1970-01-01T00:00:00Z[", epoch))
        // Bounds that cannot be resolved count as absent (Zenoh 1.x `resolve_at`).
        #expect(try contains("[now(inf)..]", now))
        #expect(try contains("[..now(-inf)]", now))
        #expect(try contains("[now(nan)..now(nan)]", now))
        // ...but representable far bounds are bounds.
        #expect(try !contains("[..now(-100000d)]", now))
        #expect(try !contains("[9999-01-01T00:00:00Z..]", now))
    }

    @Test func containsComparesAtNanosecondsRoundedUp() throws {
        // 1 NTP64 unit (233 ps) after a whole second rounds up to 1 ns after it.
        let t = NTP64(rawValue: (100 << 32) + 1)
        #expect(WallTime(t) == wall(100, 1))
        #expect(try !TimeRange.parse("[..1970-01-01T00:01:40Z]").contains(t, now: t))
        #expect(try TimeRange.parse("[..1970-01-01T00:01:40.000000001Z]").contains(t, now: t))
        // The largest fraction rounds up into the next second.
        #expect(WallTime(NTP64(rawValue: (100 << 32) | 0xFFFF_FFFF)) == wall(101))
    }

    // MARK: text form

    @Test func descriptionIsZenohsDisplay() throws {
        #expect(try TimeRange.parse("[..]").description == "[..]")
        #expect(try TimeRange.parse("[now(-1h)..now(1h)]").description == "[now(-3600s)..now(3600s)]")
        #expect(try TimeRange.parse("]now()..now(0.5)[").description == "]now()..now(0.5s)[")
        #expect(try TimeRange.parse("[2022-06-30T01:02:03Z..]").description == "[2022-06-30T01:02:03Z..]")
        #expect(try TimeRange.parse("[now(1u)..]").description == "[now(0.000001s)..]")
        for text in ["[now(-2s)..now(2s)]", "]2022-06-30T01:02:03.226942997Z..now(-5m)[", "[..now(1w)]", "[now(-1.5h);30m["] {
            let r = try TimeRange.parse(text)
            #expect(try TimeRange.parse(r.description) == r, "\(text)")
        }
    }

    @Test func rustFloatDisplay() {
        #expect(RustFloat.display(3600) == "3600")
        #expect(RustFloat.display(-3600) == "-3600")
        #expect(RustFloat.display(0.5) == "0.5")
        #expect(RustFloat.display(1e-7) == "0.0000001")
        #expect(RustFloat.display(1.5e20) == "150000000000000000000")
        #expect(RustFloat.display(0.1 + 0.2) == "0.30000000000000004")
        #expect(RustFloat.display(123.45) == "123.45")
        #expect(RustFloat.display(-0.0) == "-0")
        #expect(RustFloat.display(.infinity) == "inf")
        #expect(RustFloat.display(-.infinity) == "-inf")
        #expect(RustFloat.display(.nan) == "NaN")
    }

    // MARK: Rust's float-seconds → Duration (its documented examples)

    @Test func rustDurationFromSeconds() {
        func d(_ v: Double) -> RustDuration? { RustDuration(seconds: v) }
        #expect(d(0) == RustDuration(seconds: 0, nanoseconds: 0))
        #expect(d(-0.0) == RustDuration(seconds: 0, nanoseconds: 0))
        #expect(d(1e-20) == RustDuration(seconds: 0, nanoseconds: 0))
        #expect(d(4.2e-7) == RustDuration(seconds: 0, nanoseconds: 420))
        #expect(d(2.7) == RustDuration(seconds: 2, nanoseconds: 700_000_000))
        #expect(d(3e10) == RustDuration(seconds: 30_000_000_000, nanoseconds: 0))
        #expect(d(Double(bitPattern: 1)) == RustDuration(seconds: 0, nanoseconds: 0))
        #expect(d(-5) == nil)
        #expect(d(.nan) == nil)
        #expect(d(.infinity) == nil)
        #expect(d(2e19) == nil)
        #expect(d(0.999e-9) == RustDuration(seconds: 0, nanoseconds: 1))
        #expect(d(0.999_999_999_499) == RustDuration(seconds: 0, nanoseconds: 999_999_999))
        #expect(d(0.999_999_999_501) == RustDuration(seconds: 1, nanoseconds: 0))
        #expect(d(42.999_999_999_499) == RustDuration(seconds: 42, nanoseconds: 999_999_999))
        #expect(d(42.999_999_999_501) == RustDuration(seconds: 43, nanoseconds: 0))
        #expect(d(Double(bitPattern: 0x3F50_0000_0000_0000)) == RustDuration(seconds: 0, nanoseconds: 976_562))
        #expect(d(Double(bitPattern: 0x3F68_0000_0000_0000)) == RustDuration(seconds: 0, nanoseconds: 2_929_688))
        #expect(d(Double(bitPattern: 0x3FF0_0400_0000_0000)) == RustDuration(seconds: 1, nanoseconds: 976_562))
        #expect(d(Double(bitPattern: 0x3FF0_0C00_0000_0000)) == RustDuration(seconds: 1, nanoseconds: 2_929_688))
        #expect(d(18_446_744_073_709_549_568) == RustDuration(seconds: 18_446_744_073_709_549_568, nanoseconds: 0))
    }

    @Test func wallTimeArithmeticChecksOverflow() {
        let t = wall(1_700_000_000, 900_000_000)
        #expect(t.adding(seconds: 0.2) == wall(1_700_000_001, 100_000_000))
        #expect(t.adding(seconds: -0.95) == wall(1_699_999_999, 950_000_000))
        #expect(t.adding(seconds: -2e9) == wall(-300_000_000, 900_000_000)) // -299,999,999.1 s
        #expect(t.adding(seconds: 1e19) == nil) // past Int64 seconds
        #expect(t.adding(seconds: -1e19) == nil)
        #expect(t.adding(seconds: .nan) == nil)
        #expect(wall(.max, 999_999_999).adding(seconds: 1e-9) == nil)
    }
}
