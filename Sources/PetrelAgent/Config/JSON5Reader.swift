/// Reads JSON5 (https://spec.json5.org) into `ConfigValue`s that remember
/// where they start.
///
/// Why not Foundation: on Linux, `JSONSerialization` has no JSON5 option and
/// `JSONDecoder(allowsJSON5)` reports a syntax error only as "not valid JSON"
/// with no line or column, and silently keeps one of two duplicate keys. A
/// configuration reader has to say where the mistake is, so this one does.
///
/// Accepts everything JSON5 does: `//` and `/* */` comments, unquoted
/// identifier keys, single-quoted strings, trailing commas, hex numbers,
/// leading/trailing decimal points, `+`, `Infinity`, `NaN`, escaped line breaks
/// in strings. Rejects duplicate keys (JSON5 would keep the last one, which in a
/// config file hides a mistake). Never traps on input: errors are values.
struct JSON5Reader {
    /// Why the text is not JSON5, where, and inside which key path.
    struct SyntaxError: Error {
        var offset: Int
        var path: String
        var message: String
    }

    /// Deeper nesting than this is refused rather than risking the stack.
    static let maxDepth = 64

    private let bytes: [UInt8]
    private let source: ConfigSource
    private var i = 0

    init(_ source: ConfigSource) {
        self.source = source
        self.bytes = source.bytes
    }

    /// Reads the whole text as one value.
    ///
    /// - Throws: `SyntaxError` for an empty file, text after the value, or any
    ///   JSON5 syntax error.
    mutating func readDocument() throws(SyntaxError) -> ConfigValue {
        try skipSpace()
        guard i < bytes.count else {
            throw SyntaxError(offset: i, path: "", message: "the file is empty: expected a configuration object { ... }")
        }
        let value = try readValue(path: "", depth: 0)
        try skipSpace()
        guard i == bytes.count else {
            throw SyntaxError(offset: i, path: "", message: "unexpected \(describe(at: i)) after the end of the configuration object")
        }
        return value
    }

    // MARK: Values

    private mutating func readValue(path: String, depth: Int) throws(SyntaxError) -> ConfigValue {
        guard depth < Self.maxDepth else {
            throw SyntaxError(offset: i, path: path, message: "nesting deeper than \(Self.maxDepth) levels")
        }
        guard i < bytes.count else {
            throw SyntaxError(offset: i, path: path, message: "unexpected end of file: expected a value")
        }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return try readObject(path: path, depth: depth)
        case UInt8(ascii: "["): return try readArray(path: path, depth: depth)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return ConfigValue(kind: .string(try readString(path: path)), offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return ConfigValue(kind: try readNumber(path: path), offset: start)
        default:
            guard let word = readIdentifierWord() else {
                throw SyntaxError(offset: start, path: path,
                                  message: "unexpected \(describe(at: start)): expected a value (object, array, string, number, true, false or null)")
            }
            switch word {
            case "true": return ConfigValue(kind: .bool(true), offset: start)
            case "false": return ConfigValue(kind: .bool(false), offset: start)
            case "null": return ConfigValue(kind: .null, offset: start)
            case "Infinity": return ConfigValue(kind: .number(.infinity), offset: start)
            case "NaN": return ConfigValue(kind: .number(.nan), offset: start)
            default:
                throw SyntaxError(offset: start, path: path,
                                  message: "unexpected word '\(word)': strings must be quoted (\"\(word)\")")
            }
        }
    }

