import PetrelSystem
import PetrelTime

// The log record of one stored sample. Little-endian:
//
//   u32 body length | u32 CRC-32C of body | body
//   body: u8 kind | u8 flags (1: schema, 2: attachment) | u16 encoding id
//         | u64 NTP64 time | u8 id length (1...16) | id (Zenoh wire form)
//         | u16 key length | key | [u16 schema length | schema]
//         | [u32 attachment length | attachment] | payload (to the end)
//
// A record's size is also what the sample costs against the byte quota, so
// the quota means the same in memory and on disk.

/// The schema and attachment of an entry, which few samples have: held
/// apart so that entries without them do not pay for the fields.
final class EntryExtras: Sendable {
    let schema: String?
    let attachment: [UInt8]?

    init(schema: String?, attachment: [UInt8]?) {
        self.schema = schema
        self.attachment = attachment
    }
}

/// One sample inside a key's record. The key is held once, by the record, and
/// the payload bytes in the record's arena (`payloadOffset`, `payloadLength`).
/// 48 bytes.
struct Entry {
    var time: NTP64
    var id: ZenohID
    var payloadOffset: UInt32
    var payloadLength: UInt32
    var extras: EntryExtras?
    var encodingID: UInt16
    var kind: StoredSample.Kind
    /// Record size in bytes (what the entry counts against the byte quota).
    var size: UInt32

    var timestamp: Timestamp { Timestamp(time: time, id: id) }
    var payloadRange: Range<Int> { Int(payloadOffset)..<(Int(payloadOffset) + Int(payloadLength)) }

    /// The entry of `s` with its payload at `payloadOffset` (set when it is
    /// placed). nil when the key or schema is longer than a record can hold,
    /// or the record would pass 4 GiB.
    init?(_ s: StoredSample, payloadOffset: UInt32 = 0) {
        let keyCount = s.key.utf8.count
        let schemaCount = s.encoding.schema?.utf8.count ?? 0
        guard keyCount <= Int(UInt16.max), schemaCount <= Int(UInt16.max) else { return nil }
        var size = 8 + 1 + 1 + 2 + 8 + 1 + s.timestamp.id.wireLength + 2 + keyCount + s.payload.count
        if s.encoding.schema != nil { size += 2 + schemaCount }
        if let a = s.attachment { size += 4 + a.count }
        guard size <= Int(UInt32.max) else { return nil }
        time = s.timestamp.time
        id = s.timestamp.id
        self.payloadOffset = payloadOffset
        payloadLength = UInt32(s.payload.count)
        extras = s.encoding.schema == nil && s.attachment == nil
            ? nil : EntryExtras(schema: s.encoding.schema, attachment: s.attachment)
        encodingID = s.encoding.id
        kind = s.kind
        self.size = UInt32(size)
    }

    func sample(key: String, payload: [UInt8]) -> StoredSample {
        StoredSample(key: key, kind: kind, payload: payload, encoding: .init(id: encodingID, schema: extras?.schema),
                     timestamp: timestamp, attachment: extras?.attachment)
    }

    /// Appends this entry's record to `out`; `arena` holds its payload.
    func encodeRecord(key: String, arena: [UInt8], into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0]) // length and CRC, filled in below
        out.append(kind.rawValue)
        let schema = extras?.schema, attachment = extras?.attachment
        out.append((schema != nil ? 1 : 0) | (attachment != nil ? 2 : 0))
        appendLE(encodingID, to: &out)
        appendLE(time.rawValue, to: &out)
        let idLength = id.wireLength
        out.append(UInt8(idLength))
        for i in 0..<idLength { out.append(id.byte(i)) }
        appendLE(UInt16(key.utf8.count), to: &out)
        out.append(contentsOf: key.utf8)
        if let schema {
            appendLE(UInt16(schema.utf8.count), to: &out)
            out.append(contentsOf: schema.utf8)
        }
        if let attachment {
            appendLE(UInt32(attachment.count), to: &out)
            out.append(contentsOf: attachment)
        }
        out.append(contentsOf: arena[payloadRange])
        let bodyLength = out.count - start - 8
        let crc = CRC32C.checksum(out[(start + 8)...])
        withUnsafeBytes(of: UInt32(bodyLength).littleEndian) { for (i, b) in $0.enumerated() { out[start + i] = b } }
        withUnsafeBytes(of: crc.littleEndian) { for (i, b) in $0.enumerated() { out[start + 4 + i] = b } }
    }
}

private func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
}

/// Reads records back from a log's bytes, stopping at the first one that is
/// cut short or fails its checksum or structure (a torn tail, or corruption).
struct RecordReader {
    let bytes: [UInt8]
    /// Offset of the next record; after a failed `next()`, where the good part ends.
    private(set) var offset: Int

    init(_ bytes: [UInt8], from offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// The next record as (key, sample), or nil at the end or at a bad record
    /// (`offset` then stays at its start).
    mutating func next() -> StoredSample? {
        guard bytes.count - offset >= 8 else { return nil }
        let length = Int(readLE(UInt32.self, at: offset))
        let crc = readLE(UInt32.self, at: offset + 4)
        let bodyStart = offset + 8
        guard length <= bytes.count - bodyStart else { return nil }
        let body = bytes[bodyStart..<(bodyStart + length)]
        guard CRC32C.checksum(body) == crc, let sample = Self.decode(body) else { return nil }
        offset = bodyStart + length
        return sample
    }

    private func readLE<T: FixedWidthInteger>(_: T.Type, at i: Int) -> T {
        var v: T = 0
        for k in 0..<MemoryLayout<T>.size { v |= T(bytes[i + k]) << (8 * k) }
        return v
    }

    /// Decodes a body whose checksum matched; nil if its structure is wrong anyway.
    private static func decode(_ body: ArraySlice<UInt8>) -> StoredSample? {
        var r = body.startIndex
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, body.endIndex - r >= n else { return nil }
            defer { r += n }
            return body[r..<(r + n)]
        }
        func int<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard let b = take(MemoryLayout<T>.size) else { return nil }
            var v: T = 0
            for (k, byte) in b.enumerated() { v |= T(byte) << (8 * k) }
            return v
        }
        guard let kindByte = int(UInt8.self), let kind = StoredSample.Kind(rawValue: kindByte),
              let flags = int(UInt8.self), flags & ~3 == 0,
              let encodingID = int(UInt16.self), let time = int(UInt64.self),
              let idLength = int(UInt8.self), let idBytes = take(Int(idLength)), let id = ZenohID(wireBytes: idBytes),
              let keyLength = int(UInt16.self), let keyBytes = take(Int(keyLength))
        else { return nil }
        var schema: String?
        if flags & 1 != 0 {
            guard let n = int(UInt16.self), let s = take(Int(n)) else { return nil }
            schema = String(decoding: s, as: UTF8.self)
        }
        var attachment: [UInt8]?
        if flags & 2 != 0 {
            guard let n = int(UInt32.self), let a = take(Int(n)) else { return nil }
            attachment = Array(a)
        }
        let payload = Array(body[r...])
        return StoredSample(key: String(decoding: keyBytes, as: UTF8.self), kind: kind, payload: payload,
                            encoding: .init(id: encodingID, schema: schema),
                            timestamp: Timestamp(time: NTP64(rawValue: time), id: id), attachment: attachment)
    }
}
