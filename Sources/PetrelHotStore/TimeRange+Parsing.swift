// Zenoh's time DSL (zenoh-util `time_range.rs`, Zenoh 1.x), read exactly as
// Zenoh reads it, quirks included; where Zenoh would panic, an error instead.

extension TimeRange {
    /// Parses a `_time` value in Zenoh's time DSL.
    ///
    /// Grammar (byte for byte as Zenoh 1.x):
    /// - `<L><start>..<end><R>`: `<L>` is `[` (start inclusive) or `]` (start
    ///   exclusive), `<R>` is `]` (end inclusive) or `[` (end exclusive). The
    ///   text between is split at the *first* `..`; an empty side is unbounded
    ///   (`[..]`, `[now(-5m)..]`, `[..2024-01-01T00:00:00Z]`).
    /// - `<L><start>;<duration><R>` (only when there is no `..`): the end is
    ///   start + duration, its bound kind taken from `<R>`. The start must be
    ///   present. Note that `;` also separates selector parameters, so this form
    ///   cannot travel inside a selector's `_time=` (Zenoh has the same limit).
    /// - A time is `now(<offset>)` (`now()`, `now(-5m)`, `now(1h)`, `now(+90)`;
    ///   a leading `-` negates the duration after it) or a UTC RFC 3339 instant
    ///   read as humantime's weak parser reads it (`T` or space; `Z`, fraction
    ///   optional; years 1970...9999).
    /// - A duration is a Rust float in seconds, or a float with a unit suffix:
    ///   `u` (µs), `ms`, `s`, `m`, `h`, `d`, `w` (`1.5h`, `100ms`, `2e3s`).
    ///   Offsets are kept as float seconds, as Zenoh keeps them.
    ///
    /// - Throws: `TimeRangeError` naming the first problem. Where Zenoh panics
    ///   (`now(s)`, or a fixed start plus a negative, NaN or overflowing
    ///   duration), this throws instead.
    public static func parse(_ text: String) throws(TimeRangeError) -> TimeRange {
        let b = Array(text.utf8)
        guard b.count >= 4 else { throw TimeRangeError(.tooShort, in: text) }
        let startInclusive: Bool
        switch b[0] {
        case UInt8(ascii: "["): startInclusive = true
        case UInt8(ascii: "]"): startInclusive = false
        default: throw TimeRangeError(.badStartDelimiter, in: text)
        }
        let endInclusive: Bool
        switch b[b.count - 1] {
        case UInt8(ascii: "]"): endInclusive = true
        case UInt8(ascii: "["): endInclusive = false
        default: throw TimeRangeError(.badEndDelimiter, in: text)
        }
        let inner = b[1..<(b.count - 1)]
        if let dots = firstDoubleDot(in: inner) {
            return TimeRange(
                start: try bound(inner[inner.startIndex..<dots], inclusive: startInclusive, text),
                end: try bound(inner[(dots + 2)...], inclusive: endInclusive, text))
        }
        guard let semicolon = inner.firstIndex(of: UInt8(ascii: ";")) else {
            throw TimeRangeError(.missingSeparator, in: text)
        }
        let start = try bound(inner[inner.startIndex..<semicolon], inclusive: startInclusive, text)
        let durationText = inner[(semicolon + 1)...]
        let duration = try parseDuration(durationText, text)
        let startTime: TimeExpression
        switch start {
        case .inclusive(let t), .exclusive(let t): startTime = t
        case .unbounded: throw TimeRangeError(.durationWithoutStart, in: text)
        }
        let endTime: TimeExpression
        switch startTime {
        case .now(let offset):
            endTime = .now(offsetSeconds: offset + duration)
        case .fixed(let t):
            // Zenoh: `time + Duration::from_secs_f64(duration)`, which panics
            // on a negative/NaN/huge duration or an overflowing sum.
            guard let d = RustDuration(seconds: duration), let end = t.adding(d) else {
                throw TimeRangeError(.unrepresentableEnd(String(decoding: durationText, as: UTF8.self)), in: text)
            }
            endTime = .fixed(end)
        }
        return TimeRange(start: start, end: endInclusive ? .inclusive(endTime) : .exclusive(endTime))
    }

