/// Stream framing, for links that carry a byte stream (TCP, TLS, QUIC streams,
/// unix stream sockets): each batch travels as a 2-byte little-endian length,
/// then the batch (zenoh-wire.md §5).
///
/// The negotiated batch size bounds prefix AND batch: Rust writes at most
/// `batchSize − 2` batch bytes and its reader closes the link on a chunk whose
/// `2 + length` exceeds the batch size. So size the write buffer to the
/// negotiated batch size and write the prefix into it.
///
/// An empty batch (length 0) is legal: Rust's reader accepts it and decodes no
/// message from it (it still counts as traffic on the link). `StreamDeframer`
/// delivers it as an empty batch.
public enum StreamFraming {
    /// Bytes of the length prefix.
    public static let prefixSize = 2
    /// The largest batch size the u16 fields allow (prefix included).
    public static let maxBatchSize = Int(UInt16.max)

    /// Writes one framed batch: reserves the prefix, lets `body` write the batch,
    /// then fills the prefix in. If anything throws, nothing stays written.
    public static func writeFramedBatch(
        into w: inout WireWriter, _ body: (inout WireWriter) throws(EncodeError) -> Void
    ) throws(EncodeError) {
        try w.withRollback { (w: inout WireWriter) throws(EncodeError) in
            let prefix = try StreamLengthPrefix(reservingIn: &w)
            try body(&w)
            try prefix.fill(in: &w)
        }
    }
}

/// The 2-byte length slot of a stream batch being filled message by message:
/// reserve it before the first message, fill it in when the batch is flushed.
public struct StreamLengthPrefix: Sendable {
    /// Where the prefix sits in the writer's buffer.
    public let offset: Int

    /// Writes a placeholder prefix at the writer's position.
    /// Throws `doesNotFit` when fewer than 2 bytes are left.
    public init(reservingIn w: inout WireWriter) throws(EncodeError) {
        offset = w.count
        try w.writeUInt16LE(0)
    }

    /// Bytes written after the prefix so far.
    public func batchLength(in w: WireWriter) -> Int {
        w.count - offset - StreamFraming.prefixSize
    }

    /// Writes the batch length (everything written after the prefix) into the
    /// prefix. Throws `invalidValue("STREAM.length")` when that is more than
    /// 65535 bytes, or when the writer was rewound before the prefix.
    public func fill(in w: inout WireWriter) throws(EncodeError) {
        let length = batchLength(in: w)
        guard length >= 0, length <= Int(UInt16.max) else { throw .invalidValue("STREAM.length") }
        var slot = WireWriter(w.base, offset: offset)
        try slot.writeUInt16LE(UInt16(length))
    }
}

/// Cuts a received byte stream into batches: feed it whatever the socket
/// returned (split anywhere), then take batches until it returns `nil`.
///
/// Batches are slices of the fed bytes when a chunk arrives whole (no copy);
/// a chunk split across reads is assembled once into its own buffer. Each byte
/// is copied at most once. Drain with `nextBatch()` before feeding more: feeding
/// while bytes are still pending joins them with a copy.
///
/// A length over the batch size is a protocol violation that loses the
/// framing for good: `nextBatch()` throws, and keeps throwing the same error.
/// Close the link.
public struct StreamDeframer {
    /// The negotiated batch size, prefix included (2...65535).
    public let maxBatchSize: Int
    /// Unread bytes of the last fed chunk.
    private var input: ZBytes = []
    /// A chunk (prefix included) whose bytes arrived in more than one feed.
    private var partial: [UInt8] = []
    /// `2 + length` of `partial` once its prefix is complete, else 0.
    private var partialSize = 0
    private var failure: DecodeError?

    /// A deframer accepting chunks of at most `maxBatchSize` bytes, prefix
    /// included (the negotiated batch size; 65535 before negotiation).
    public init(maxBatchSize: Int = StreamFraming.maxBatchSize) {
        self.maxBatchSize = maxBatchSize
    }

