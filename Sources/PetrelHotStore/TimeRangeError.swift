/// Why a `_time` value is not a time range in Zenoh's time DSL.
public struct TimeRangeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Shorter than the shortest range, `[..]` (4 bytes).
        case tooShort
        /// Does not start with `[` or `]`.
        case badStartDelimiter
        /// Does not end with `]` or `[`.
        case badEndDelimiter
        /// Neither `..` nor `;` between the delimiters.
        case missingSeparator
        /// The `[start;duration]` form without a start.
        case durationWithoutStart
        /// A bound that is neither (weak) RFC 3339 nor `now(...)`; carries the bound's text.
        case invalidTime(String)
        /// A duration that is not `<float>` or `<float><unit>` (units `u`, `ms`,
        /// `s`, `m`, `h`, `d`, `w`); carries the duration's text.
        case invalidDuration(String)
        /// `[<fixed time>;<duration>]` where the duration is negative, not a
        /// number, or moves the time out of range. Zenoh panics on these; Petrel
        /// refuses them. Carries the duration's text.
        case unrepresentableEnd(String)
    }

    public var reason: Reason
    /// The whole text that was parsed.
    public var input: String

    public init(_ reason: Reason, in input: String) {
        self.reason = reason
        self.input = input
    }

    public var description: String {
        let what: String
        switch reason {
        case .tooShort: what = "too short (the shortest range is \"[..]\")"
        case .badStartDelimiter: what = "must start with '[' or ']'"
        case .badEndDelimiter: what = "must end with ']' or '['"
        case .missingSeparator: what = "must contain \"..\" or \";\" as separator"
        case .durationWithoutStart: what = "';' must follow a start time"
        case .invalidTime(let t):
            what = "invalid time \"\(t)\" (expected RFC 3339 UTC, now() or now(<duration>))"
        case .invalidDuration(let d):
            what = "invalid duration \"\(d)\" (expected <float> seconds or <float><unit>, unit u, ms, s, m, h, d or w)"
        case .unrepresentableEnd(let d):
            what = "duration \"\(d)\" gives no representable end time (it must be a non-negative number)"
        }
        return "invalid time range \"\(input)\": \(what)"
    }
}
