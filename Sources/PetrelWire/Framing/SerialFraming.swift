/// One frame of zenoh's serial link: link flags and a batch (or nothing, for
/// the link handshake).
public struct SerialFrame: Equatable, Sendable {
    /// Link flags: 0 for data; `initFlag`, `ackFlag`, `resetFlag` for the
    /// handshake. Not covered by the CRC (the protocol protects data only).
    public var flags: UInt8
    /// The batch (no TCP-style prefix); empty for handshake frames.
    public var payload: ZBytes

    /// Connector → listener: open the link (sent with an empty payload).
    public static let initFlag: UInt8 = 0x01
    /// Listener → connector, with `initFlag`: the link is open.
    public static let ackFlag: UInt8 = 0x02
    /// Listener → connector: already connected; retry later (pico waits 250 ms).
    public static let resetFlag: UInt8 = 0x04

    public init(flags: UInt8 = 0, payload: ZBytes = []) {
        self.flags = flags
        self.payload = payload
    }
}

/// Serial framing (z-serial / zenoh-pico, zenoh-wire.md §16): each batch goes
/// out as `flags u8 | length u16 LE | data | CRC-32 u32 LE of the data`, COBS
/// encoded, followed by a 0x00 delimiter.
public enum SerialFraming {
    /// zenoh's serial MTU: the largest batch on a serial link.
    public static let defaultMaxDataLength = 1500
    /// Flags, length and CRC around the data.
    public static let overhead = 1 + 2 + 4

    /// Bytes on the wire, delimiter included, for `dataLength` data bytes in
    /// the worst case: 1514 for a 1500-byte batch.
    public static func maxEncodedSize(dataLength: Int) -> Int {
        COBS.maxEncodedCount(forDataCount: overhead + dataLength) + 1
    }

    /// A buffer of this many bytes holds any frame of a 1500-byte batch.
    public static let maxEncodedFrameSize = maxEncodedSize(dataLength: defaultMaxDataLength)

    /// Writes one frame (COBS-encoded, 0x00-terminated) without allocating.
    /// Throws `invalidValue("SERIAL.length")` for data longer than
    /// `maxDataLength` (or than 65535), `invalidValue("SERIAL.flags")` for
    /// handshake flags with data (receivers drop such frames), and `doesNotFit`
    /// when the writer has no room (size it with `maxEncodedSize(dataLength:)`);
    /// in every case nothing stays written.
    public static func encode(flags: UInt8, data: UnsafeRawBufferPointer, into w: inout WireWriter,
                              maxDataLength: Int = defaultMaxDataLength) throws(EncodeError) {
        guard data.count <= min(maxDataLength, Int(UInt16.max)) else { throw .invalidValue("SERIAL.length") }
        guard flags == 0 || data.isEmpty else { throw .invalidValue("SERIAL.flags") }
        let crc = SerialCRC32.checksum(data)
        try w.withRollback { (w: inout WireWriter) throws(EncodeError) in
            var cobs = try COBSEncoder(startingIn: &w)
            try cobs.push(flags, into: &w)
            try cobs.push(UInt8(truncatingIfNeeded: data.count), into: &w)
            try cobs.push(UInt8(truncatingIfNeeded: data.count >> 8), into: &w)
            for b in data { try cobs.push(b, into: &w) }
            for shift in stride(from: 0, to: 32, by: 8) {
                try cobs.push(UInt8(truncatingIfNeeded: crc >> UInt32(shift)), into: &w)
            }
            cobs.finish(in: &w)
            try w.writeByte(0)
        }
    }

