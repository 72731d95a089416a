import PetrelTime

// The body of a record in a segment file (the frame around it, with sequence and
// checksum, is in RecordFrame.swift). Version 1, little-endian, lengths as
// unsigned LEB128 varints:
//
//   time            u64         NTP64 of the timestamp (first, so age checks read 8 bytes)
//   id length       u8          1...16
//   id              id length   ZenohID wire bytes (little-endian)
//   kind            u8          0 put, 1 delete
//   flags           u8          bit 0: attachment present, bit 1: schema present
//   encoding id     u16
//   [schema]        varint length + UTF-8     if flag bit 1
//   key             varint length + UTF-8
//   payload         varint length + bytes
//   [attachment]    varint length + bytes     if flag bit 0
//
// A body must be consumed exactly; trailing bytes make it invalid.

/// Why a record body could not be decoded. Bodies are checksummed, so this only
/// happens for a log written by an incompatible version (or a checksum collision).
struct RecordBodyError: Error, Equatable, Sendable {
    /// The field that was short or invalid, e.g. "key".
    var field: String
}

extension OfflineRecord {
    private static let attachmentFlag: UInt8 = 0x01
    private static let schemaFlag: UInt8 = 0x02

    /// Appends the body (everything but the sequence) to `out`.
    func encodeBody(into out: inout [UInt8]) {
        appendInteger(timestamp.time.rawValue, to: &out)
        let idLength = timestamp.id.wireLength
        out.append(UInt8(idLength))
        for i in 0..<idLength { out.append(timestamp.id.byte(i)) }
        out.append(kind.rawValue)
        var flags: UInt8 = 0
        if attachment != nil { flags |= Self.attachmentFlag }
        if encodingSchema != nil { flags |= Self.schemaFlag }
        out.append(flags)
        appendInteger(encodingID, to: &out)
        if let schema = encodingSchema { appendBytes(schema.utf8, to: &out) }
        appendBytes(key.utf8, to: &out)
        appendBytes(payload, to: &out)
        if let attachment { appendBytes(attachment, to: &out) }
    }

    /// The encoded body length, to size buffers before encoding.
    var encodedBodyCount: Int {
        var n = 8 + 1 + timestamp.id.wireLength + 1 + 1 + 2
        if let schema = encodingSchema { n += Self.lengthPrefixed(schema.utf8.count) }
        n += Self.lengthPrefixed(key.utf8.count) + Self.lengthPrefixed(payload.count)
        if let attachment { n += Self.lengthPrefixed(attachment.count) }
        return n
    }

    /// Decodes a body. Throws `RecordBodyError` naming the first bad field.
    static func decodeBody(_ body: ArraySlice<UInt8>, sequence: UInt64) throws(RecordBodyError) -> OfflineRecord {
        var r = BodyReader(bytes: body)
        let time = try r.integer(UInt64.self, "time")
        let idLength = Int(try r.byte("id length"))
        guard (1...16).contains(idLength) else { throw RecordBodyError(field: "id length") }
        guard let id = ZenohID(wireBytes: try r.bytes(idLength, "id")) else { throw RecordBodyError(field: "id") }
        guard let kind = Kind(rawValue: try r.byte("kind")) else { throw RecordBodyError(field: "kind") }
        let flags = try r.byte("flags")
        guard flags & ~(attachmentFlag | schemaFlag) == 0 else { throw RecordBodyError(field: "flags") }
        let encodingID = try r.integer(UInt16.self, "encoding id")
        let schema = flags & schemaFlag != 0 ? try r.string("schema") : nil
        let key = try r.string("key")
        let payload = Array(try r.lengthPrefixed("payload"))
        let attachment = flags & attachmentFlag != 0 ? Array(try r.lengthPrefixed("attachment")) : nil
        guard r.isAtEnd else { throw RecordBodyError(field: "trailing bytes") }
        return OfflineRecord(
            sequence: sequence, key: key, payload: payload, encodingID: encodingID, encodingSchema: schema,
            timestamp: Timestamp(time: NTP64(rawValue: time), id: id), attachment: attachment, kind: kind)
    }

    /// The timestamp time of an encoded body, without decoding the rest; `nil`
    /// when the body is too short to hold one.
    static func peekTime(_ body: ArraySlice<UInt8>) -> NTP64? {
        var r = BodyReader(bytes: body)
        guard let raw = try? r.integer(UInt64.self, "time") else { return nil }
        return NTP64(rawValue: raw)
    }

    private static func lengthPrefixed(_ count: Int) -> Int {
        var n = 1
        var v = UInt64(count) >> 7
        while v != 0 { n += 1; v >>= 7 }
        return n + count
    }
}

private func appendInteger<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    var v = value.littleEndian
    withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
}

private func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

private func appendBytes<C: Collection>(_ bytes: C, to out: inout [UInt8]) where C.Element == UInt8 {
    appendVarint(UInt64(bytes.count), to: &out)
    out.append(contentsOf: bytes)
}

/// A bounds-checked reader over a record body: every read either returns the
/// bytes or throws naming the field, and never traps.
private struct BodyReader {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func byte(_ field: String) throws(RecordBodyError) -> UInt8 {
        guard let b = bytes.popFirst() else { throw RecordBodyError(field: field) }
        return b
    }

    mutating func bytes(_ count: Int, _ field: String) throws(RecordBodyError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count else { throw RecordBodyError(field: field) }
        let result = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return result
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(RecordBodyError) -> T {
        let raw = try bytes(MemoryLayout<T>.size, field)
        var v: T = 0
        for (i, b) in raw.enumerated() { v |= T(truncatingIfNeeded: b) << (i * 8) }
        return v
    }

    /// An unsigned LEB128 length; more than 9 bytes, or a value beyond what is
    /// left, is invalid.
    mutating func length(_ field: String) throws(RecordBodyError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(field)
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            guard shift < 63 else { throw RecordBodyError(field: field) }
        }
        guard value <= UInt64(bytes.count) else { throw RecordBodyError(field: field) }
        return Int(value)
    }

    mutating func lengthPrefixed(_ field: String) throws(RecordBodyError) -> ArraySlice<UInt8> {
        try bytes(try length(field), field)
    }

    mutating func string(_ field: String) throws(RecordBodyError) -> String {
        let raw = try lengthPrefixed(field)
        guard let s = String(validating: raw, as: UTF8.self) else { throw RecordBodyError(field: field) }
        return s
    }
}
