/// Writes compact JSON text for the admin space, the heartbeat, the tools'
/// `--json` and the aligner's replies, without
/// Foundation's `JSONEncoder` (which would pull Foundation and ICU into the
/// agent's binary for a handful of small documents).
///
/// Objects are written with their keys in the order the caller gives them;
/// the status types list them sorted, so the output matches what
/// `JSONEncoder` with `.sortedKeys` produced. Dictionaries are written sorted by key.
public struct JSONWriter {
    public private(set) var text = ""

    public init() {}

    /// One value's JSON text.
    public static func write<T: JSONWritable>(_ value: T) -> String {
        var w = JSONWriter()
        value.write(to: &w)
        return w.text
    }

    public mutating func null() { text += "null" }

    public mutating func bool(_ value: Bool) { text += value ? "true" : "false" }

    public mutating func number<T: BinaryInteger>(_ value: T) { text += value.description }

    /// Integral values without a fraction (`3`, as JSONEncoder writes them),
    /// others in Swift's shortest round-trip form (`0.25`, `1e-05`); NaN and
    /// the infinities, which JSON cannot express, become `null`.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        if value == value.rounded(), abs(value) < 1e15 {
            text += Int64(value).description
        } else {
            text += value.description
        }
    }

    /// A string literal: quotes, backslashes and control characters escaped,
    /// everything else (UTF-8) as is.
    public mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// `{...}`: `body` adds the members with `field`.
    public mutating func object(_ body: (inout Object) -> Void) {
        text += "{"
        var o = Object(writer: self)
        text = "" // the members go to o's copy: release ours so appending does not copy the text
        body(&o)
        self = o.writer
        text += "}"
    }

    /// `[...]`.
    public mutating func array<S: Sequence>(_ elements: S) where S.Element: JSONWritable {
        text += "["
        var first = true
        for e in elements {
            if !first { text += "," }
            first = false
            e.write(to: &self)
        }
        text += "]"
    }

    /// The members of an object being written.
    public struct Object {
        fileprivate var writer: JSONWriter
        private var first = true

        fileprivate init(writer: JSONWriter) { self.writer = writer }

        public mutating func field<T: JSONWritable>(_ key: String, _ value: T) {
            if !first { writer.text += "," }
            first = false
            writer.string(key)
            writer.text += ":"
            value.write(to: &writer)
        }

        /// Leaves the key out when `value` is nil, as `JSONEncoder` does for
        /// optional properties.
        public mutating func fieldIfPresent<T: JSONWritable>(_ key: String, _ value: T?) {
            if let value { field(key, value) }
        }
    }
}

/// A value `JSONWriter` can write.
public protocol JSONWritable {
    func write(to w: inout JSONWriter)
}

extension String: JSONWritable {
    public func write(to w: inout JSONWriter) { w.string(self) }
}

extension Bool: JSONWritable {
    public func write(to w: inout JSONWriter) { w.bool(self) }
}

extension Int: JSONWritable {
    public func write(to w: inout JSONWriter) { w.number(self) }
}

extension UInt64: JSONWritable {
    public func write(to w: inout JSONWriter) { w.number(self) }
}

extension Double: JSONWritable {
    public func write(to w: inout JSONWriter) { w.number(self) }
}

extension Optional: JSONWritable where Wrapped: JSONWritable {
    public func write(to w: inout JSONWriter) {
        if let value = self { value.write(to: &w) } else { w.null() }
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to w: inout JSONWriter) { w.array(self) }
}

extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.object { o in
            for (key, value) in sorted(by: { $0.key < $1.key }) { o.field(key, value) }
        }
    }
}
