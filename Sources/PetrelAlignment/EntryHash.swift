/// The 64-bit hashes alignment is built on: an entry's identity, its strata for the
/// difference estimator, and the short checksum of a coded symbol.
///
/// Our own mixing (xxHash64-style rounds over 8-byte little-endian words, a
/// MurmurHash3 finaliser to avalanche): fast on short keys, deterministic on every
/// platform, and independent of Swift's per-process-seeded `Hasher`, since both sides
/// of a reconciliation must compute the same value.
enum EntryHash {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    /// Fixed seed of entry IDs (changing it changes the wire meaning of IDs: protocol version).
    static let entrySeed: UInt64 = 0x5065_7472_656C_4131  // "PetrelA1"

    @inline(__always)
    static func round(_ acc: UInt64, _ word: UInt64) -> UInt64 {
        let a = acc &+ word &* prime2
        return ((a << 31) | (a >> 33)) &* prime1
    }

    /// MurmurHash3's 64-bit finaliser: every input bit flips each output bit with ~1/2 probability.
    @inline(__always)
    static func avalanche(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }

    /// The hash of a key's bytes, a timestamp (time and clock ID) and the tombstone flag.
    static func entry(key: String, time: UInt64, idLow: UInt64, idHigh: UInt64, tombstone: Bool) -> UInt64 {
        var key = key
        var h = key.withUTF8 { bytes -> UInt64 in
            var h = entrySeed &+ prime3 &+ UInt64(bytes.count) &* prime1
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                var w: UInt64 = 0
                for j in 0..<8 { w |= UInt64(bytes[i + j]) << (UInt64(j) * 8) }
                h = round(h, w)
                i += 8
            }
            if i < n {
                var w: UInt64 = 0
                var j: UInt64 = 0
                while i < n { w |= UInt64(bytes[i]) << (j * 8); i += 1; j += 1 }
                h = round(h, w ^ (0xA5 << 56))
            }
            return h
        }
        h = round(h, time)
        h = round(h, idLow)
        h = round(h, idHigh)
        h = round(h, tombstone ? 0x7F4A_7C15 : 0x1B87_3593)
        return avalanche(h)
    }

    /// A second hash of an ID (its stratum, its estimator fingerprint), independent of the first.
    @inline(__always)
    static func rehash(_ id: UInt64, salt: UInt64) -> UInt64 {
        avalanche(id ^ salt &* prime3)
    }

    /// The 16-bit checksum a coded symbol keeps to tell a pure symbol (one ID) from a mixed one.
    @inline(__always)
    static func check(_ id: UInt64) -> UInt16 {
        UInt16(truncatingIfNeeded: rehash(id, salt: 0xC3EC_C0DE) >> 48)
    }
}
