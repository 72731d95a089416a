/// Appends alignment message fields: LEB128 zints (Zenoh's VLE), fixed little-endian words.
/// `package`: PetrelReplication frames its own aligner messages with it too.
package struct ByteWriter {
    package var bytes: [UInt8] = []

    package init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    package mutating func u8(_ v: UInt8) { bytes.append(v) }

    package mutating func zint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    package mutating func zint(_ v: Int) { zint(UInt64(max(0, v))) }

    /// Signed, zig-zag encoded (0, -1, 1, -2, … → 0, 1, 2, 3, …).
    package mutating func szint(_ v: Int64) { zint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    package mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    package mutating func u32(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (UInt32(i) * 8))) }
    }

    package mutating func u64(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8))) }
    }

    package mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// A zint length, then the bytes.
    package mutating func string(_ s: String) {
        zint(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    /// A u16 length, then the UTF-8 bytes (at most 65,535 of them: keys are shorter).
    package mutating func string16(_ s: String) {
        let n = min(s.utf8.count, Int(UInt16.max))
        u16(UInt16(n))
        bytes.append(contentsOf: s.utf8.prefix(n))
    }

    /// A u32 length, then the bytes.
    package mutating func bytes32(_ b: [UInt8]) {
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }
}

/// Reads alignment message fields; every read checks bounds and throws, never traps.
package struct ByteReader {
    package let bytes: [UInt8]
    package private(set) var offset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package var remaining: Int { bytes.count - offset }
    package var isAtEnd: Bool { offset >= bytes.count }

    package mutating func u8(_ field: StaticString) throws(AlignmentMessageError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(field: "\(field)", offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// At most 10 bytes; a value that does not fit 64 bits is an error.
    package mutating func zint(_ field: StaticString) throws(AlignmentMessageError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            let b = try u8(field)
            if shift == 63 && b > 1 { throw .invalid(field: "\(field)", offset: start, reason: "zint overflows 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
            if shift > 63 { throw .invalid(field: "\(field)", offset: start, reason: "zint longer than 10 bytes") }
        }
    }

    /// A zint that must be at most `limit` (a count or a length: bounds what a reader allocates).
    package mutating func count(_ field: StaticString, limit: Int) throws(AlignmentMessageError) -> Int {
        let start = offset
        let v = try zint(field)
        guard v <= UInt64(limit) else {
            throw .invalid(field: "\(field)", offset: start, reason: "\(v) exceeds the limit of \(limit)")
        }
        return Int(v)
    }

    package mutating func szint(_ field: StaticString) throws(AlignmentMessageError) -> Int64 {
        let u = try zint(field)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    package mutating func u16(_ field: StaticString) throws(AlignmentMessageError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(field: "\(field)", offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    package mutating func u32(_ field: StaticString) throws(AlignmentMessageError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(field: "\(field)", offset: offset) }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (UInt32(i) * 8) }
        offset += 4
        return v
    }

    package mutating func u64(_ field: StaticString) throws(AlignmentMessageError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(field: "\(field)", offset: offset) }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (UInt64(i) * 8) }
        offset += 8
        return v
    }

    package mutating func raw(_ field: StaticString, count n: Int) throws(AlignmentMessageError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw .truncated(field: "\(field)", offset: offset) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    package mutating func string(_ field: StaticString, limit: Int) throws(AlignmentMessageError) -> String {
        let n = try count(field, limit: limit)
        let start = offset
        let b = try raw(field, count: n)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw .invalid(field: "\(field)", offset: start, reason: "not UTF-8")
        }
        return s
    }

    /// A u16 length, then that many UTF-8 bytes.
    package mutating func string16(_ field: StaticString) throws(AlignmentMessageError) -> String {
        let n = Int(try u16(field))
        let start = offset
        let b = try raw(field, count: n)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw .invalid(field: "\(field)", offset: start, reason: "not UTF-8")
        }
        return s
    }

    /// A u32 length, then that many bytes.
    package mutating func bytes32(_ field: StaticString) throws(AlignmentMessageError) -> [UInt8] {
        let n = Int(try u32(field))
        return Array(try raw(field, count: n))
    }

    /// What is left to read, as is.
    package var rest: [UInt8] { Array(bytes[min(offset, bytes.count)...]) }

    package func expectEnd() throws(AlignmentMessageError) {
        guard isAtEnd else {
            throw .invalid(field: "end", offset: offset, reason: "\(remaining) trailing bytes")
        }
    }
}

/// Malformed alignment bytes: which field, where, and why.
public enum AlignmentMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(field: String, offset: Int)
    case invalid(field: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .truncated(field, offset): return "alignment message truncated in \(field) at byte \(offset)"
        case let .invalid(field, offset, reason): return "alignment message has an invalid \(field) at byte \(offset): \(reason)"
        }
    }
}
