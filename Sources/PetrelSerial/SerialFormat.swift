/// How a device's lines become samples.
public enum SerialFormat: String, Sendable, Equatable, CaseIterable {
    /// Each line is one sample's payload, published at the prefix.
    case lines
    /// `name=value` pairs separated by spaces, tabs, `,` or `;`; each value
    /// published at `prefix/name`.
    case keyValue = "key-value"
    /// One JSON object per line; each top-level member's value, as JSON
    /// text, published at `prefix/member`.
    case json
    /// Separated values in named columns (configured, or the device's first
    /// line as header); each field published at `prefix/column`.
    case csv
}

/// One value read from a line.
public struct SerialReading: Sendable, Equatable {
    /// The key chunk it is published under, below the prefix; nil for the
    /// prefix itself (`lines`).
    public var name: String?
    /// The payload: the line (`lines`), the value text (`key-value`, `csv`)
    /// or the member's JSON text (`json`).
    public var value: String

    public init(name: String?, value: String) {
        self.name = name
        self.value = value
    }
}

/// What one line yields: readings to publish, and what was wrong with it.
public struct ParsedLine: Sendable, Equatable {
    public var readings: [SerialReading] = []
    /// Names that are not a single plain key chunk (contain `/`, `*`, `$`,
    /// `#`, `?`, control characters, or start with `@`): their values are
    /// not published.
    public var invalidNames: [String] = []
    /// Why (part of) the line was not understood; nil when all of it was.
    /// Readings that were understood are still published.
    public var malformed: String?
    /// The line was not UTF-8: nothing published.
    public var invalidUTF8 = false
    /// The line was a csv header (the first one, learned as column names, or
    /// the device repeating it): nothing published.
    public var isHeader = false

    public init(readings: [SerialReading] = [], invalidNames: [String] = [], malformed: String? = nil,
                invalidUTF8: Bool = false, isHeader: Bool = false) {
        self.readings = readings
        self.invalidNames = invalidNames
        self.malformed = malformed
        self.invalidUTF8 = invalidUTF8
        self.isHeader = isHeader
    }
}

/// A field name usable as one key chunk under the prefix.
///
/// Stricter than the key-expression grammar on purpose: besides `/` and the
/// wildcard/reserved characters (`*`, `$`, `#`, `?`), control characters are
/// refused (line noise decodes to them) and so is a leading `@` (a verbatim
/// chunk, which `prefix/**` subscribers would not receive).
public enum FieldName {
    public static func isValid<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "@") else { return false }
        for b in name.utf8 {
            switch b {
            case 0x00...0x1F, 0x7F: return false
            case UInt8(ascii: "/"), UInt8(ascii: "*"), UInt8(ascii: "$"), UInt8(ascii: "#"), UInt8(ascii: "?"): return false
            default: continue
            }
        }
        return true
    }
}
