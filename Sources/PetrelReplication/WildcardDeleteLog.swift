import PetrelKeyExpr
import PetrelSystem
import PetrelTime
import Synchronization

/// The wildcard deletes a replica has seen (`site/a/*` at some timestamp),
/// one text line each (`<NTP64>/<zid> <key expression>`) in a small file
/// beside the store: kept for good like tombstones, so that an older put on a
/// matching key that only reaches this replica later (through a partition, or
/// through alignment from a replica that missed the delete) is superseded, and
/// exchanged between replicas (their set's hash travels with each digest).
/// A torn last line (a crash mid-append) is ignored on reading.
final class WildcardDeleteLog: Sendable {
    private let file: SystemFile
    private let end: Mutex<Int>

    init(path: String) throws(SystemCallError) {
        file = try SystemFile(path: path, create: true)
        end = Mutex(try file.size())
    }

    /// Every complete line's delete.
    func readAll() throws(SystemCallError) -> [(KeyExpr, Timestamp)] {
        let size = end.withLock { $0 }
        var buffer = [UInt8](repeating: 0, count: size)
        var got = 0
        while got < size {
            let n = try file.read(into: &buffer, at: got, count: size - got, offset: got)
            if n <= 0 { break }
            got += n
        }
        var out: [(KeyExpr, Timestamp)] = []
        for line in buffer.prefix(got).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let text = String(decoding: line, as: UTF8.self)
            guard let space = text.firstIndex(of: " "), let ts = Timestamp(text[..<space]),
                  let k = try? KeyExpr(String(text[text.index(after: space)...])) else { continue }
            out.append((k, ts))
        }
        return out
    }

    func append(_ expr: KeyExpr, _ ts: Timestamp) throws(SystemCallError) {
        let line = Array("\(ts.decimalString) \(expr.string)\n".utf8)
        try end.withLock { (offset: inout Int) throws(SystemCallError) in
            try file.write(line, at: offset)
            offset += line.count
        }
    }
}
