import PetrelSession
import PetrelWire

/// How tools print samples and replies: one line each, plain or JSON.
/// Written without Foundation: the tools and the agent share one small binary.
enum SampleFormatting {
    static func text(_ bytes: ZBytes) -> String? {
        bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }

    static func plain(_ s: Sample) -> String {
        switch s.kind {
        case .put:
            let payload = text(s.payload) ?? "<\(s.payload.count) bytes>"
            return "put \(s.key) \(payload)"
        case .delete:
            return "delete \(s.key)"
        }
    }

    enum Value {
        case string(String)
        case null
    }

    static func json(_ s: Sample) -> String {
        var fields: [(String, Value)] = [("kind", .string(s.kind.rawValue)), ("key", .string(s.key))]
        if let t = text(s.payload) {
            fields.append(("payload", .string(t)))
        } else {
            fields.append(("payload_base64", .string(Base64.encode(s.payload))))
        }
        fields.append(("encoding", .string(s.encoding.description)))
        fields.append(("timestamp", s.timestamp.map { .string($0.description) } ?? .null))
        if let a = s.attachment {
            if let t = text(a) { fields.append(("attachment", .string(t))) } else { fields.append(("attachment_base64", .string(Base64.encode(a)))) }
        } else {
            fields.append(("attachment", .null))
        }
        return object(fields)
    }

    static func jsonError(_ e: ReplyError, key: String?) -> String {
        var fields: [(String, Value)] = [("kind", .string("error"))]
        if let key { fields.append(("key", .string(key))) }
        if let t = text(e.payload) {
            fields.append(("error", .string(t)))
        } else {
            fields.append(("error_base64", .string(Base64.encode(e.payload))))
        }
        fields.append(("encoding", .string(e.encoding.description)))
        return object(fields)
    }

    /// Keeps the documented key order.
    static func object(_ fields: [(String, Value)]) -> String {
        "{" + fields.map { name, value in
            switch value {
            case .string(let s): return "\(quote(name)):\(quote(s))"
            case .null: return "\(quote(name)):null"
            }
        }.joined(separator: ",") + "}"
    }

    static func quote(_ s: String) -> String {
        let hex: [Character] = Array("0123456789abcdef")
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u00"
                    out.append(hex[Int(u.value >> 4)])
                    out.append(hex[Int(u.value & 0xF)])
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// Standard base64 (RFC 4648, with padding), for payloads that are not text.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: ZBytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.endIndex ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.endIndex ? bytes[i + 2] : 0
            let n = bytes.endIndex - i
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(n > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