    /// Parses one time of the DSL on its own (`now(-5m)`, `2024-01-01T00:00:00Z`).
    ///
    /// - Throws: `TimeRangeError` with `.invalidTime` or `.invalidDuration`.
    public static func parseTime(_ text: String) throws(TimeRangeError) -> TimeExpression {
        try time(Array(text.utf8)[...], text)
    }

    /// Parses a duration of the DSL on its own, in seconds (`5m` is 300).
    ///
    /// - Throws: `TimeRangeError` with `.invalidDuration`.
    public static func parseDurationSeconds(_ text: String) throws(TimeRangeError) -> Double {
        try parseDuration(Array(text.utf8)[...], text)
    }

    private static func bound(_ b: ArraySlice<UInt8>, inclusive: Bool, _ input: String) throws(TimeRangeError) -> Bound {
        if b.isEmpty { return .unbounded }
        let t = try time(b, input)
        return inclusive ? .inclusive(t) : .exclusive(t)
    }

    private static let nowPrefix = Array("now(".utf8)

    private static func time(_ b: ArraySlice<UInt8>, _ input: String) throws(TimeRangeError) -> TimeExpression {
        if b.starts(with: nowPrefix) && b.last == UInt8(ascii: ")") && b.count >= nowPrefix.count + 1 {
            let offset = b[(b.startIndex + nowPrefix.count)..<(b.endIndex - 1)]
            if offset.isEmpty { return .now(offsetSeconds: 0) }
            if offset.first == UInt8(ascii: "-") {
                return .now(offsetSeconds: -(try parseDuration(offset.dropFirst(), input)))
            }
            return .now(offsetSeconds: try parseDuration(offset, input))
        }
        guard let t = RFC3339.parseWeak(b) else {
            throw TimeRangeError(.invalidTime(String(decoding: b, as: UTF8.self)), in: input)
        }
        return .fixed(t)
    }

    // Zenoh's unit factors, applied as Zenoh applies them (factor * value, in f64).
    private static let microsToSeconds = 0.000001
    private static let millisToSeconds = 0.001
    private static let minutesToSeconds = 60.0
    private static let hoursToSeconds = minutesToSeconds * 60.0
    private static let daysToSeconds = hoursToSeconds * 24.0
    private static let weeksToSeconds = daysToSeconds * 7.0

    /// Zenoh's `parse_duration`: the unit is read from the last byte (and the
    /// one before it for `ms`), the rest must be a Rust float.
    private static func parseDuration(_ b: ArraySlice<UInt8>, _ input: String) throws(TimeRangeError) -> Double {
        func fail() -> TimeRangeError {
            TimeRangeError(.invalidDuration(String(decoding: b, as: UTF8.self)), in: input)
        }
        guard let last = b.last else { throw fail() }
        let end = b.endIndex - 1
        let value: Double?
        switch last {
        case UInt8(ascii: "u"): value = RustFloat.parse(b[..<end]).map { microsToSeconds * $0 }
        case UInt8(ascii: "s"):
            // A lone "s" makes Zenoh panic (it unwraps the byte before).
            guard end > b.startIndex else { throw fail() }
            if b[end - 1] == UInt8(ascii: "m") {
                value = RustFloat.parse(b[..<(end - 1)]).map { millisToSeconds * $0 }
            } else {
                value = RustFloat.parse(b[..<end])
            }
        case UInt8(ascii: "m"): value = RustFloat.parse(b[..<end]).map { minutesToSeconds * $0 }
        case UInt8(ascii: "h"): value = RustFloat.parse(b[..<end]).map { hoursToSeconds * $0 }
        case UInt8(ascii: "d"): value = RustFloat.parse(b[..<end]).map { daysToSeconds * $0 }
        case UInt8(ascii: "w"): value = RustFloat.parse(b[..<end]).map { weeksToSeconds * $0 }
        default: value = RustFloat.parse(b)
        }
        guard let value else { throw fail() }
        return value
    }

    /// Where the first `..` starts (Rust's `split_once("..")`).
    private static func firstDoubleDot(in b: ArraySlice<UInt8>) -> Int? {
        var i = b.startIndex
        while i + 1 < b.endIndex {
            if b[i] == UInt8(ascii: ".") && b[i + 1] == UInt8(ascii: ".") { return i }
            i += 1
        }
        return nil
    }
}
