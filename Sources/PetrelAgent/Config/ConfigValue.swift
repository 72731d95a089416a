/// A value read from a JSON5 file, with the byte offset where it starts so a
/// later validation error can point at its line and column.
struct ConfigValue: Sendable {
    enum Kind: Sendable {
        case null
        case bool(Bool)
        /// A number written without fraction or exponent that fits an `Int`
        /// (decimal or hex), so `"qos: 1"` and `"qos: 1.0"` can be told apart.
        case integer(Int)
        case number(Double)
        case string(String)
        case array([ConfigValue])
        /// Members in file order (duplicates are a syntax error).
        case object([ConfigMember])
    }

    var kind: Kind
    /// UTF-8 offset of the value's first byte in the source text.
    var offset: Int

    /// "a string", "a number (3)", ... for "expected X, found Y" messages.
    var foundDescription: String {
        switch kind {
        case .null: return "null"
        case .bool(let b): return "a boolean (\(b))"
        case .integer(let i): return "a number (\(i))"
        case .number(let d): return "a number (\(d))"
        case .string(let s): return "a string (\"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\")"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `key: value` of an object.
struct ConfigMember: Sendable {
    var key: String
    /// UTF-8 offset of the key's first byte.
    var keyOffset: Int
    var value: ConfigValue
}

/// The text a configuration was read from, to turn byte offsets into lines and columns.
struct ConfigSource: Sendable {
    let bytes: [UInt8]
    /// Offset of the first byte of each line.
    let lineStarts: [Int]

    init(_ text: String) {
        bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        lineStarts = starts
    }

    /// 1-based line and column (in Unicode scalars) of `offset`.
    func location(of offset: Int) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        // Count scalars, not bytes: continuation bytes (10xxxxxx) do not start one.
        let column = bytes[start..<offset].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return (lo + 1, column + 1)
    }
}
