/// Consistent Overhead Byte Stuffing with 0x00 as the delimiter: the encoded
/// bytes contain no 0x00, so a 0x00 can end each frame on a serial line.
///
/// The data is cut at each zero into blocks; each block is sent as a code byte
/// (1 + its length) then its non-zero bytes, the zero implied between blocks.
/// A run of 254 non-zero bytes makes a full block, code 0xFF, with no zero
/// implied after it. Like z-serial (the `cobs` crate) and zenoh-pico, the
/// encoder opens a new block as soon as one is full, so data ending with a full
/// block gets a final `01`; the decoder accepts either form.
///
/// Worst case: `n + n / 254 + 1` encoded bytes for `n` data bytes.
public enum COBS {
    /// Encoded size, delimiter excluded, of `count` data bytes in the worst case.
    public static func maxEncodedCount(forDataCount count: Int) -> Int {
        count + count / 254 + 1
    }

    /// Encodes `data` (no delimiter is written). Throws `doesNotFit` with
    /// nothing written when the writer runs out of room.
    public static func encode(_ data: UnsafeRawBufferPointer, into w: inout WireWriter) throws(EncodeError) {
        try w.withRollback { (w: inout WireWriter) throws(EncodeError) in
            var encoder = try COBSEncoder(startingIn: &w)
            for b in data { try encoder.push(b, into: &w) }
            encoder.finish(in: &w)
        }
    }

    /// Encodes `data` (no delimiter is written). Throws `doesNotFit` with
    /// nothing written when the writer runs out of room.
    public static func encode(_ data: ZBytes, into w: inout WireWriter) throws(EncodeError) {
        var failure: EncodeError?
        data.withUnsafeBytes { raw in
            do throws(EncodeError) { try encode(raw, into: &w) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Decodes one encoded frame given without its delimiter. Returns `nil` if
    /// it contains a 0x00 or ends inside a block. Allocates: for tests and cold
    /// paths; `SerialDeframer` decodes as bytes arrive.
    public static func decode(_ encoded: ZBytes) -> [UInt8]? {
        var decoder = COBSDecoder()
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count)
        for b in encoded {
            guard b != 0 else { return nil }
            if let byte = decoder.push(b) { out.append(byte) }
        }
        return decoder.isAtBlockEnd ? out : nil
    }
}

/// Encodes byte by byte straight into a writer: the code byte of the open
/// block is a placeholder, filled in when the block closes.
struct COBSEncoder {
    /// Writer position of the open block's code byte.
    private var codeAt: Int
    /// 1 + bytes in the open block.
    private var code: UInt8 = 1

    init(startingIn w: inout WireWriter) throws(EncodeError) {
        codeAt = w.count
        try w.writeByte(0)
    }

    mutating func push(_ b: UInt8, into w: inout WireWriter) throws(EncodeError) {
        if b == 0 {
            try closeBlock(in: &w)
            return
        }
        try w.writeByte(b)
        code += 1
        if code == 0xFF { try closeBlock(in: &w) }
    }

    /// Fills in the last code byte; the data's end implies no zero.
    func finish(in w: inout WireWriter) {
        w.base[codeAt] = code
    }

    private mutating func closeBlock(in w: inout WireWriter) throws(EncodeError) {
        w.base[codeAt] = code
        codeAt = w.count
        try w.writeByte(0)
        code = 1
    }
}

/// Decodes a frame byte by byte (0x00 delimiters are the caller's business):
/// each input byte gives at most one output byte.
struct COBSDecoder {
    /// Data bytes left in the current block; 0 = the next byte is a code byte.
    private var remaining = 0
    /// Whether a zero follows the current block if another block comes.
    private var zeroAfterBlock = false
    /// Whether any code byte was read.
    private(set) var started = false

    /// Whether the bytes so far end exactly at a block's end (a valid frame end).
    var isAtBlockEnd: Bool { started && remaining == 0 }

    /// Feeds one non-zero encoded byte; returns the decoded byte it yields, if any.
    mutating func push(_ b: UInt8) -> UInt8? {
        if remaining > 0 {
            remaining -= 1
            return b
        }
        let zero: UInt8? = started && zeroAfterBlock ? 0 : nil
        started = true
        remaining = Int(b) - 1
        zeroAfterBlock = b != 0xFF
        return zero
    }

    mutating func reset() { self = COBSDecoder() }
}