    /// Bytes received but not yet returned in a batch.
    public var bufferedByteCount: Int { input.count + partial.count }

    /// Adds received bytes. Keeps a reference to `bytes` (no copy) when nothing
    /// is pending.
    public mutating func feed(_ bytes: ZBytes) {
        if input.isEmpty {
            input = bytes
        } else {
            var joined = [UInt8]()
            joined.reserveCapacity(input.count + bytes.count)
            joined.append(contentsOf: input)
            joined.append(contentsOf: bytes)
            input = joined[...]
        }
    }

    public mutating func feed(_ bytes: [UInt8]) { feed(bytes[...]) }

    /// The next complete batch (without its prefix), or `nil` until more bytes
    /// arrive. Throws `valueOutOfRange("STREAM.length", value: length)` when a
    /// chunk announces `2 + length > maxBatchSize`.
    public mutating func nextBatch() throws(DecodeError) -> ZBytes? {
        if let failure { throw failure }
        if partial.isEmpty {
            let s = input.startIndex
            guard input.count >= 2 else {
                if !input.isEmpty { moveInputToPartial(input.count) }
                return nil
            }
            let size = try checkedChunkSize(input[s], input[s + 1])
            if input.count >= size {
                // Whole chunk in hand: a slice of the fed bytes.
                let batch = input[(s + 2)..<(s + size)]
                input = input.count == size ? [] : input[(s + size)...]
                return batch
            }
            partialSize = size
            partial.reserveCapacity(size)
            moveInputToPartial(input.count)
            return nil
        }
        if partialSize == 0 {
            moveInputToPartial(min(2 - partial.count, input.count))
            guard partial.count == 2 else { return nil }
            partialSize = try checkedChunkSize(partial[0], partial[1])
            partial.reserveCapacity(partialSize)
        }
        moveInputToPartial(min(partialSize - partial.count, input.count))
        guard partial.count == partialSize else { return nil }
        let batch = partial[2...]
        partial = []
        partialSize = 0
        return batch
    }

    private mutating func checkedChunkSize(_ low: UInt8, _ high: UInt8) throws(DecodeError) -> Int {
        let length = Int(low) | Int(high) << 8
        guard StreamFraming.prefixSize + length <= maxBatchSize else {
            let error = DecodeError(.valueOutOfRange, "STREAM.length", value: UInt64(length))
            failure = error
            throw error
        }
        return StreamFraming.prefixSize + length
    }

    private mutating func moveInputToPartial(_ count: Int) {
        partial.append(contentsOf: input.prefix(count))
        input = count == input.count ? [] : input.dropFirst(count)
    }
}

/// Datagram framing (UDP unicast): one datagram is one batch, with no prefix
/// (zenoh-wire.md §5). Kept beside stream framing so the two link kinds read alike.
public enum DatagramFraming {
    /// Largest datagram zenoh uses on Linux and Windows: 65535 − 8 (UDP header)
    /// − 40 (IPv6 header).
    public static let maxDatagramSizeLinux = 65_487
    /// zenoh's UDP limit on macOS.
    public static let maxDatagramSizeMacOS = 9_216
    /// zenoh's UDP limit on other systems.
    public static let maxDatagramSizeOther = 8_192

    /// The batch a received datagram carries: the datagram itself.
    /// Throws `truncated("DATAGRAM.length")` for an empty datagram (Rust treats
    /// a zero-byte read as a link error) and `valueOutOfRange("DATAGRAM.length")`
    /// for one larger than `maxBatchSize`.
    public static func batch(inDatagram datagram: ZBytes,
                             maxBatchSize: Int = maxDatagramSizeLinux) throws(DecodeError) -> ZBytes {
        guard !datagram.isEmpty else { throw DecodeError(.truncated, "DATAGRAM.length") }
        guard datagram.count <= maxBatchSize else {
            throw DecodeError(.valueOutOfRange, "DATAGRAM.length", value: UInt64(datagram.count))
        }
        return datagram
    }
}
