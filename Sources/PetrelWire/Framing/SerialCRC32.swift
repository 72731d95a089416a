/// The CRC-32 of zenoh's serial link (z-serial and zenoh-pico agree; zenoh-wire.md
/// §16). It is NOT the common zlib CRC-32: the register shifts right (bytes
/// LSB first) but is XORed with the unreflected polynomial 0x04C11DB7.
/// Initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF.
///
/// Check values: CRC(empty) = 0, CRC(`00 11 00`) = 0xF975EC73,
/// CRC("123456789") = 0xFC4F2BE9.
public struct SerialCRC32: Sendable {
    /// The running register (before the final XOR).
    public private(set) var register: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// The CRC of everything fed so far.
    public var value: UInt32 { ~register }

    public mutating func update(_ byte: UInt8) {
        register = (register >> 8) ^ Self.table[Int(UInt8(truncatingIfNeeded: register) ^ byte)]
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var r = register
        Self.table.withUnsafeBufferPointer { t in
            for b in bytes { r = (r >> 8) ^ t[Int(UInt8(truncatingIfNeeded: r) ^ b)] }
        }
        register = r
    }

    public mutating func update(_ bytes: ZBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = SerialCRC32()
        crc.update(bytes)
        return crc.value
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: ZBytes) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// `table[n]`: 8 right shifts of `n`, XORing the polynomial after each shift
    /// that drops a 1 bit.
    static let table: [UInt32] = (0..<256).map { (n: UInt32) -> UInt32 in
        var r = n
        for _ in 0..<8 { r = r & 1 == 1 ? 0x04C1_1DB7 ^ (r >> 1) : r >> 1 }
        return r
    }
}
