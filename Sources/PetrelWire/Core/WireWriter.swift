/// Writes wire bytes into memory the caller owns and sized in advance.
///
/// The writer never allocates and never grows its buffer: a write that does not
/// fit throws `EncodeError.doesNotFit` and leaves `count` where the message
/// began only if the caller restores it (see `withRollback`). This is what lets
/// a batch be filled message by message until the next one no longer fits.
public struct WireWriter {
    @usableFromInline let base: UnsafeMutableRawBufferPointer
    /// Bytes written so far, from the start of the buffer.
    public var count: Int

    /// A writer over `buffer`, starting at `offset`.
    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        self.base = buffer
        self.count = offset
    }

    @inlinable public var capacity: Int { base.count }
    @inlinable public var remaining: Int { base.count - count }

    /// Runs `body`; if it throws, the bytes it wrote are forgotten, so a message
    /// is either written whole or not at all.
    @inlinable
    public mutating func withRollback<T>(_ body: (inout WireWriter) throws(EncodeError) -> T) throws(EncodeError) -> T {
        let mark = count
        do throws(EncodeError) {
            return try body(&self)
        } catch {
            count = mark
            throw error
        }
    }

    @inlinable
    public mutating func writeByte(_ b: UInt8) throws(EncodeError) {
        guard count < base.count else { throw .doesNotFit }
        base[count] = b
        count += 1
    }

    @inlinable
    public mutating func writeUInt16LE(_ v: UInt16) throws(EncodeError) {
        guard remaining >= 2 else { throw .doesNotFit }
        base[count] = UInt8(truncatingIfNeeded: v)
        base[count + 1] = UInt8(truncatingIfNeeded: v >> 8)
        count += 2
    }

    /// ORs `flags` into a byte already written, for a flag that depends on
    /// what follows it (the Z of `ExtensionChain`).
    mutating func setFlags(_ flags: UInt8, at offset: Int) {
        precondition(offset >= 0 && offset < count, "flags of a byte not written")
        base[offset] |= flags
    }

    /// Writes a zint (zenoh-wire.md §2.1): 7 bits per byte, low group first,
    /// and a 9th byte carrying 8 whole bits.
    @inlinable
    public mutating func writeZInt(_ value: UInt64) throws(EncodeError) {
        var v = value
        let n = ZInt.encodedSize(v)
        guard remaining >= n else { throw .doesNotFit }
        var i = count
        var written = 0
        while v >= 0x80 && written < 8 {
            base[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            i += 1
            written += 1
        }
        base[i] = UInt8(truncatingIfNeeded: v)
        count = i + 1
    }

    /// Writes raw bytes with no length.
    @inlinable
    public mutating func writeRaw<C: Collection>(_ bytes: C) throws(EncodeError) where C.Element == UInt8 {
        let n = bytes.count
        guard remaining >= n else { throw .doesNotFit }
        var i = count
        for b in bytes {
            base[i] = b
            i += 1
        }
        count = i
    }

    /// Writes raw bytes from a contiguous slice with one copy.
    @inlinable
    public mutating func writeRaw(_ bytes: ZBytes) throws(EncodeError) {
        let n = bytes.count
        guard remaining >= n else { throw .doesNotFit }
        if n > 0 {
            let dst = base.baseAddress! + count
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: src.baseAddress!, byteCount: n)
            }
        }
        count += n
    }

    /// Writes `zint length | bytes`.
    @inlinable
    public mutating func writeSlice(_ bytes: ZBytes) throws(EncodeError) {
        try writeZInt(UInt64(bytes.count))
        try writeRaw(bytes)
    }

    /// Writes `zint length | UTF-8 bytes`.
    @inlinable
    public mutating func writeString(_ s: String) throws(EncodeError) {
        var s = s
        var failure: EncodeError?
        s.withUTF8 { (u: UnsafeBufferPointer<UInt8>) in
            do throws(EncodeError) {
                try writeZInt(UInt64(u.count))
                try writeRaw(u)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Writes a zint length followed by whatever `body` writes, without knowing
    /// the length in advance: the body is written after a one-byte length slot
    /// and moved right if its length needs a longer zint.
    @inlinable
    public mutating func writeLengthPrefixed(_ body: (inout WireWriter) throws(EncodeError) -> Void) throws(EncodeError) {
        let lengthAt = count
        try writeByte(0)
        let bodyStart = count
        try body(&self)
        let length = count - bodyStart
        let lengthSize = ZInt.encodedSize(UInt64(length))
        if lengthSize > 1 {
            let shift = lengthSize - 1
            guard remaining >= shift else { throw .doesNotFit }
            let p = base.baseAddress!
            (p + bodyStart + shift).copyMemory(from: p + bodyStart, byteCount: length)
            count += shift
        }
        var w = WireWriter(base, offset: lengthAt)
        try w.writeZInt(UInt64(length))
    }

    /// The bytes written so far.
    public var writtenBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[0..<count])
    }
}

/// The zint (variable-length integer) rules, shared by reader and writer.
public enum ZInt {
    /// Bytes needed to encode `v` (1...9).
    @inlinable
    public static func encodedSize(_ v: UInt64) -> Int {
        if v < 1 << 7 { return 1 }
        if v < 1 << 14 { return 2 }
        if v < 1 << 21 { return 3 }
        if v < 1 << 28 { return 4 }
        if v < 1 << 35 { return 5 }
        if v < 1 << 42 { return 6 }
        if v < 1 << 49 { return 7 }
        if v < 1 << 56 { return 8 }
        return 9
    }
}

extension Array where Element == UInt8 {
    /// Encodes with `body` into a fresh buffer of `capacity` bytes and returns
    /// what was written. For tests and cold paths; the hot path owns its buffer.
    public static func encoding(capacity: Int = 1 << 16, _ body: (inout WireWriter) throws(EncodeError) -> Void) throws(EncodeError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { buffer.deallocate() }
        var w = WireWriter(buffer)
        try body(&w)
        return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<w.count]))
    }
}
