/// Writes a message's extensions and sets their Z flags, so no encoder counts
/// extensions by hand (zenoh-wire.md §4).
///
/// Z ("another extension follows") is carried by the byte *before* each
/// extension: the message header for the first one, the previous extension's
/// header for the others. The chain remembers where that byte is and sets Z
/// there only when it writes the next extension, so the last one stays clear
/// and the header gets Z exactly when at least one extension was written. An
/// encoder therefore writes the extensions it has, in order, each guarded by
/// its own presence test, and there is no count to keep in step with them.
///
/// The chain is one integer on the stack: the publish path (Frame + Push/Put)
/// must encode with no heap allocation, which a list of pending extensions
/// would break.
///
/// Offsets stay valid because a chain is used only while its message is being
/// written: `WireWriter.writeLengthPrefixed` moves only bytes written inside
/// its own body, which all come after the header bytes a chain points at.
struct ExtensionChain {
    /// Offset of the byte that gets Z if another extension is written.
    private var zByte: Int

    fileprivate init(zByte: Int) {
        self.zByte = zByte
    }

    /// Writes `key` as the next extension header and marks the previous byte.
    /// The header goes first, so a write that does not fit leaves the
    /// previous byte unmarked.
    private mutating func writeKey(_ key: UInt8, into w: inout WireWriter) throws(EncodeError) {
        let at = w.count
        try w.writeByte(key)
        w.setFlags(Header.z, at: zByte)
        zByte = at
    }

    mutating func write(_ ext: UnitExtensionID, into w: inout WireWriter) throws(EncodeError) {
        try writeKey(ext.key, into: &w)
    }

    mutating func write(_ ext: ZIntExtensionID, _ value: UInt64, into w: inout WireWriter) throws(EncodeError) {
        try writeKey(ext.key, into: &w)
        try w.writeZInt(value)
    }

    mutating func write(_ ext: BytesExtensionID, _ bytes: ZBytes, into w: inout WireWriter) throws(EncodeError) {
        try writeKey(ext.key, into: &w)
        try w.writeSlice(bytes)
    }

    /// A bytes extension whose body is a structured value (a timestamp, a
    /// source info…), written in place and length-prefixed afterwards.
    mutating func write(_ ext: BytesExtensionID, _ value: some ExtensionBody, into w: inout WireWriter) throws(EncodeError) {
        try writeKey(ext.key, into: &w)
        try w.writeLengthPrefixed { (w: inout WireWriter) throws(EncodeError) in try value.encodeExtensionBody(into: &w) }
    }

    /// Extensions this codec does not know, carried through unchanged; they
    /// follow the known ones.
    mutating func write(unknown: [ZExtension], into w: inout WireWriter) throws(EncodeError) {
        for e in unknown {
            try writeKey(e.key, into: &w)
            try e.encodeBody(into: &w)
        }
    }
}

/// A value that is the body of a bytes extension (its length is written for it).
protocol ExtensionBody {
    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError)
}

extension WireWriter {
    /// Writes a message (or declaration) header with Z clear and returns the
    /// chain that sets Z when the message's first extension is written.
    mutating func writeHeader(_ header: UInt8) throws(EncodeError) -> ExtensionChain {
        let at = count
        try writeByte(header & ~Header.z)
        return ExtensionChain(zByte: at)
    }
}
