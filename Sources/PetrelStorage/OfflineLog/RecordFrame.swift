import PetrelSystem
// How a record sits in a segment file:
//
//   0       u8    magic and version: 0xA1 (high nibble 0xA marks a record, low nibble is version 1)
//   1...4   u32   body length (little-endian)
//   5...12  u64   sequence (little-endian)
//   13...   body  (OfflineRecord+Binary.swift)
//   end     u32   CRC-32C over bytes 0 ..< 13 + length (header and body)
//
// A record is whole only if all 17 + length bytes are there and the checksum
// matches; anything else at the end of a segment is a torn write and is cut.

/// The framing of records in segment files.
enum RecordFrame {
    static let marker: UInt8 = 0xA1
    static let headerCount = 13
    static let trailerCount = 4
    static let overhead = headerCount + trailerCount
    /// The largest body a frame may announce: a corrupt length field must not
    /// make recovery allocate gigabytes.
    static let maximumBodyCount = 64 << 20

    /// Encodes `record` with `sequence` as one frame.
    static func encode(_ record: OfflineRecord, sequence: UInt64) -> [UInt8] {
        var frame: [UInt8] = []
        let bodyCount = record.encodedBodyCount
        frame.reserveCapacity(overhead + bodyCount)
        frame.append(marker)
        appendLittleEndian(UInt32(truncatingIfNeeded: bodyCount), to: &frame)
        appendLittleEndian(sequence, to: &frame)
        record.encodeBody(into: &frame)
        appendLittleEndian(CRC32C.checksum(frame), to: &frame)
        return frame
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(truncatingIfNeeded: bytes[offset + i]) << (i * 8) }
        return v
    }
}

/// One frame found by `FrameScanner`.
struct ScannedFrame {
    /// Byte offset of the frame in the file.
    var offset: Int
    /// Frame size in bytes (header, body, checksum).
    var count: Int
    var sequence: UInt64
    /// The body, a slice of the scanner's buffer (valid until the next `next()`).
    var body: ArraySlice<UInt8>
}

/// Reads frames of a segment file in order, from `offset` up to `end`, through
/// a buffer (a syscall per 256 KiB, not per record), validating each one.
///
/// `next()` returns the next whole, valid frame, `nil` at `end`, or throws
/// `FrameScanner.Stop.invalid` at the first frame that is torn or corrupt, with
/// its offset: everything before it is good, nothing from it on can be trusted.
struct FrameScanner {
    enum Stop: Error {
        /// The frame at `offset` is not whole or not valid (`reason` says why).
        case invalid(offset: Int, reason: String)
        case io(OfflineLogError)
    }

    let file: SystemFile
    private(set) var offset: Int
    let end: Int
    /// When set, the sequence the next frame must carry (segments hold
    /// consecutive sequences); a mismatch is corruption.
    var expectedSequence: UInt64?

    private var buffer: [UInt8]
    /// File offset of buffer[0], and how many buffer bytes are valid.
    private var bufferOffset = 0
    private var bufferCount = 0

    init(file: SystemFile, from offset: Int, to end: Int, expectedSequence: UInt64?, bufferSize: Int = 256 << 10) {
        self.file = file
        self.offset = offset
        self.end = end
        self.expectedSequence = expectedSequence
        buffer = [UInt8](repeating: 0, count: max(bufferSize, RecordFrame.overhead))
        bufferOffset = offset
    }

    /// Makes `count` bytes from `offset` available in the buffer; false when
    /// the file (up to `end`) is shorter.
    private mutating func fill(_ count: Int) throws(Stop) -> Bool {
        guard offset + count <= end else { return false }
        let start = offset - bufferOffset
        if start + count <= bufferCount { return true }
        // Move what is left to the front, grow if one frame is larger than the buffer.
        let left = bufferCount - start
        if left > 0 && start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                base.copyMemory(from: base + start, byteCount: left)
            }
        }
        bufferOffset = offset
        bufferCount = max(left, 0)
        if count > buffer.count { buffer.append(contentsOf: repeatElement(0, count: count - buffer.count)) }
        let want = min(buffer.count - bufferCount, end - (bufferOffset + bufferCount))
        do throws(OfflineLogError) {
            let got = try systemCall({ () throws(SystemCallError) in try file.read(into: &buffer, at: bufferCount, count: want, offset: bufferOffset + bufferCount) })
            bufferCount += got
        } catch {
            throw .io(error)
        }
        return bufferCount >= count
    }

    mutating func next() throws(Stop) -> ScannedFrame? {
        if offset >= end { return nil }
        guard try fill(RecordFrame.headerCount) else {
            throw .invalid(offset: offset, reason: "torn header")
        }
        let h = offset - bufferOffset
        guard buffer[h] == RecordFrame.marker else {
            throw .invalid(offset: offset, reason: "bad marker \(buffer[h])")
        }
        let length = Int(RecordFrame.readLittleEndian(UInt32.self, buffer, at: h + 1))
        let sequence = RecordFrame.readLittleEndian(UInt64.self, buffer, at: h + 5)
        guard length <= RecordFrame.maximumBodyCount else {
            throw .invalid(offset: offset, reason: "length \(length) too large")
        }
        let count = RecordFrame.overhead + length
        guard try fill(count) else { throw .invalid(offset: offset, reason: "torn record") }
        let start = offset - bufferOffset
        let stored = RecordFrame.readLittleEndian(UInt32.self, buffer, at: start + count - RecordFrame.trailerCount)
        let computed = buffer.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start ..< start + count - RecordFrame.trailerCount]))
        }
        guard stored == computed else { throw .invalid(offset: offset, reason: "checksum mismatch") }
        if let expected = expectedSequence, sequence != expected {
            throw .invalid(offset: offset, reason: "sequence \(sequence), expected \(expected)")
        }
        let frame = ScannedFrame(
            offset: offset, count: count, sequence: sequence,
            body: buffer[(start + RecordFrame.headerCount) ..< (start + count - RecordFrame.trailerCount)])
        offset += count
        expectedSequence = sequence &+ 1
        return frame
    }
}
