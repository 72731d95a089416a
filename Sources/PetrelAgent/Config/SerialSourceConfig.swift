import PetrelKeyExpr

/// One `serial` entry: a sensor (or any device) on a serial port whose output
/// becomes samples under `key`, and which receives what is put on `txKey`.
public struct SerialSourceConfig: Sendable, Equatable {
    /// How the device's output is cut into samples.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Each line is one sample's payload, published at `key`.
        case lines
        /// Lines of `name=value` pairs (separated by spaces, `,` or `;`); each
        /// pair is published at `key/name`.
        case keyValue = "key-value"
        /// Each line is a JSON object; each top-level member is published at `key/member`.
        case json
        /// Each line is `separator`-separated values, published at `key/<column>`.
        case csv
    }

    /// `port`: the device path, e.g. `/dev/ttyUSB0` (required).
    public var port: String
    /// `baudrate`.
    public var baudrate: Int = 115_200
    /// `format`.
    public var format: Format = .lines
    /// `key`: where the device's samples are published (required, no wildcards).
    public var key: KeyExpr
    /// `tx_key`: what is put here is written to the device; default `<key>/tx`.
    public var txKey: KeyExpr
    /// `columns`: csv column names; empty means the device's first line is the header.
    public var columns: [String] = []
    /// `separator`: the csv field separator, one character.
    public var separator: Character = ","

    public init(port: String, key: KeyExpr) {
        self.port = port
        self.key = key
        // A valid non-wild key plus one plain chunk is always a valid key.
        self.txKey = (try? key.join("tx")) ?? key
    }

    static let keys = ["port", "baudrate", "format", "key", "tx_key", "columns", "separator"]

    /// Reads one `serial[i]` entry; nil (after reporting) when a required key is missing or bad.
    init?(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) {
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        let port = o.require("port", hint: "the serial device path, e.g. \"/dev/ttyUSB0\"") { value, path -> String? in
            guard let s = v.nonEmptyString(value, path) else { return nil }
            guard s.hasPrefix("/") else {
                v.report(path, "'\(s)' is not a device path: expected an absolute path such as \"/dev/ttyUSB0\"", at: value.offset)
                return nil
            }
            return s
        }
        let key = o.require("key", hint: "the key expression its samples are published under, e.g. \"farm/pi1/air\"") {
            v.keyExpr($0, $1, wildcards: false)
        }
        let baudrate = o.read("baudrate") { v.integer($0, $1, in: 50...4_000_000, unit: "baud") }
        let format = o.read("format") { v.choice($0, $1, Format.allCases.map { ($0.rawValue, $0) }) }
        let txKey = o.read("tx_key") { v.keyExpr($0, $1, wildcards: false) }
        let effectiveFormat = format ?? .lines
        var columns: [String]?
        var separator: Character?
        if effectiveFormat == .csv {
            columns = o.read("columns") { value, path -> [String]? in
                guard let names = v.stringArray(value, path) else { return nil }
                if let bad = names.first(where: { $0.isEmpty || $0.contains("/") || (try? KeyExpr($0)) == nil }) {
                    v.report(path, "column name '\(bad)' must be one key chunk (no '/', '*', '$', '#', '?')", at: value.offset)
                    return nil
                }
                return names
            }
            separator = o.read("separator") { value, path -> Character? in
                guard let s = v.string(value, path) else { return nil }
                guard s.count == 1, let c = s.first, c != "\n", c != "\r" else {
                    v.report(path, "expected one character such as \",\", \";\" or \"\\t\", found \"\(s)\"", at: value.offset)
                    return nil
                }
                return c
            }
        } else if format != nil || o.has("columns") || o.has("separator") {
            let why = "only applies to format \"csv\" (this entry's format is \"\(effectiveFormat.rawValue)\")"
            o.reject("columns", why)
            o.reject("separator", why)
        }
        guard let port, let key else { return nil }
        self.init(port: port, key: key)
        self.baudrate = baudrate ?? self.baudrate
        self.format = effectiveFormat
        self.txKey = txKey ?? self.txKey
        self.columns = columns ?? []
        self.separator = separator ?? ","
    }
}
