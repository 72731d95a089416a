/// Reads wire bytes with a bounds check on every read.
///
/// The reader never traps: running out of bytes or meeting a value the field
/// cannot hold throws a `DecodeError` naming the field. Byte fields come back
/// as slices of the input (no copy).
public struct WireReader {
    public let bytes: ZBytes
    /// Absolute index of the next byte in `bytes`.
    public var index: Int

    @inlinable
    public init(_ bytes: ZBytes) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    @inlinable
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    @inlinable public var remaining: Int { bytes.endIndex - index }
    @inlinable public var isAtEnd: Bool { index >= bytes.endIndex }

    /// The next byte without consuming it; `nil` at the end.
    @inlinable
    public func peekByte() -> UInt8? {
        index < bytes.endIndex ? bytes[index] : nil
    }

    @inlinable
    public mutating func readByte(_ field: StaticString) throws(DecodeError) -> UInt8 {
        guard index < bytes.endIndex else { throw DecodeError(.truncated, field) }
        let b = bytes[index]
        index += 1
        return b
    }

    @inlinable
    public mutating func readUInt16LE(_ field: StaticString) throws(DecodeError) -> UInt16 {
        guard remaining >= 2 else { throw DecodeError(.truncated, field) }
        let v = UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
        index += 2
        return v
    }

    /// Reads a zint (zenoh-wire.md §2.1). Non-minimal forms are accepted, as
    /// Rust accepts them.
    @inlinable
    public mutating func readZInt(_ field: StaticString) throws(DecodeError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = index
        let end = bytes.endIndex
        while true {
            guard i < end else { throw DecodeError(.truncated, field) }
            let b = bytes[i]
            i += 1
            if shift == 56 {
                // The 9th byte carries 8 whole bits.
                value |= UInt64(b) << 56
                break
            }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        index = i
        return value
    }

    /// Reads a zint that must fit `T` (u8/u16/u32 fields); a larger value is an error.
    @inlinable
    public mutating func readZInt<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ field: StaticString) throws(DecodeError) -> T {
        let v = try readZInt(field)
        guard v <= UInt64(T.max) else { throw DecodeError(.valueOutOfRange, field, value: v) }
        return T(truncatingIfNeeded: v)
    }

    /// Reads `count` raw bytes as a slice of the input.
    @inlinable
    public mutating func readRaw(_ count: Int, _ field: StaticString) throws(DecodeError) -> ZBytes {
        guard count >= 0, remaining >= count else { throw DecodeError(.truncated, field, value: UInt64(max(count, 0))) }
        let s = bytes[index..<(index + count)]
        index += count
        return s
    }

    /// Reads everything left.
    @inlinable
    public mutating func readRest() -> ZBytes {
        let s = bytes[index..<bytes.endIndex]
        index = bytes.endIndex
        return s
    }

    /// Reads `zint length | bytes`, the length bounded by `maxLength`.
    @inlinable
    public mutating func readSlice(_ field: StaticString, maxLength: UInt64 = UInt64(UInt32.max)) throws(DecodeError) -> ZBytes {
        let n = try readZInt(field)
        guard n <= maxLength else { throw DecodeError(.valueOutOfRange, field, value: n) }
        guard n <= UInt64(remaining) else { throw DecodeError(.truncated, field, value: n) }
        return try readRaw(Int(n), field)
    }

    /// Reads `zint length | UTF-8 bytes`, the length bounded by `maxLength`.
    @inlinable
    public mutating func readString(_ field: StaticString, maxLength: UInt64 = UInt64(UInt16.max)) throws(DecodeError) -> String {
        let s = try readSlice(field, maxLength: maxLength)
        return try Self.string(s, field)
    }

    /// Validates UTF-8 and makes a String (small keys stay inline, no heap).
    @inlinable
    public static func string(_ s: ZBytes, _ field: StaticString) throws(DecodeError) -> String {
        let r: String? = s.withUnsafeBufferPointer { bytes in
            // Keys are nearly always ASCII, which is valid UTF-8 as it is: the
            // generic validating initialiser looked up type metadata on every
            // call (3% of a subscriber's time), the plain one does not.
            var ascii: UInt8 = 0
            for b in bytes { ascii |= b }
            if ascii < 0x80 { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let r else { throw DecodeError(.invalidUTF8, field) }
        return r
    }

    /// A reader over the next `count` bytes; this reader skips past them.
    @inlinable
    public mutating func subReader(_ count: Int, _ field: StaticString) throws(DecodeError) -> WireReader {
        WireReader(try readRaw(count, field))
    }
}
