import Testing
import PetrelTime
import PetrelWire

extension SeededRandom {
    mutating func linkState() -> LinkState {
        let links = (0..<int(0...4)).map { _ in zint(UInt64.self) }
        return LinkState(psid: zint(), sn: zint(), zid: bool() ? zid() : nil, whatAmI: bool() ? whatAmI() : nil,
                         locators: bool() ? (0..<int(0...3)).map { _ in locator() } : nil, links: links,
                         weights: bool() ? links.map { _ in zint(UInt16.self) } : nil, isGateway: chance(4))
    }
}

/// Gossip's link-state list (the body of network OAM id 1), as 1.10.2 peers send it.
@Suite("Gossip link states")
struct LinkStateTests {
    @Test func randomRoundTrip() {
        roundTrip("LINK_STATE_LIST", make: { rng in LinkStateList((0..<rng.int(0...4)).map { _ in rng.linkState() }) },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in
                      let rest = r.readRest()
                      return try LinkStateList.decode(rest)
                  })
    }

    /// Captured: a Python 1.10.2 peer A (listening on 17450) to a new peer B,
    /// right after Open: a Frame holding this OAM, then A's declarations.
    @Test func capturedGossip() throws {
        guard let oam = [UInt8](hex: "df0121084202070002109e1b80fc809c40c82cdb466a5ffeb98d0201137463702f3132372e302e302e313a3137343530000301001046c58619f3aa044b530683df0e4f33cd0200") else { Issue.record("bad hex"); return }
        var r = WireReader(oam)
        guard case .oam(let m) = try NetworkMessage.decode(from: &r), case .bytes(let body) = m.body else {
            Issue.record("not an OAM with a body"); return
        }
        #expect(m.id == LinkStateList.oamID && m.qos == .declare)
        let list = try LinkStateList.decode(body)
        #expect(list.states.count == 2)
        let a = list.states[0], b = list.states[1]
        #expect(a.psid == 0 && a.sn == 2 && a.whatAmI == .peer && a.locators == ["tcp/127.0.0.1:17450"] && a.links.isEmpty)
        #expect(a.zid?.description == "8db9fe5f6a46db2cc8409c80fc801b9e")
        #expect(b.psid == 1 && b.sn == 0 && b.whatAmI == .peer && b.locators == nil)
        #expect(b.zid?.description == "cd334f0edf8306534b04aaf31986c546")
        // Our encoder writes the same bytes, message and all.
        #expect(try encoded { (w: inout WireWriter) throws(EncodeError) in try NetworkMessage.oam(list.oam()).encode(into: &w) } == oam)
    }

    @Test func badInput() throws {
        // whatami must be one bit of the bitmap.
        #expect { try LinkStateList.decode([0x01, 0x02, 0x00, 0x00, 0x03, 0x00][...]) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
        // Counts the bytes cannot hold.
        #expect { try LinkStateList.decode([0x7f][...]) } throws: { ($0 as? DecodeError)?.kind == .truncated }
        #expect { try LinkStateList.decode([0x01, 0x00, 0x00, 0x00, 0x7f][...]) } throws: { ($0 as? DecodeError)?.kind == .truncated }
        // Weights must match the links.
        #expect(throws: EncodeError.invalidValue("LINK_STATE.weights")) {
            try encoded { (w: inout WireWriter) throws(EncodeError) in try LinkState(psid: 0, sn: 0, links: [1], weights: []).encode(into: &w) }
        }
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 3)
        for _ in 0..<300 {
            let b = try encoded { (w: inout WireWriter) throws(EncodeError) in try LinkStateList([rng.linkState()]).encode(into: &w) }
            for n in 0..<b.count { #expect(throws: DecodeError.self) { try LinkStateList.decode(b[0..<n]) } }
        }
    }
}
