// Conversions of NTP64 that uhlc 0.9 defines and Zenoh relies on: durations,
// the decimal text form (`Display`/`FromStr`) and the lossy RFC 3339 form.

extension NTP64 {
    /// NTP64 units per second (the fraction is in units of 2^-32 s).
    public static let unitsPerSecond: UInt64 = 1 << 32

    /// A duration in NTP64 units, as uhlc's `From<Duration>`: whole seconds in the
    /// upper 32 bits, nanoseconds × 2^32 / 10^9 (rounded down) below.
    /// A negative duration gives 0; one of 2^32 s or more saturates at the maximum
    /// (uhlc would panic there).
    public init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) {
            self.init(rawValue: 0)
        } else if seconds > Int64(UInt32.max) {
            self.init(rawValue: .max)
        } else {
            let nanos = UInt32(attoseconds / 1_000_000_000)
            self.init(seconds: UInt64(seconds), nanoseconds: nanos)
        }
    }

    /// Nanoseconds of the fraction, rounded UP as uhlc's `subsec_nanos` does, so
    /// that converting whole nanoseconds to NTP64 and back gives the same value.
    /// Can be exactly 1_000_000_000 for a fraction just below one second.
    public var subsecondNanoseconds: UInt32 {
        UInt32(((UInt64(fraction) * 1_000_000_000) + (NTP64.unitsPerSecond - 1)) >> 32)
    }

    /// This time as a duration since its origin (uhlc's `to_duration`: whole
    /// seconds plus the rounded-up nanoseconds).
    public var duration: Duration {
        .seconds(Int64(seconds)) + .nanoseconds(Int64(subsecondNanoseconds))
    }

    /// Parses uhlc's lossless text form: the raw 64-bit value in decimal, e.g.
    /// `7386690599959157260`. Returns `nil` for anything else (empty, non-digits,
    /// out of range).
    public init?<S: StringProtocol>(decimal text: S) {
        guard let v = UInt64(text, radix: 10) else { return nil }
        self.init(rawValue: v)
    }

    /// uhlc's lossless text form (its `Display`): the raw value in decimal.
    public var decimalString: String { String(rawValue) }

    /// uhlc's human-readable form (`{:#}`), a UTC RFC 3339 time with nine
    /// fraction digits, e.g. `2024-07-01T15:32:06.860479000Z`. Lossy: the
    /// fraction is rounded up to whole nanoseconds.
    public var rfc3339: String {
        var secs = UInt64(seconds)
        var nanos = UInt64(subsecondNanoseconds)
        if nanos == 1_000_000_000 { secs += 1; nanos = 0 }
        let days = Int64(secs / 86_400)
        let secOfDay = Int(secs % 86_400)
        let (year, month, day) = CivilDate.fromDaysSinceEpoch(days)
        func pad(_ v: some BinaryInteger, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
            + "T" + pad(secOfDay / 3600, 2) + ":" + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2)
            + "." + pad(nanos, 9) + "Z"
    }

    /// Parses a UTC RFC 3339 time `YYYY-MM-DDTHH:MM:SS[.fraction]Z` into NTP64
    /// as uhlc's `parse_rfc3339` (humantime) does: fraction digits past the ninth
    /// are ignored, a bare `.` is zero, a leap second `:60` reads as `:59`; then
    /// nanoseconds to NTP64, rounded down. Returns `nil` for other forms
    /// (time-zone offsets, lowercase separators), impossible dates or times, and
    /// times before 1970 or at/after 2^32 s (2106-02-07T06:28:16Z), which NTP64
    /// cannot hold (uhlc would panic there).
    public init?<S: StringProtocol>(rfc3339 text: S) {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[b.count - 1] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                let d = Int(b[i]) - Int(UInt8(ascii: "0"))
                guard (0...9).contains(d) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), var second = number(17..<19)
        else { return nil }
        var nanos = 0
        if b.count > 20 {
            // Only ".digits" may sit between the seconds and the "Z".
            let digits = 20..<(b.count - 1)
            guard b[19] == UInt8(ascii: ".") else { return nil }
            var scale = 100_000_000
            for i in digits {
                let d = Int(b[i]) - Int(UInt8(ascii: "0"))
                guard (0...9).contains(d) else { return nil }
                nanos += d * scale
                scale /= 10
            }
        } else if b[19] != UInt8(ascii: "Z") {
            return nil
        }
        if second == 60 { second = 59 }
        guard year >= 1970, (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let secs = UInt64(days) * 86_400 + UInt64(hour * 3600 + minute * 60 + second)
        guard secs <= UInt64(UInt32.max) else { return nil }
        self.init(seconds: secs, nanoseconds: UInt32(nanos))
    }
}

/// Proleptic Gregorian calendar arithmetic for RFC 3339 (days counted from
/// 1970-01-01), by the usual era-of-400-years method.
enum CivilDate {
    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given date (year ≥ 0).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9) // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (days ≥ 0).
    static func fromDaysSinceEpoch(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
