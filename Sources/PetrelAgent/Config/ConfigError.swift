/// A problem with the agent's configuration, named by where it is.
///
/// `path` is the key path in the file (`mqtt.mappings[0].qos`, `serial[1].port`;
/// empty when the problem is the file as a whole), `message` says what was expected
/// and what was found. The description reads like a compiler diagnostic:
/// `config.json5:14:17: 'mqtt.mappings[0].qos': expected 0, 1 or 2, found 3`.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Key path of the offending value, e.g. `connect.endpoints[1]`; empty for the whole file.
    public var path: String
    /// What was expected and what was found.
    public var message: String
    /// The file (or other source, e.g. `command line`) the value came from; nil when unknown.
    public var file: String?
    /// 1-based line and column of the value in `file`, when it came from a file.
    public var line: Int?
    public var column: Int?

    public init(path: String, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        var s = ""
        if let file {
            s += file
            if let line {
                s += ":\(line)"
                if let column { s += ":\(column)" }
            }
            s += ": "
        } else if let line {
            s += "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": "
        }
        if !path.isEmpty { s += "'\(path)': " }
        return s + message
    }
}
