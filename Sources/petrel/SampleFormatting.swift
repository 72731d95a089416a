import Foundation
import PetrelSession
import PetrelWire

/// How tools print samples and replies: one line each, plain or JSON.
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

    static func json(_ s: Sample, error: ReplyError? = nil) -> String {
        var fields: [(String, Any)] = [("kind", s.kind.rawValue), ("key", s.key)]
        if let t = text(s.payload) {
            fields.append(("payload", t))
        } else {
            fields.append(("payload_base64", Data(s.payload).base64EncodedString()))
        }
        fields.append(("encoding", s.encoding.description))
        fields.append(("timestamp", s.timestamp.map { $0.description } ?? NSNull()))
        if let a = s.attachment {
            if let t = text(a) { fields.append(("attachment", t)) } else { fields.append(("attachment_base64", Data(a).base64EncodedString())) }
        } else {
            fields.append(("attachment", NSNull()))
        }
        return object(fields)
    }

    static func jsonError(_ e: ReplyError, key: String?) -> String {
        var fields: [(String, Any)] = [("kind", "error")]
        if let key { fields.append(("key", key)) }
        fields.append(("error", text(e.payload) ?? Data(e.payload).base64EncodedString()))
        fields.append(("encoding", e.encoding.description))
        return object(fields)
    }

    /// Keeps the documented key order (JSONSerialization would not).
    static func object(_ fields: [(String, Any)]) -> String {
        "{" + fields.map { "\(quote($0.0)):\(value($0.1))" }.joined(separator: ",") + "}"
    }

    static func value(_ v: Any) -> String {
        switch v {
        case let s as String: return quote(s)
        case is NSNull: return "null"
        case let n as Int: return String(n)
        default: return quote("\(v)")
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
