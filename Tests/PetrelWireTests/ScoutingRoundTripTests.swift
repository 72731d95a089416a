import Testing
import PetrelTime
import PetrelWire

private func bytes(of m: ScoutingMessage) throws -> [UInt8] {
    try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
}

@Suite("Scouting messages")
struct ScoutingRoundTripTests {
    private func check(_ name: String, _ make: @escaping (inout SeededRandom) -> ScoutingMessage,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        roundTrip(name, make: make,
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try ScoutingMessage.decode(from: &r) },
                  sourceLocation: sourceLocation)
    }

    @Test func scout() { check("SCOUT") { .scout($0.scout()) } }
    @Test func hello() { check("HELLO") { .hello($0.hello()) } }

    @Test func scoutVector() throws {
        guard let v = Vectors.named("scouting_scout", file: "udp") else { Issue.record("no vector"); return }
        let m = try ScoutingMessage.decode(datagram: v.bytes[...])
        #expect(m == .scout(Scout(what: 0x03)))
        guard case .scout(let s) = m else { return }
        #expect(s.matches(.router) && s.matches(.peer) && !s.matches(.client))
        #expect(Scout(looking: [.router, .peer]) == s)
        #expect(try bytes(of: m) == v.bytes)
    }

    @Test func helloVector() throws {
        guard let v = Vectors.named("scouting_hello", file: "udp") else { Issue.record("no vector"); return }
        let m = try ScoutingMessage.decode(datagram: v.bytes[...])
        guard case .hello(let h) = m else { Issue.record("not a hello"); return }
        #expect(h.version == 0x09 && h.whatAmI == .router)
        #expect(h.zid.description == "ef246bf2387535bca193675b1d683baa")
        #expect(h.locators == ["tcp/127.0.0.1:27463"])
        #expect(try bytes(of: m) == v.bytes)
    }

    /// The I flag is 0x08 (a source comment says 0x04; the constant and the bytes agree on 0x08).
    @Test func scoutZIDFlag() throws {
        let zid = ZenohID(wireBytes: [0xaa, 0xbb])!
        #expect(try bytes(of: .scout(Scout(what: 0x04, zid: zid))) == [0x01, 0x09, 0x1c, 0xaa, 0xbb])
    }

    @Test func helloWithoutLocators() throws {
        let zid = ZenohID(wireBytes: [0x01])!
        #expect(try bytes(of: .hello(Hello(whatAmI: .peer, zid: zid))) == [0x02, 0x09, 0x01, 0x01])
        // L with a count of 0 is accepted (and re-encoded without L).
        #expect(try ScoutingMessage.decode(datagram: [0x22, 0x09, 0x01, 0x01, 0x00]) == .hello(Hello(whatAmI: .peer, zid: zid)))
    }

    @Test func unknownMandatoryExtension() throws {
        let m = [ZExtension(id: 0x0E, isMandatory: true, body: .zint(3))]
        let zid = ZenohID(wireBytes: [5, 6])!
        for message: ScoutingMessage in [.scout(Scout(what: 1, zid: zid, unknownExtensions: m)),
                                         .hello(Hello(whatAmI: .client, zid: zid, locators: ["udp/[::1]:7447"], unknownExtensions: m))] {
            let b = try bytes(of: message)
            #expect { try ScoutingMessage.decode(datagram: b[...]) } throws: {
                ($0 as? DecodeError)?.kind == .unknownMandatoryExtension
            }
        }
    }

    @Test func badInput() throws {
        // Whatami bits 11 in a Hello.
        #expect { try ScoutingMessage.decode(datagram: [0x02, 0x09, 0x03, 0x01]) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
        // A transport id is not a scouting message.
        #expect { try ScoutingMessage.decode(datagram: [0x04]) } throws: { ($0 as? DecodeError)?.kind == .unexpectedMessageID }
        // A locator count the datagram cannot hold.
        #expect { try ScoutingMessage.decode(datagram: [0x22, 0x09, 0x01, 0x01, 0x7f, 0x00]) } throws: { ($0 as? DecodeError)?.kind == .truncated }
        // A locator longer than 255 bytes is refused both ways.
        let long = String(repeating: "x", count: 256)
        #expect(throws: EncodeError.invalidValue("HELLO.locator")) {
            try bytes(of: .hello(Hello(whatAmI: .router, zid: ZenohID(wireBytes: [1])!, locators: [long])))
        }
        #expect(throws: EncodeError.invalidValue("SCOUT.what")) { try bytes(of: .scout(Scout(what: 0x08))) }
        // Truncated prefixes never trap.
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 2)
        for _ in 0..<300 {
            let b = try bytes(of: rng.bool() ? .scout(rng.scout()) : .hello(rng.hello()))
            for n in 0..<b.count {
                #expect(throws: DecodeError.self) { try ScoutingMessage.decode(datagram: b[0..<n]) }
            }
        }
    }
}
