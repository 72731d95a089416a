/// Little-endian writing and bounds-checked reading for the aligner's own
/// messages (envelopes, entries): malformed bytes from a peer end in a
/// `ReplicationMessageError`, never a trap.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xff)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// A string of at most 65,535 UTF-8 bytes (keys are shorter: the codec checks).
    mutating func string16(_ s: String) {
        let utf8 = Array(s.utf8)
        u16(UInt16(min(utf8.count, Int(UInt16.max))))
        bytes.append(contentsOf: utf8.prefix(Int(UInt16.max)))
    }
    mutating func bytes32(_ b: [UInt8]) {
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }
}

/// Why a message from a peer could not be read.
public struct ReplicationMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed aligner message: \(reason)" }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var rest: [UInt8] { Array(bytes[offset...]) }

    mutating func take(_ n: Int, _ what: String) throws(ReplicationMessageError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw ReplicationMessageError("\(what) runs past the end (\(remaining) bytes left, \(n) needed)") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func u8(_ what: String) throws(ReplicationMessageError) -> UInt8 { try take(1, what).first! }
    mutating func u16(_ what: String) throws(ReplicationMessageError) -> UInt16 {
        let s = try take(2, what)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }
    mutating func u32(_ what: String) throws(ReplicationMessageError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4, what).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64(_ what: String) throws(ReplicationMessageError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8, what).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    mutating func string16(_ what: String) throws(ReplicationMessageError) -> String {
        let n = Int(try u16(what + " length"))
        let s = try take(n, what)
        guard let text = String(validating: s, as: UTF8.self) else { throw ReplicationMessageError("\(what) is not UTF-8") }
        return text
    }
    mutating func bytes32(_ what: String) throws(ReplicationMessageError) -> [UInt8] {
        let n = Int(try u32(what + " length"))
        return Array(try take(n, what))
    }
}
