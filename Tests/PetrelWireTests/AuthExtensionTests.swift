import Testing
import PetrelWire

/// The Auth extension's inner chain and the user/password OpenSyn body
/// (AuthExtension.swift): random round trips, and the bytes Zenoh writes.
@Suite("Auth extension")
struct AuthExtensionTests {
    @Test func chainRoundTrips() {
        roundTrip("AUTH chain", make: { rng -> AuthExtension in
            var methods: [ZExtension] = []
            for _ in 0..<rng.int(1...4) {
                let body: ZExtension.Body
                switch rng.int(0...2) {
                case 0: body = .unit
                case 1: body = .zint(rng.zint())
                default: body = .bytes(rng.bytes())
                }
                methods.append(ZExtension(id: UInt8(rng.int(0...15)), isMandatory: rng.chance(4), body: body))
            }
            return AuthExtension(methods)
        }, encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
           decode: { (r) throws(DecodeError) in try AuthExtension.decode(r.readRest()) })
    }

    @Test func usrPwdOpenSynRoundTrips() {
        roundTrip("USRPWD OpenSyn", make: { rng in
            UsrPwdOpenSyn(user: Array(rng.bytes()), hmac: Array(rng.bytes(32)))
        }, encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
           decode: { (r) throws(DecodeError) in try UsrPwdOpenSyn.decode(from: &r) })
    }

    @Test("each method but the last carries Z; no methods is no extension at all")
    func bytes() throws {
        let two = AuthExtension([ZExtension(id: 1, body: .unit), ZExtension(id: 2, body: .zint(300))])
        #expect(two.encoded().map(Array.init) == [0x81, 0x22, 0xAC, 0x02])
        #expect(AuthExtension().encoded() == nil)
        #expect(try AuthExtension.decode(nil) == AuthExtension())
        #expect(try AuthExtension.decode([][...]) == AuthExtension())
        #expect(try AuthExtension.decode([0x81, 0x22, 0xAC, 0x02][...]).method(2)?.body == .zint(300))
    }

    @Test("a truncated chain or bytes after its last method are errors, never a trap")
    func malformed() {
        #expect(throws: DecodeError.self) { try AuthExtension.decode([0x82][...]) }
        #expect(throws: DecodeError.self) { try AuthExtension.decode([0x42, 0x05, 0x01][...]) }
        #expect(throws: DecodeError.self) { try AuthExtension.decode([0x02, 0x02][...]) }
        #expect(throws: DecodeError.self) { try AuthExtension.decode([0x62][...]) }
        var r = WireReader([0x05, 0x61])
        #expect(throws: DecodeError.self) { try UsrPwdOpenSyn.decode(from: &r) }
    }

    /// A device controls these bytes before it has proven anything: any input
    /// decodes or throws, never traps (seeded; PETREL_SEED replays).
    @Test func randomBytesNeverTrap() {
        let seed = SeededRandom.testSeed
        var rng = SeededRandom(seed: seed)
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = rng.bytes(24)
            if (try? AuthExtension.decode(bytes)) != nil { decoded += 1 }
            var r = WireReader(bytes)
            _ = try? UsrPwdOpenSyn.decode(from: &r)
        }
        #expect(decoded > 0, "PETREL_SEED=\(seed): some random inputs are valid chains")
    }
}
