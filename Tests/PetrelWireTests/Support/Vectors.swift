import Foundation
import Testing
import PetrelWire

/// The bytes captured from zenoh 1.10.2 (Fixtures/*.jsonl, one JSON object per
/// line: name, direction, hex, note). TCP entries are one length-prefixed chunk,
/// UDP entries one datagram.
enum Vectors {
    typealias Vector = (file: String, name: String, direction: String, bytes: [UInt8])

    /// The fixture files, by resource name.
    static let files = ["zenoh-1.10.2-tcp", "zenoh-1.10.2-udp"]

    /// Every vector of every file, in file order. A missing or malformed file
    /// yields no vectors (the tests that look for one then fail by name).
    static let all: [Vector] = files.flatMap { load($0) }

    /// The vector called `name` in the file whose name ends with `file`
    /// ("tcp" or "udp", or a full resource name); `nil` if there is none.
    static func named(_ name: String, file: String = "tcp") -> Vector? {
        all.first { $0.name == name && $0.file.hasSuffix(file) }
    }

    /// The batch a vector carries: TCP chunks lose their 2-byte LE length
    /// prefix (which must match the rest), UDP datagrams are batches already.
    static func batch(of v: Vector) -> ZBytes {
        guard v.file.hasSuffix("tcp") else { return v.bytes[...] }
        guard v.bytes.count >= 2 else { return [] }
        let length = Int(v.bytes[0]) | Int(v.bytes[1]) << 8
        #expect(length == v.bytes.count - 2, "\(v.name): TCP length prefix \(length) != \(v.bytes.count - 2)")
        return v.bytes[2...]
    }

    private static func load(_ file: String) -> [Vector] {
        guard let url = Bundle.module.url(forResource: file, withExtension: "jsonl", subdirectory: "Fixtures"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var out: [Vector] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = object["name"] as? String,
                  let hex = object["hex"] as? String,
                  let bytes = [UInt8](hex: hex) else { continue }
            out.append((file, name, object["direction"] as? String ?? "", bytes))
        }
        return out
    }
}
