/// Separated values in named columns: `21.5,40,1013`.
///
/// The column names come from the configuration or, when none are
/// configured, from the device's first line (its header). A later line equal
/// to the header (the device rebooted and printed it again) is skipped. A
/// line whose field count differs from the column count is malformed and
/// yields nothing: with the columns out of step, every value would land on
/// the wrong key. An empty field is a missing reading: not published.
///
/// Fields may be double-quoted (`"a,b"`, with `""` for a quote) as in
/// RFC 4180; spaces and tabs around unquoted fields are trimmed (devices
/// often print `21.5, 40`).
struct CSVLine: Sendable {
    let separator: Character
    /// The column names; nil until learned from the header.
    private(set) var columns: [String]?

    init(columns: [String], separator: Character) {
        self.separator = separator
        self.columns = columns.isEmpty ? nil : columns
    }

    mutating func parse(_ line: String) -> ParsedLine {
        guard let fields = Self.split(line, separator: separator) else {
            return ParsedLine(malformed: "unbalanced quotes")
        }
        guard let columns else {
            columns = fields
            let invalid = fields.filter { !FieldName.isValid($0) }
            return ParsedLine(invalidNames: invalid, isHeader: true)
        }
        if fields == columns { return ParsedLine(isHeader: true) }
        guard fields.count == columns.count else {
            return ParsedLine(malformed: "\(fields.count) fields, expected \(columns.count) (\(columns.joined(separator: String(separator))))")
        }
        var result = ParsedLine()
        for (name, value) in zip(columns, fields) where !value.isEmpty {
            if FieldName.isValid(name) {
                result.readings.append(SerialReading(name: name, value: value))
            } else {
                result.invalidNames.append(name)
            }
        }
        return result
    }

    /// The fields of one line; nil when a quoted field is not closed or is
    /// followed by something other than the separator.
    static func split(_ line: String, separator: Character) -> [String]? {
        var fields: [String] = []
        var i = line.startIndex
        let end = line.endIndex
        func isBlank(_ c: Character) -> Bool { (c == " " || c == "\t") && c != separator }
        while true {
            // Leading blanks.
            var j = i
            while j < end, isBlank(line[j]) { j = line.index(after: j) }
            if j < end, line[j] == "\"" {
                var value = ""
                var k = line.index(after: j)
                var closed = false
                while k < end {
                    let c = line[k]
                    if c == "\"" {
                        let next = line.index(after: k)
                        if next < end, line[next] == "\"" {
                            value.append("\"")
                            k = line.index(after: next)
                            continue
                        }
                        k = next
                        closed = true
                        break
                    }
                    value.append(c)
                    k = line.index(after: k)
                }
                guard closed else { return nil }
                while k < end, isBlank(line[k]) { k = line.index(after: k) }
                fields.append(value)
                if k == end { return fields }
                guard line[k] == separator else { return nil }
                i = line.index(after: k)
            } else {
                var k = j
                while k < end, line[k] != separator { k = line.index(after: k) }
                var last = k
                while last > j, isBlank(line[line.index(before: last)]) { last = line.index(before: last) }
                fields.append(String(line[j..<last]))
                if k == end { return fields }
                i = line.index(after: k)
            }
        }
    }
}