    /// Writes one frame; see `encode(flags:data:into:maxDataLength:)`.
    public static func encode(flags: UInt8, data: ZBytes, into w: inout WireWriter,
                              maxDataLength: Int = defaultMaxDataLength) throws(EncodeError) {
        var failure: EncodeError?
        data.withUnsafeBytes { raw in
            do throws(EncodeError) {
                try encode(flags: flags, data: raw, into: &w, maxDataLength: maxDataLength)
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `frame`; see `encode(flags:data:into:maxDataLength:)`.
    public static func encode(_ frame: SerialFrame, into w: inout WireWriter,
                              maxDataLength: Int = defaultMaxDataLength) throws(EncodeError) {
        try encode(flags: frame.flags, data: frame.payload, into: &w, maxDataLength: maxDataLength)
    }
}

/// Cuts the bytes read from a serial port into frames: feed it whatever the
/// port returned (split anywhere), then take frames until it returns `nil`.
///
/// A serial line loses, corrupts and injects bytes, so bad frames are normal
/// traffic, not errors: they are dropped and counted in `counters`, never
/// delivered, and never trap. Checks, in order: COBS well-formed, decoded size
/// = 7 + length, CRC of the data, and no handshake flags on a frame with data.
/// The flags of an empty (handshake) frame are not protected by the protocol. Whatever happens, the deframer is back in step at
/// the next 0x00. Empty frames (consecutive 0x00s, used to resynchronise) are
/// skipped silently. The deframer starts in step: bytes before the first 0x00
/// are taken as a frame.
///
/// Frames are decoded as bytes arrive into one buffer of at most
/// `maxDataLength + 7` bytes; a delivered payload is a slice of it (the next
/// frame gets a fresh buffer only if that slice is still held).
public struct SerialDeframer {
    /// Frames dropped, by reason, and frames delivered.
    public struct Counters: Equatable, Sendable {
        /// Good frames returned by `nextFrame()`.
        public var delivered = 0
        /// The data's CRC did not match the frame's.
        public var crcMismatches = 0
        /// Decoded size was under 7 bytes or differed from 7 + the length field.
        public var badLengths = 0
        /// The frame ended in the middle of a COBS block.
        public var cobsErrors = 0
        /// More than `maxDataLength + 7` decoded bytes came before a 0x00; the
        /// rest up to the next 0x00 was skipped.
        public var oversize = 0
        /// Handshake flags on a frame carrying data. Neither z-serial nor
        /// zenoh-pico sends that, and the CRC does not cover the flags: it is what
        /// a corrupted first COBS code byte of a data frame turns into.
        public var badFlags = 0

        public init() {}

        /// All frames dropped.
        public var rejected: Int { crcMismatches + badLengths + cobsErrors + oversize + badFlags }
    }

    /// The largest batch accepted (zenoh's serial MTU, 1500, by default).
    public let maxDataLength: Int
    public private(set) var counters = Counters()

    private var input: ZBytes = []
    /// Decoded bytes of the frame being received: flags, length, data, CRC.
    private var frame: [UInt8] = []
    private var decoder = COBSDecoder()
    /// Skipping an oversize frame up to the next 0x00.
    private var skipping = false

    public init(maxDataLength: Int = SerialFraming.defaultMaxDataLength) {
        self.maxDataLength = min(max(maxDataLength, 0), Int(UInt16.max))
        frame.reserveCapacity(self.maxDataLength + SerialFraming.overhead)
    }

    /// Bytes fed but not yet examined.
    public var bufferedByteCount: Int { input.count }

    /// Adds bytes read from the port. Keeps a reference to `bytes` (no copy)
    /// when nothing is pending.
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

    /// The next good frame, or `nil` when the fed bytes hold no more complete
    /// frames. Bad frames on the way are counted and skipped.
    public mutating func nextFrame() -> SerialFrame? {
        let limit = maxDataLength + SerialFraming.overhead
        var i = input.startIndex
        let end = input.endIndex
        defer { input = i == end ? [] : input[i...] }
        while i < end {
            let b = input[i]
            i += 1
            if b == 0 {
                if let good = endOfFrame() { return good }
                continue
            }
            if skipping { continue }
            guard let decoded = decoder.push(b) else { continue }
            if frame.count == limit {
                counters.oversize += 1
                skipping = true
                continue
            }
            frame.append(decoded)
        }
        return nil
    }

    /// Handles a 0x00: checks the frame received so far and starts the next.
    private mutating func endOfFrame() -> SerialFrame? {
        defer {
            decoder.reset()
            skipping = false
        }
        if skipping {  // already counted
            frame.removeAll(keepingCapacity: true)
            return nil
        }
        guard decoder.started else { return nil }  // empty frame: a resync delimiter
        guard decoder.isAtBlockEnd else {
            counters.cobsErrors += 1
            frame.removeAll(keepingCapacity: true)
            return nil
        }
        let size = frame.count
        let length = size >= 3 ? Int(frame[1]) | Int(frame[2]) << 8 : -1
        guard size >= SerialFraming.overhead, SerialFraming.overhead + length == size else {
            counters.badLengths += 1
            frame.removeAll(keepingCapacity: true)
            return nil
        }
        let dataEnd = 3 + length
        let received = UInt32(frame[dataEnd]) | UInt32(frame[dataEnd + 1]) << 8
            | UInt32(frame[dataEnd + 2]) << 16 | UInt32(frame[dataEnd + 3]) << 24
        let computed = frame.withUnsafeBytes { SerialCRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[3..<dataEnd])) }
        guard received == computed else {
            counters.crcMismatches += 1
            frame.removeAll(keepingCapacity: true)
            return nil
        }
        guard frame[0] == 0 || length == 0 else {
            counters.badFlags += 1
            frame.removeAll(keepingCapacity: true)
            return nil
        }
        counters.delivered += 1
        let good = SerialFrame(flags: frame[0], payload: frame[3..<dataEnd])
        // Keeps the capacity; allocates afresh only while `good.payload` holds the old storage.
        frame.removeAll(keepingCapacity: true)
        return good
    }
}
