import PetrelAgent
import PetrelSession
import PetrelSystem
import PetrelWire

/// How tools print samples and replies: one line each, plain or JSON.
/// JSON goes through the agent's `JSONWriter`: one escaper for everything petrel prints.
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

    /// `{"kind","key","payload"|"payload_base64","encoding","timestamp","attachment"|"attachment_base64"}`,
    /// in that order, absent values as `null`: the shape the README documents.
    static func json(_ s: Sample) -> String {
        var w = JSONWriter()
        w.object { o in
            o.field("kind", s.kind.rawValue)
            o.field("key", s.key)
            if let t = text(s.payload) { o.field("payload", t) } else { o.field("payload_base64", Base64.encode(s.payload)) }
            o.field("encoding", s.encoding.description)
            o.field("timestamp", s.timestamp.map(\.description))
            if let a = s.attachment, text(a) == nil {
                o.field("attachment_base64", Base64.encode(a))
            } else {
                o.field("attachment", s.attachment.flatMap(text))
            }
        }
        return w.text
    }

    static func jsonError(_ e: ReplyError, key: String?) -> String {
        var w = JSONWriter()
        w.object { o in
            o.field("kind", "error")
            o.fieldIfPresent("key", key)
            if let t = text(e.payload) { o.field("error", t) } else { o.field("error_base64", Base64.encode(e.payload)) }
            o.field("encoding", e.encoding.description)
        }
        return w.text
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
