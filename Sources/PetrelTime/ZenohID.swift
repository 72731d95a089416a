/// A Zenoh ID: a non-zero 128-bit identifier of a session or clock.
///
/// The wire form is the little-endian bytes of the integer with the most
/// significant zero bytes removed (1...16 bytes); the text form is the lowercase
/// hex of the integer without leading zeros. So the wire bytes are the text's
/// bytes in reverse order (zenoh-wire.md §2.4).
public struct ZenohID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Least significant 64 bits.
    public var low: UInt64
    /// Most significant 64 bits.
    public var high: UInt64

    /// Makes an ID from its two halves; `nil` when both are zero (Zenoh forbids a zero ID).
    @inlinable
    public init?(high: UInt64, low: UInt64) {
        if high == 0 && low == 0 { return nil }
        self.high = high
        self.low = low
    }

    /// A random 16-byte ID whose most significant byte is non-zero, so its wire
    /// form is always 16 bytes long.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ZenohID {
        var high = UInt64.random(in: 0...UInt64.max, using: &generator)
        let low = UInt64.random(in: 0...UInt64.max, using: &generator)
        if high >> 56 == 0 { high |= UInt64(UInt8.random(in: 1...255, using: &generator)) << 56 }
        return ZenohID(high: high, low: low)!
    }

    public static func random() -> ZenohID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// Number of bytes of the wire form (1...16).
    public var wireLength: Int {
        if high != 0 { return 16 - high.leadingZeroBitCount / 8 }
        return 8 - low.leadingZeroBitCount / 8
    }

    /// Byte `i` (0 = least significant) of the little-endian form.
    @inlinable
    public func byte(_ i: Int) -> UInt8 {
        i < 8 ? UInt8(truncatingIfNeeded: low >> (UInt64(i) * 8))
              : UInt8(truncatingIfNeeded: high >> (UInt64(i - 8) * 8))
    }

    /// The wire bytes (little-endian, trailing zero bytes removed).
    public var wireBytes: [UInt8] { (0..<wireLength).map { byte($0) } }

    /// Makes an ID from wire bytes (little-endian, 1...16 bytes). Returns `nil`
    /// for an empty, over-long or all-zero sequence. Trailing zero bytes are
    /// accepted and canonicalised away, as Rust does.
    @inlinable
    public init?<C: Collection>(wireBytes: C) where C.Element == UInt8 {
        // Inlinable so decoders specialise it: an unspecialised generic walk
        // here cost more than the rest of decoding a timestamped sample.
        guard (1...16).contains(wireBytes.count) else { return nil }
        var low: UInt64 = 0, high: UInt64 = 0
        var i: UInt64 = 0
        for b in wireBytes {
            if i < 8 { low |= UInt64(b) << (i * 8) } else { high |= UInt64(b) << ((i - 8) * 8) }
            i += 1
        }
        self.init(high: high, low: low)
    }

    /// Parses the text form: 1...32 hex digits, not all zero. Returns `nil` otherwise.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard (1...32).contains(utf8.count) else { return nil }
        var low: UInt64 = 0, high: UInt64 = 0
        for c in utf8 {
            let v: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            high = (high << 4) | (low >> 60)
            low = (low << 4) | v
        }
        self.init(high: high, low: low)
    }

    /// Lowercase hex without leading zeros, as Zenoh prints IDs.
    public var description: String {
        if high == 0 { return String(low, radix: 16) }
        let lowHex = String(low, radix: 16)
        return String(high, radix: 16) + String(repeating: "0", count: 16 - lowHex.count) + lowHex
    }

    /// Zenoh (uhlc) orders IDs by their little-endian bytes, least significant
    /// byte first, which is what breaks ties between equal timestamp times.
    public static func < (a: ZenohID, b: ZenohID) -> Bool {
        (a.low.byteSwapped, a.high.byteSwapped) < (b.low.byteSwapped, b.high.byteSwapped)
    }
}
