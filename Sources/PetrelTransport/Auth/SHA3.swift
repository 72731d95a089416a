/// SHA3-256 (FIPS 202): the hash under Zenoh's user/password proof, which is
/// HMAC-SHA3-256 (zenoh-crypto's `hmac::sign`), not HMAC-SHA-256.
///
/// Standard library only, like the codec: the proof is a few hundred bytes
/// hashed once per handshake, so a plain Keccak-f[1600] is fast enough and
/// keeps BoringSSL's digest API (and a second crypto dependency) out of the
/// handshake. Checked against FIPS 202 vectors and Python's `hashlib` in
/// PetrelTransportTests.
struct SHA3_256 {
    /// The sponge's rate in bytes: 1600 bits − 2 × 256 bits of capacity.
    /// HMAC pads its key to this block size.
    static let rate = 136
    static let digestSize = 32

    private var state = [UInt64](repeating: 0, count: 25)
    /// Bytes absorbed that do not fill a whole block yet.
    private var pending: [UInt8] = []

    init() {}

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        pending.append(contentsOf: bytes)
        var start = 0
        while pending.count - start >= Self.rate {
            absorb(pending[start..<(start + Self.rate)])
            start += Self.rate
        }
        if start > 0 { pending.removeFirst(start) }
    }

    /// Pads (SHA-3 domain bits `01`, then `10*1`) and squeezes 32 bytes.
    consuming func finalize() -> [UInt8] {
        var block = pending
        block.append(0x06)
        while block.count < Self.rate { block.append(0) }
        block[Self.rate - 1] |= 0x80
        absorb(block[...])
        var out: [UInt8] = []
        out.reserveCapacity(Self.digestSize)
        for lane in state[0..<(Self.digestSize / 8)] {
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: lane >> (8 * UInt64(i)))) }
        }
        return out
    }

    static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var h = SHA3_256()
        h.update(bytes)
        return h.finalize()
    }

    /// XORs one block into the state, lanes little-endian, and permutes.
    private mutating func absorb(_ block: ArraySlice<UInt8>) {
        var i = block.startIndex
        for lane in 0..<(Self.rate / 8) {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(block[i + b]) << (8 * UInt64(b)) }
            state[lane] ^= v
            i += 8
        }
        Keccak.permute(&state)
    }
}

/// Keccak-f[1600]: 24 rounds of θ, ρ, π, χ, ι over 5 × 5 lanes of 64 bits
/// (lane (x, y) at index x + 5y).
enum Keccak {
    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// ρ rotation of lane x + 5y.
    static let rotations: [UInt64] = [
        0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14,
    ]

    static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for round in 0..<24 {
            // θ: each column's parity folded into its neighbours.
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            // ρ and π: rotate each lane, move (x, y) to (y, 2x + 3y).
            for x in 0..<5 {
                for y in 0..<5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], rotations[x + 5 * y])
                }
            }
            // χ: the only non-linear step, along rows.
            for y in 0..<5 {
                for x in 0..<5 {
                    a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y])
                }
            }
            // ι
            a[0] ^= roundConstants[round]
        }
    }

    @inline(__always)
    static func rotl(_ v: UInt64, _ n: UInt64) -> UInt64 {
        n == 0 ? v : (v << n) | (v >> (64 - n))
    }
}

/// HMAC (RFC 2104) over SHA3-256, block size 136 bytes, as the Rust `hmac`
/// crate computes it for `Hmac<Sha3_256>`.
enum HMACSHA3_256 {
    static func authenticationCode<K: Collection, D: Collection>(key: K, data: D) -> [UInt8]
    where K.Element == UInt8, D.Element == UInt8 {
        var k = key.count > SHA3_256.rate ? SHA3_256.hash(key) : Array(key)
        k += [UInt8](repeating: 0, count: SHA3_256.rate - k.count)
        var inner = SHA3_256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(data)
        let innerDigest = inner.finalize()
        var outer = SHA3_256()
        outer.update(k.map { $0 ^ 0x5C })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Compares two codes in time that depends only on their lengths, so a
    /// device probing passwords learns nothing from how fast it is refused.
    static func equal(_ a: [UInt8], _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}
