/// The type of a payload (§2.6): a numeric id from Zenoh's predefined table and
/// an optional schema string. Id 0 with no schema is `zenoh/bytes`, the default.
public struct Encoding: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var id: UInt16
    public var schema: String?

    
    public init(id: UInt16, schema: String? = nil) {
        self.id = id
        self.schema = schema
    }

    public static let zenohBytes = Encoding(id: 0)
    public static let zenohString = Encoding(id: 1)
    public static let textPlain = Encoding(id: 4)
    public static let applicationJSON = Encoding(id: 5)

    /// The id used for textual encodings Zenoh has no number for; the text goes in the schema.
    public static let customID: UInt16 = 0xFFFF

    public var isDefault: Bool { id == 0 && schema == nil }

    /// Zenoh's predefined encodings, by id (zenoh/src/api/encoding.rs).
    public static let names: [String] = [
        "zenoh/bytes", "zenoh/string", "zenoh/serialized", "application/octet-stream", "text/plain",
        "application/json", "text/json", "application/cdr", "application/cbor", "application/yaml",
        "text/yaml", "text/json5", "application/python-serialized-object", "application/protobuf",
        "application/java-serialized-object", "application/openmetrics-text", "image/png",
        "image/jpeg", "image/gif", "image/bmp", "image/webp", "application/xml",
        "application/x-www-form-urlencoded", "text/html", "text/xml", "text/css", "text/javascript",
        "text/markdown", "text/csv", "application/sql", "application/coap-payload",
        "application/json-patch+json", "application/json-seq", "application/jsonpath", "application/jwt",
        "application/mp4", "application/soap+xml", "application/yang", "audio/aac", "audio/flac",
        "audio/mp4", "audio/ogg", "audio/vorbis", "video/h261", "video/h263", "video/h264",
        "video/h265", "video/h266", "video/mp4", "video/ogg", "video/raw", "video/vp8", "video/vp9",
    ]

    /// Parses Zenoh's text form: a known name (`text/plain`), a known name with a
    /// schema (`text/plain;charset=utf-8`), or anything else (sent as id 0xFFFF
    /// with the whole text as schema, as Zenoh does).
    public init(_ text: String) {
        let parts = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        if let i = Self.names.firstIndex(of: name) {
            self.init(id: UInt16(i), schema: parts.count > 1 ? String(parts[1]) : nil)
        } else {
            self.init(id: Self.customID, schema: text)
        }
    }

    /// Zenoh's text form.
    public var description: String {
        if id == Self.customID, let schema { return schema }
        let name = Int(id) < Self.names.count ? Self.names[Int(id)] : "unknown(\(id))"
        if let schema { return name + ";" + schema }
        return name
    }
}

extension WireWriter {
    /// `zint(id << 1 | S) | [u8-bounded schema]`.
    
    public mutating func writeEncoding(_ e: Encoding) throws(EncodeError) {
        try writeZInt(UInt64(e.id) << 1 | (e.schema == nil ? 0 : 1))
        if let schema = e.schema {
            guard schema.utf8.count <= 255 else { throw .invalidValue("Encoding.schema") }
            try writeString(schema)
        }
    }
}

extension WireReader {
    
    public mutating func readEncoding(_ field: StaticString) throws(DecodeError) -> Encoding {
        let v = try readZInt(UInt32.self, field)
        guard v >> 1 <= UInt32(UInt16.max) else { throw DecodeError(.valueOutOfRange, field, value: UInt64(v)) }
        var e = Encoding(id: UInt16(v >> 1))
        if v & 1 != 0 {
            e.schema = try readString(field, maxLength: 255)
        }
        return e
    }
}
