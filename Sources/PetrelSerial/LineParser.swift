/// Turns one line from a device into readings, by the port's format.
/// Stateful only for `csv` without configured columns (the learned header).
public struct LineParser: Sendable {
    public let format: SerialFormat
    private var csv: CSVLine

    /// - Parameters:
    ///   - columns: `csv` column names; empty means the first line is the header.
    ///   - separator: the `csv` field separator.
    public init(format: SerialFormat, columns: [String] = [], separator: Character = ",") {
        self.format = format
        self.csv = CSVLine(columns: columns, separator: separator)
    }

    /// The csv column names in use (configured or learned); nil before the header.
    public var csvColumns: [String]? { csv.columns }

    /// Parses a line's bytes (without its terminator). Bytes that are not
    /// UTF-8 (line noise, a wrong baud rate) give `invalidUTF8` and nothing
    /// else; so do lines holding a NUL byte. Empty and blank lines give an
    /// empty result.
    public mutating func parse<C: Collection<UInt8>>(bytes: C) -> ParsedLine {
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            return ParsedLine(invalidUTF8: true)
        }
        return parse(text)
    }

    /// Parses a line (without its terminator).
    public mutating func parse(_ line: String) -> ParsedLine {
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return ParsedLine() }
        switch format {
        case .lines:
            return ParsedLine(readings: [SerialReading(name: nil, value: line)])
        case .keyValue:
            return KeyValueLine.parse(line)
        case .json:
            return JSONLine.parse(line)
        case .csv:
            return csv.parse(line)
        }
    }
}
