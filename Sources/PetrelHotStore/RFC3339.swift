/// The UTC RFC 3339 forms Zenoh's time DSL reads and writes, as the Rust
/// `humantime` crate (which Zenoh uses) reads and writes them.
enum RFC3339 {
    /// humantime's `parse_rfc3339_weak`: `YYYY-MM-DD` then `T` or a space, then
    /// `HH:MM:SS`, then optionally `.` and fraction digits (past the ninth they
    /// are checked but ignored; none at all is zero), then optionally `Z`.
    /// No time-zone offsets. A leap second `:60` reads as `:59`.
    ///
    /// Returns nil for anything else: too short, wrong separators, non-digits,
    /// a year before 1970, month/day/hour/minute/second out of range (day
    /// checked against the month and leap years), a `Z` before the end.
    static func parseWeak(_ b: ArraySlice<UInt8>) -> WallTime? {
        let b = Array(b)
        guard b.count >= 19,
              b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
        else { return nil }
        func twoDigits(_ i: Int) -> Int? {
            guard let d0 = digit(b[i]), let d1 = digit(b[i + 1]) else { return nil }
            return d0 * 10 + d1
        }
        guard let y0 = twoDigits(0), let y1 = twoDigits(2), let month = twoDigits(5), let day = twoDigits(8),
              let hour = twoDigits(11), let minute = twoDigits(14), var second = twoDigits(17)
        else { return nil }
        let year = y0 * 100 + y1
        guard year >= 1970, hour <= 23, minute <= 59, second <= 60 else { return nil }
        if second == 60 { second = 59 }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }

        var nanos: UInt32 = 0
        if b.count > 19 && b[19] == UInt8(ascii: ".") {
            var scale: UInt32 = 100_000_000
            for i in 20..<b.count {
                if b[i] == UInt8(ascii: "Z") {
                    guard i == b.count - 1 else { return nil }
                    break
                }
                guard let d = digit(b[i]) else { return nil }
                nanos += scale * UInt32(d)
                scale /= 10
            }
        } else if b.count != 19 && (b.count > 20 || b[19] != UInt8(ascii: "Z")) {
            return nil
        }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
        // humantime's upper limit (9999-12-31T23:59:59Z) cannot be passed with
        // four-digit years, so no further check is needed.
        return WallTime(seconds: seconds, nanoseconds: nanos)
    }

    /// humantime's `format_rfc3339` (smart precision): `2022-06-30T01:02:03Z`
    /// when the nanoseconds are zero, else nine fraction digits. Instants
    /// before 1970 or after year 9999 (which humantime refuses to format, and
    /// which parsing never produces) are written with the year as it falls,
    /// which does not read back.
    static func format(_ t: WallTime) -> String {
        // Floor division without overflow for any Int64.
        var days = t.seconds / 86_400
        var remainder = t.seconds % 86_400
        if remainder < 0 {
            remainder += 86_400
            days -= 1
        }
        let secOfDay = Int(remainder)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func pad(_ v: some BinaryInteger, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var s = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(secOfDay / 3600, 2) + ":" + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2)
        if t.nanoseconds != 0 { s += "." + pad(t.nanoseconds, 9) }
        return s + "Z"
    }

    private static func digit(_ c: UInt8) -> Int? {
        c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") ? Int(c - UInt8(ascii: "0")) : nil
    }

    private static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    private static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 (proleptic Gregorian, era-of-400-years method).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
