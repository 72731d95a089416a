/// Rust's `f64` text forms, which Zenoh's time DSL uses for durations and
/// `now(...)` offsets.
enum RustFloat {
    /// Rust's `f64::from_str`: an optional sign, then `inf`, `infinity` or
    /// `nan` (any case), or decimal digits with an optional `.` (digits on at
    /// least one side) and an optional exponent `e`/`E`, sign, digits.
    /// Returns nil for anything else (empty, spaces, `_`, hex, a lone `.`).
    static func parse(_ b: ArraySlice<UInt8>) -> Double? {
        var i = b.startIndex
        var negative = false
        if i < b.endIndex && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        let rest = b[i...]
        let lower = String(decoding: rest.map { $0 | 0x20 }, as: UTF8.self)
        if lower == "inf" || lower == "infinity" { return negative ? -.infinity : .infinity }
        if lower == "nan" { return .nan }
        guard isDecimal(rest) else { return nil }
        // Swift reads any string Rust's grammar allows, rounding correctly as Rust does.
        return Double(String(decoding: b, as: UTF8.self))
    }

    /// Digits with an optional `.` (digits on at least one side), then an
    /// optional exponent.
    private static func isDecimal(_ b: ArraySlice<UInt8>) -> Bool {
        var i = b.startIndex
        func digits() -> Int {
            let start = i
            while i < b.endIndex, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        var mantissaDigits = digits()
        if i < b.endIndex && b[i] == UInt8(ascii: ".") {
            i += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if i < b.endIndex && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < b.endIndex && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == b.endIndex
    }

    /// Rust's `Display` for `f64`: the shortest digits that read back to the
    /// same value, written positionally, never with an exponent (`3600`,
    /// `0.0000001`, `-0`), and `NaN`, `inf`, `-inf`.
    static func display(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        // Swift's description also gives the shortest round-trip digits; only
        // their layout differs (`1e-07`, `1.5e+20`, `3600.0`).
        var text = Substring(v.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var digits = ""
        var pointPosition = text.count
        if let dot = text.firstIndex(of: ".") {
            pointPosition = text.distance(from: text.startIndex, to: dot)
            digits = String(text[..<dot]) + String(text[text.index(after: dot)...])
        } else {
            digits = String(text)
        }
        pointPosition += exponent
        // Strip leading zeros (moving the point) and trailing zeros.
        while digits.count > 1 && digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1 && digits.last == "0" { digits.removeLast() }
        var out: String
        if digits == "0" {
            out = "0"
        } else if pointPosition <= 0 {
            out = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            out = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let idx = digits.index(digits.startIndex, offsetBy: pointPosition)
            out = String(digits[..<idx]) + "." + String(digits[idx...])
        }
        return (v.sign == .minus ? "-" : "") + out
    }
}