    private mutating func readObject(path: String, depth: Int) throws(SyntaxError) -> ConfigValue {
        let open = i
        i += 1
        var members: [ConfigMember] = []
        var seen: [String: Int] = [:]
        while true {
            try skipSpace()
            guard i < bytes.count else { throw unclosed("{", at: open, path: path) }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            let keyOffset = i
            let key: String
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                key = try readString(path: path)
            } else if let word = try readIdentifierName(path: path) {
                key = word
            } else {
                throw SyntaxError(offset: i, path: path, message: "unexpected \(describe(at: i)): expected a key or '}'")
            }
            let memberPath = path.isEmpty ? key : path + "." + key
            if let first = seen[key] {
                throw SyntaxError(offset: keyOffset, path: memberPath,
                                  message: "duplicate key (first set on line \(source.location(of: first).line))")
            }
            seen[key] = keyOffset
            try skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw SyntaxError(offset: i, path: memberPath, message: "unexpected \(describe(at: i)): expected ':' after the key")
            }
            i += 1
            try skipSpace()
            let value = try readValue(path: memberPath, depth: depth + 1)
            members.append(ConfigMember(key: key, keyOffset: keyOffset, value: value))
            try skipSpace()
            guard i < bytes.count else { throw unclosed("{", at: open, path: path) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw SyntaxError(offset: i, path: memberPath,
                              message: "unexpected \(describe(at: i)): expected ',' or '}' after the value (a missing comma?)")
        }
        return ConfigValue(kind: .object(members), offset: open)
    }

    private mutating func readArray(path: String, depth: Int) throws(SyntaxError) -> ConfigValue {
        let open = i
        i += 1
        var elements: [ConfigValue] = []
        while true {
            try skipSpace()
            guard i < bytes.count else { throw unclosed("[", at: open, path: path) }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            let elementPath = "\(path)[\(elements.count)]"
            elements.append(try readValue(path: elementPath, depth: depth + 1))
            try skipSpace()
            guard i < bytes.count else { throw unclosed("[", at: open, path: path) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw SyntaxError(offset: i, path: elementPath,
                              message: "unexpected \(describe(at: i)): expected ',' or ']' after the element (a missing comma?)")
        }
        return ConfigValue(kind: .array(elements), offset: open)
    }

    private func unclosed(_ bracket: String, at open: Int, path: String) -> SyntaxError {
        let closing = bracket == "{" ? "}" : "]"
        return SyntaxError(offset: bytes.count, path: path,
                           message: "unexpected end of file: '\(bracket)' opened on line \(source.location(of: open).line) is not closed with '\(closing)'")
    }

    // MARK: Strings

    /// Reads a quoted string (either quote), `i` at the opening quote.
    private mutating func readString(path: String) throws(SyntaxError) -> String {
        let open = i
        let quote = bytes[i]
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else {
                throw SyntaxError(offset: open, path: path, message: "unterminated string (no closing \(quote == UInt8(ascii: "'") ? "'" : "\""))")
            }
            let b = bytes[i]
            if b == quote { i += 1; break }
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                throw SyntaxError(offset: i, path: path, message: "line break inside a string (write \\n, or end the line with \\ to continue it)")
            }
            if b == UInt8(ascii: "\\") {
                try readEscape(into: &out, path: path)
                continue
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads one escape sequence, `i` at the backslash.
    private mutating func readEscape(into out: inout [UInt8], path: String) throws(SyntaxError) {
        let start = i
        i += 1
        guard i < bytes.count else { throw SyntaxError(offset: start, path: path, message: "unterminated string (ends with '\\')") }
        let c = bytes[i]
        i += 1
        switch c {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "v"): out.append(0x0B)
        case UInt8(ascii: "0"):
            if i < bytes.count, isDigit(bytes[i]) {
                throw SyntaxError(offset: start, path: path, message: "octal escapes such as \\01 are not allowed in JSON5")
            }
            out.append(0)
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            throw SyntaxError(offset: start, path: path, message: "'\\\(Character(Unicode.Scalar(c)))' is not a valid escape (octal escapes are not allowed)")
        case UInt8(ascii: "x"):
            let v = try readHex(count: 2, escapeStart: start, path: path)
            appendScalar(UInt32(v), to: &out)
        case UInt8(ascii: "u"):
            let v = try readHex(count: 4, escapeStart: start, path: path)
            if (0xD800...0xDBFF).contains(v) {
                // A high surrogate must be followed by \u and a low surrogate.
                guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                    throw SyntaxError(offset: start, path: path, message: "lone UTF-16 surrogate \\u\(hex4(v)) (expected a low surrogate \\uDC00-\\uDFFF next)")
                }
                let lowStart = i
                i += 2
                let low = try readHex(count: 4, escapeStart: lowStart, path: path)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw SyntaxError(offset: lowStart, path: path, message: "\\u\(hex4(low)) is not a low surrogate after \\u\(hex4(v))")
                }
                appendScalar(0x10000 + ((UInt32(v) - 0xD800) << 10) + (UInt32(low) - 0xDC00), to: &out)
            } else if (0xDC00...0xDFFF).contains(v) {
                throw SyntaxError(offset: start, path: path, message: "lone UTF-16 surrogate \\u\(hex4(v))")
            } else {
                appendScalar(UInt32(v), to: &out)
            }
        case UInt8(ascii: "\n"):
            break // line continuation
        case UInt8(ascii: "\r"):
            if i < bytes.count, bytes[i] == UInt8(ascii: "\n") { i += 1 }
        default:
            // Any other character escapes to itself (\' \" \\ \/ and the
            // line separators U+2028/U+2029, which then vanish as continuations).
            i -= 1
            let (scalar, length) = scalar(at: i)
            i += length
            if scalar.value == 0x2028 || scalar.value == 0x2029 { break }
            out.append(contentsOf: bytes[(i - length)..<i])
        }
    }

    private mutating func readHex(count: Int, escapeStart: Int, path: String) throws(SyntaxError) -> Int {
        var v = 0
        for _ in 0..<count {
            guard i < bytes.count, let d = hexValue(bytes[i]) else {
                throw SyntaxError(offset: escapeStart, path: path, message: "escape needs \(count) hex digits")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    private func hex4(_ v: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    // MARK: Numbers

    private mutating func readNumber(path: String) throws(SyntaxError) -> ConfigValue.Kind {
        let start = i
        var negative = false
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        if i < bytes.count, isIdentifierStartByte(bytes[i]), let word = readIdentifierWord() {
            switch word {
            case "Infinity": return .number(negative ? -.infinity : .infinity)
            case "NaN": return .number(.nan)
            default: throw SyntaxError(offset: start, path: path, message: "'\(text(start, i))' is not a number")
            }
        }
        // Hexadecimal integer.
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "0"), bytes[i + 1] | 0x20 == UInt8(ascii: "x") {
            i += 2
            let digitsStart = i
            var magnitude: UInt64 = 0
            var overflow = false
            while i < bytes.count, let d = hexValue(bytes[i]) {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 16)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(d))
                overflow = overflow || o1 || o2
                magnitude = m2
                i += 1
            }
            guard i > digitsStart else { throw SyntaxError(offset: start, path: path, message: "'\(text(start, i))' is not a number: 0x needs hex digits") }
            try checkNumberEnd(start, path)
            guard !overflow, magnitude <= UInt64(Int.max) else {
                throw SyntaxError(offset: start, path: path, message: "\(text(start, i)) is too large")
            }
            return .integer(negative ? -Int(magnitude) : Int(magnitude))
        }
        let intStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        let intDigits = text(intStart, i)
        if intDigits.count > 1, intDigits.hasPrefix("0") {
            throw SyntaxError(offset: start, path: path, message: "'\(intDigits)': leading zeros are not allowed in numbers")
        }
        var fracDigits = ""
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let fracStart = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            fracDigits = text(fracStart, i)
        }
        guard !intDigits.isEmpty || !fracDigits.isEmpty else {
            throw SyntaxError(offset: start, path: path, message: "'\(text(start, min(i + 1, bytes.count)))' is not a number")
        }
        var exponent = ""
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            let expStart = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > digitsStart else { throw SyntaxError(offset: start, path: path, message: "'\(text(start, i))' is not a number: the exponent needs digits") }
            exponent = "e" + text(expStart, i)
        }
        try checkNumberEnd(start, path)
        let sign = negative ? "-" : ""
        if isInteger, let v = Int(sign + intDigits) { return .integer(v) }
        let normalized = sign + (intDigits.isEmpty ? "0" : intDigits) + "." + (fracDigits.isEmpty ? "0" : fracDigits) + exponent
        guard let d = Double(normalized) else {
            throw SyntaxError(offset: start, path: path, message: "'\(text(start, i))' is not a number")
        }
        return .number(d)
    }

    /// A number glued to letters is almost always an unquoted duration or size.
    private func checkNumberEnd(_ start: Int, _ path: String) throws(SyntaxError) {
        guard i < bytes.count, isIdentifierPartByte(bytes[i]) || bytes[i] == UInt8(ascii: ".") else { return }
        var end = i
        while end < bytes.count, isIdentifierPartByte(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
        let word = text(start, end)
        throw SyntaxError(offset: start, path: path,
                          message: "'\(word)' is not a number: write durations and sizes as strings, e.g. \"\(word)\"")
    }

    // MARK: Identifiers

    /// An unquoted key: an ECMAScript IdentifierName (letters, digits, `$`, `_`,
    /// `\uXXXX` escapes). Returns nil when no identifier starts at `i`.
    private mutating func readIdentifierName(path: String) throws(SyntaxError) -> String? {
        var out: [UInt8] = []
        let start = i
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                let escapeStart = i
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                    throw SyntaxError(offset: i, path: path, message: "only \\uXXXX escapes are allowed in unquoted keys")
                }
                i += 2
                let v = try readHex(count: 4, escapeStart: escapeStart, path: path)
                guard let s = Unicode.Scalar(UInt32(v)), isIdentifierScalar(s, first: out.isEmpty) else {
                    throw SyntaxError(offset: escapeStart, path: path, message: "\\u\(hex4(v)) is not allowed in an unquoted key")
                }
                appendScalar(s.value, to: &out)
                continue
            }
            let (s, length) = scalar(at: i)
            guard isIdentifierScalar(s, first: out.isEmpty) else { break }
            out.append(contentsOf: bytes[i..<(i + length)])
            i += length
        }
        return i == start ? nil : String(decoding: out, as: UTF8.self)
    }

    /// A plain ASCII/Unicode word for the literals (`true`, `null`, `Infinity`...).
    private mutating func readIdentifierWord() -> String? {
        let start = i
        while i < bytes.count {
            let (s, length) = scalar(at: i)
            guard isIdentifierScalar(s, first: i == start) else { break }
            i += length
        }
        return i == start ? nil : text(start, i)
    }

    private func isIdentifierScalar(_ s: Unicode.Scalar, first: Bool) -> Bool {
        if s == "$" || s == "_" { return true }
        if s.isASCII {
            let b = UInt8(s.value)
            return (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) || (!first && isDigit(b))
        }
        if !first && (s.value == 0x200C || s.value == 0x200D) { return true }
        return first ? s.properties.isIDStart : s.properties.isIDContinue
    }

    private func isIdentifierStartByte(_ b: UInt8) -> Bool {
        b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")
    }

    private func isIdentifierPartByte(_ b: UInt8) -> Bool {
        isIdentifierStartByte(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "$")
    }

    // MARK: White space and comments

    private mutating func skipSpace() throws(SyntaxError) {
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20:
                i += 1
            case UInt8(ascii: "/"):
                guard i + 1 < bytes.count else { return }
                if bytes[i + 1] == UInt8(ascii: "/") {
                    while i < bytes.count, bytes[i] != UInt8(ascii: "\n"), bytes[i] != UInt8(ascii: "\r") { i += 1 }
                } else if bytes[i + 1] == UInt8(ascii: "*") {
                    let open = i
                    i += 2
                    while true {
                        guard i + 1 < bytes.count else {
                            throw SyntaxError(offset: open, path: "", message: "unterminated /* comment (no closing */)")
                        }
                        if bytes[i] == UInt8(ascii: "*"), bytes[i + 1] == UInt8(ascii: "/") { i += 2; break }
                        i += 1
                    }
                } else {
                    return
                }
            default:
                guard b >= 0x80 else { return }
                let (s, length) = scalar(at: i)
                // NBSP, BOM, line/paragraph separators and every other space separator.
                guard s.value == 0xFEFF || s.value == 0x2028 || s.value == 0x2029
                        || s.properties.generalCategory == .spaceSeparator else { return }
                i += length
            }
        }
    }

    // MARK: Bytes

    /// The scalar starting at `offset` and its length in bytes. The text came
    /// from a Swift `String`, so it is valid UTF-8; a stray continuation byte
    /// still decodes (as U+FFFD, length 1) rather than trapping.
    private func scalar(at offset: Int) -> (Unicode.Scalar, Int) {
        let b0 = bytes[offset]
        let length: Int
        var value: UInt32
        switch b0 {
        case 0..<0x80: return (Unicode.Scalar(b0), 1)
        case 0xC0..<0xE0: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0..<0xF0: length = 3; value = UInt32(b0 & 0x0F)
        case 0xF0..<0xF8: length = 4; value = UInt32(b0 & 0x07)
        default: return ("\u{FFFD}", 1)
        }
        guard offset + length <= bytes.count else { return ("\u{FFFD}", 1) }
        for k in 1..<length { value = value << 6 | UInt32(bytes[offset + k] & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// What is at `offset`, for "unexpected X" messages.
    private func describe(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of file" }
        let (s, _) = scalar(at: offset)
        switch s {
        case "\n", "\r": return "line break"
        default: return "'\(Character(s))'"
        }
    }

    private func text(_ from: Int, _ to: Int) -> String {
        String(decoding: bytes[from..<max(from, to)], as: UTF8.self)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
