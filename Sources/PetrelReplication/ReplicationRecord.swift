import PetrelAlignment
import PetrelHotStore
import PetrelTime

/// One stored sample as the aligner's entries reply carries it: everything a
/// receiver needs to store it exactly as the sender holds it, with its
/// original timestamp (a re-stamped sample would win over newer writes).
///
/// Layout (little endian): kind u8 (0 put, 1 delete) · key u16-length UTF-8 ·
/// time u64 (NTP64) · zid length u8 + bytes · encoding id u16 · schema flag
/// u8 + u16-length UTF-8 · attachment flag u8 + u32-length bytes · payload
/// u32-length bytes.
public enum ReplicationRecord {
    public static func encode(_ s: StoredSample) -> [UInt8] {
        var w = ByteWriter()
        encode(s, into: &w)
        return w.bytes
    }

    static func encode(_ s: StoredSample, into w: inout ByteWriter) {
        w.u8(s.kind.rawValue)
        w.string16(s.key)
        w.u64(s.timestamp.time.rawValue)
        let zid = s.timestamp.id.wireBytes
        w.u8(UInt8(zid.count))
        w.raw(zid)
        w.u16(s.encoding.id)
        if let schema = s.encoding.schema { w.u8(1); w.string16(schema) } else { w.u8(0) }
        if let a = s.attachment { w.u8(1); w.bytes32(a) } else { w.u8(0) }
        w.bytes32(s.kind == .put ? s.payload : [])
    }

    public static func decode(_ bytes: [UInt8]) throws(ReplicationMessageError) -> StoredSample {
        try ReplicationMessageError.reading {
            var r = ByteReader(bytes)
            let s = try decode(from: &r)
            guard r.remaining == 0 else { throw ReplicationMessageError("\(r.remaining) bytes after a record") }
            return s
        }
    }

    static func decode(from r: inout ByteReader) throws -> StoredSample {
        guard let kind = StoredSample.Kind(rawValue: try r.u8("kind")) else { throw ReplicationMessageError("unknown sample kind") }
        let key = try r.string16("key")
        let time = try r.u64("time")
        let zidLength = Int(try r.u8("zid length"))
        guard let id = ZenohID(wireBytes: try r.raw("zid", count: zidLength)) else { throw ReplicationMessageError("invalid zid") }
        let encodingID = try r.u16("encoding id")
        let schema: String? = try r.u8("schema flag") == 1 ? try r.string16("schema") : nil
        let attachment: [UInt8]? = try r.u8("attachment flag") == 1 ? try r.bytes32("attachment") : nil
        let payload = try r.bytes32("payload")
        return StoredSample(key: key, kind: kind, payload: payload, encoding: .init(id: encodingID, schema: schema),
                            timestamp: Timestamp(time: NTP64(rawValue: time), id: id), attachment: attachment)
    }
}
