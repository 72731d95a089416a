/// One JSON object per line: `{"temp": 21.5, "hum": 40, "ok": true}`.
///
/// Each top-level member is one reading at `prefix/member`, its payload the
/// member's value as JSON text, exactly as the device wrote it (`21.5`,
/// `"ok"`, `{"x":1}`, `[1,2]`), so nothing is lost to re-formatting and the
/// payload is itself valid JSON (published as `application/json`).
///
/// The whole line is validated (RFC 8259 grammar, nesting at most
/// `maxDepth` deep) before anything is published: a line cut short by noise
/// yields nothing rather than half an object. Anything but an object at the
/// top level is malformed.
enum JSONLine {
    static let maxDepth = 64

    static func parse(_ line: String) -> ParsedLine {
        var text = line
        text.makeContiguousUTF8()
        let parsed = text.utf8.withContiguousStorageIfAvailable { bytes -> ParsedLine in
            var scanner = JSONScanner(bytes: bytes)
            do throws(JSONScanner.Problem) {
                let members = try scanner.topLevelObject()
                var result = ParsedLine()
                for (name, value) in members {
                    if FieldName.isValid(name) {
                        result.readings.append(SerialReading(name: name, value: value))
                    } else {
                        result.invalidNames.append(name)
                    }
                }
                return result
            } catch {
                return ParsedLine(malformed: "not a JSON object: \(error.message) at byte \(error.offset)")
            }
        }
        return parsed ?? ParsedLine(malformed: "not a JSON object")
    }
}

/// A strict JSON reader over UTF-8 bytes (already known to be valid UTF-8).
/// Never traps: every read is bounds-checked, nesting is bounded.
struct JSONScanner {
    struct Problem: Error {
        var message: String
        var offset: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private func fail(_ message: String) -> Problem { Problem(message: message, offset: i) }

    private mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws(Problem) {
        guard peek == c else { throw fail("expected \(what)") }
        i += 1
    }

    /// The members of the object that is the whole input: decoded names and
    /// the raw text of each value, in order (duplicates kept).
    mutating func topLevelObject() throws(Problem) -> [(String, String)] {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "'{'")
        var members: [(String, String)] = []
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let name = try string(decode: true) ?? ""
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                let start = i
                try value(depth: 1)
                members.append((name, String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)))
                skipWhitespace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                break
            }
        }
        skipWhitespace()
        guard i == bytes.count else { throw fail("unexpected text after the object") }
        return members
    }

    /// Skips one value, validating it.
    mutating func value(depth: Int) throws(Problem) {
        guard depth <= JSONLine.maxDepth else { throw fail("nested more than \(JSONLine.maxDepth) deep") }
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            i += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                _ = try string(decode: false)
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return
            }
        case UInt8(ascii: "["):
            i += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return
            }
        case UInt8(ascii: "\""):
            _ = try string(decode: false)
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
        default:
            throw fail("expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Problem) {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw fail("expected \(word)") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("expected \(word)") }
        i += n
    }

    private mutating func digits() -> Int {
        let start = i
        while let c = peek, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1 }
        return i - start
    }

    private mutating func number() throws(Problem) {
        if peek == UInt8(ascii: "-") { i += 1 }
        if peek == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits() > 0 else { throw fail("expected a digit") }
        }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw fail("expected a digit after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
    }

    private mutating func hex4() throws(Problem) -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("expected 4 hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("expected a hex digit")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Reads a string starting at its opening quote; returns its decoded
    /// text when `decode` (else nil, having validated it).
    mutating func string(decode: Bool) throws(Problem) -> String? {
        try expect(UInt8(ascii: "\""), "'\"'")
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw fail("unterminated string") }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return decode ? String(decoding: out, as: UTF8.self) : nil
            case 0x00...0x1F:
                i -= 1
                throw fail("control character in a string")
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw fail("unterminated escape") }
                i += 1
                let decoded: UInt8?
                switch e {
                case UInt8(ascii: "\""): decoded = 0x22
                case UInt8(ascii: "\\"): decoded = 0x5C
                case UInt8(ascii: "/"): decoded = 0x2F
                case UInt8(ascii: "b"): decoded = 0x08
                case UInt8(ascii: "f"): decoded = 0x0C
                case UInt8(ascii: "n"): decoded = 0x0A
                case UInt8(ascii: "r"): decoded = 0x0D
                case UInt8(ascii: "t"): decoded = 0x09
                case UInt8(ascii: "u"):
                    decoded = nil
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    if decode, let u = Unicode.Scalar(scalar) { out.append(contentsOf: Array(String(Character(u)).utf8)) }
                default:
                    i -= 1
                    throw fail("invalid escape")
                }
                if decode, let d = decoded { out.append(d) }
            default:
                if decode { out.append(c) }
            }
        }
    }
}
