/// `name=value` pairs, as many small sensors print them:
/// `temp=21.5 hum=40`, `temp=21.5,hum=40`, `temp=21.5; hum=40`.
///
/// Pairs are separated by spaces, tabs, `,` or `;` (any run of them). The
/// name is what comes before the first `=`, the value everything after it
/// (so values may contain `=`, but not separators). A pair with an empty
/// value (`temp=`) is a missing reading: nothing is published for it, and it
/// is not an error. A token without `=` or with an empty name makes the line
/// malformed (a boot banner such as `Sensor ready` yields nothing), but the
/// well-formed pairs beside it are still published.
enum KeyValueLine {
    static func parse(_ line: String) -> ParsedLine {
        var result = ParsedLine()
        var badTokens: [Substring] = []
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == ";" }) {
            guard let eq = token.firstIndex(of: "="), eq != token.startIndex else {
                badTokens.append(token)
                continue
            }
            let name = token[..<eq]
            let value = token[token.index(after: eq)...]
            guard FieldName.isValid(name) else {
                result.invalidNames.append(String(name))
                continue
            }
            if value.isEmpty { continue }
            result.readings.append(SerialReading(name: String(name), value: String(value)))
        }
        if let first = badTokens.first {
            let shown = first.count > 40 ? first.prefix(40) + "…" : first
            result.malformed = "expected name=value, found '\(shown)'" + (badTokens.count > 1 ? " (and \(badTokens.count - 1) more)" : "")
        }
        return result
    }
}
