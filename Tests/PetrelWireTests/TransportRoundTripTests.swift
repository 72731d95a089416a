import Testing
import PetrelTime
import PetrelWire

/// Encodes `m` into a fresh buffer.
private func bytes(of m: TransportMessage) throws -> [UInt8] {
    try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
}

/// Decodes one transport message that must take all of `b`.
private func decodeOne(_ b: [UInt8]) throws(DecodeError) -> TransportMessage {
    var r = WireReader(b)
    let m = try TransportMessage.decode(from: &r)
    guard r.isAtEnd else { throw DecodeError(.invalidValue, "trailing bytes", value: UInt64(r.remaining)) }
    return m
}

@Suite("Transport messages round-trip")
struct TransportRoundTripTests {
    private func check(_ name: String, _ make: @escaping (inout SeededRandom) -> TransportMessage,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        roundTrip(name, make: make,
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try TransportMessage.decode(from: &r) },
                  sourceLocation: sourceLocation)
    }

    @Test func initSyn() { check("INIT_SYN") { .initSyn($0.initSyn()) } }
    @Test func initAck() { check("INIT_ACK") { .initAck($0.initAck()) } }
    @Test func openSyn() { check("OPEN_SYN") { .openSyn($0.openSyn()) } }
    @Test func openAck() { check("OPEN_ACK") { .openAck($0.openAck()) } }
    @Test func close() { check("CLOSE") { .close($0.close()) } }
    @Test func keepAlive() { check("KEEP_ALIVE") { .keepAlive($0.keepAlive()) } }
    @Test func frame() { check("FRAME") { .frame($0.frame()) } }
    @Test func fragment() { check("FRAGMENT") { .fragment($0.fragment()) } }
    @Test func join() { check("JOIN") { .join($0.join()) } }
    @Test func oam() { check("OAM") { .oam($0.transportOAM()) } }

    @Test func frameHeaderAlone() {
        roundTrip("FRAME header", make: { $0.frameHeader() },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in
                      try FrameHeader.decode(header: try r.readByte("header"), from: &r)
                  })
    }

    /// Several messages in one batch: frames end where the next transport message starts.
    @Test func batches() {
        roundTrip("batch", count: 1000, make: { $0.batchMessages() },
                  encode: { (ms, w) throws(EncodeError) in for m in ms { try m.encode(into: &w) } },
                  decode: { (r) throws(DecodeError) in try TransportMessage.decodeBatch(r.readRest()) })
    }

    /// Whole-second leases travel in seconds (T), others in milliseconds.
    @Test func leaseUnits() throws {
        let tenSeconds = try bytes(of: .openAck(OpenAck(leaseMilliseconds: 10_000, initialSN: 5)))
        #expect(tenSeconds == [0x62, 0x0a, 0x05])
        let odd = try bytes(of: .openAck(OpenAck(leaseMilliseconds: 2500, initialSN: 5)))
        #expect(odd == [0x22, 0xc4, 0x13, 0x05])
        let join = try bytes(of: .join(Join(whatAmI: .peer, zid: ZenohID(wireBytes: [1])!, leaseMilliseconds: 3000,
                                            nextSN: JoinSNPair(reliable: 1, bestEffort: 2))))
        #expect(join == [0x27, 0x09, 0x01, 0x01, 0x03, 0x01, 0x02])
    }

    /// S is set exactly when resolution or batch size differ from the default.
    @Test func sizeParamsFlag() throws {
        let zid = ZenohID(wireBytes: [1, 2, 3, 4, 5, 6, 7, 8])!
        #expect(try bytes(of: .initSyn(InitSyn(whatAmI: .client, zid: zid))) == [UInt8](hex: "0109720102030405060708"))
        #expect(try bytes(of: .initSyn(InitSyn(whatAmI: .client, zid: zid, batchSize: 2048)))
            == [UInt8](hex: "41097201020304050607080a0008"))
        #expect(try bytes(of: .initSyn(InitSyn(whatAmI: .client, zid: zid, resolution: 0x05)))
            == [UInt8](hex: "4109720102030405060708" + "05ffff"))
    }

    @Test func priorityExtensionOnFrame() throws {
        let f = Frame(sn: 0x0d, priority: .control, messages: [])
        #expect(try bytes(of: .frame(f)) == [0xa5, 0x0d, 0x31, 0x00])
        let data = Frame(reliability: .bestEffort, sn: 1, priority: .data, messages: [])
        #expect(try bytes(of: .frame(data)) == [0x85, 0x01, 0x31, 0x05])
        #expect(try bytes(of: .frame(Frame(reliability: .bestEffort, sn: 1, messages: []))) == [0x05, 0x01])
    }

    @Test func emptyFrameIsLegal() throws {
        #expect(try decodeOne([0x25, 0x07]) == .frame(Frame(sn: 7, messages: [])))
        let batch = try TransportMessage.decodeBatch([0x25, 0x07, 0x04][...])
        #expect(batch == [.frame(Frame(sn: 7, messages: [])), .keepAlive(KeepAlive())])
    }

    @Test func joinQoSNeedsEightPairs() throws {
        var j = Join(whatAmI: .peer, zid: ZenohID(wireBytes: [9])!, leaseMilliseconds: 1, nextSN: JoinSNPair(reliable: 0, bestEffort: 0),
                     qosNextSNs: [JoinSNPair(reliable: 1, bestEffort: 2)])
        #expect(throws: EncodeError.invalidValue("JOIN.qosNextSNs")) { try bytes(of: .join(j)) }
        // A QoS ext body with 7 pairs runs short; with a trailing byte it is invalid.
        j.qosNextSNs = nil
        var b = try bytes(of: .join(j))
        b[0] |= 0x80
        let short = b + [0x51, 14] + [UInt8](repeating: 0, count: 14)
        #expect { try decodeOne(short) } throws: { ($0 as? DecodeError)?.kind == .truncated }
        let long = b + [0x51, 17] + [UInt8](repeating: 0, count: 17)
        #expect { try decodeOne(long) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
        let exact = b + [0x51, 16] + [UInt8](repeating: 3, count: 16)
        guard case .join(let back) = try decodeOne(exact) else { Issue.record("not a join"); return }
        #expect(back.qosNextSNs == Array(repeating: JoinSNPair(reliable: 3, bestEffort: 3), count: 8))
    }

    @Test func openAcceptsShmAsZIntOrBytes() throws {
        // 1.10.2 sends `42` (bytes); the protocol source declares `22` (zint).
        guard case .openAck(let a) = try decodeOne([0xe2, 0x0a, 0x05, 0x42, 0x01, 0x00]) else { Issue.record("not an ack"); return }
        #expect(a.shm == [0x00][...] && a.shmZInt == nil)
        guard case .openAck(let b) = try decodeOne([0xe2, 0x0a, 0x05, 0x22, 0x07]) else { Issue.record("not an ack"); return }
        #expect(b.shmZInt == 7 && b.shm == nil)
    }
}

@Suite("Transport messages reject bad input")
struct TransportDecodeErrorTests {
    private static let mandatory = ZExtension(id: 0x0E, isMandatory: true, body: .unit)

    /// Every message type, each carrying an unknown mandatory extension.
    private static var withMandatory: [(String, TransportMessage)] {
        let zid = ZenohID(wireBytes: [1, 2, 3])!
        let m = [mandatory]
        return [
            ("INIT_SYN", .initSyn(InitSyn(whatAmI: .client, zid: zid, qos: true, unknownExtensions: m))),
            ("INIT_ACK", .initAck(InitAck(whatAmI: .router, zid: zid, cookie: [1, 2], unknownExtensions: m))),
            ("OPEN_SYN", .openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 1, cookie: [3], unknownExtensions: m))),
            ("OPEN_ACK", .openAck(OpenAck(leaseMilliseconds: 10_000, initialSN: 1, unknownExtensions: m))),
            ("CLOSE", .close(Close(reason: Close.expired, unknownExtensions: m))),
            ("KEEP_ALIVE", .keepAlive(KeepAlive(unknownExtensions: m))),
            ("FRAME", .frame(Frame(sn: 1, priority: .control, unknownExtensions: m, messages: []))),
            ("FRAGMENT", .fragment(Fragment(more: true, sn: 1, first: true, unknownExtensions: m, payload: [1]))),
            ("JOIN", .join(Join(whatAmI: .peer, zid: zid, leaseMilliseconds: 1000,
                                nextSN: JoinSNPair(reliable: 1, bestEffort: 1), unknownExtensions: m))),
            ("OAM", .oam(TransportOAM(id: 3, body: .zint(4), unknownExtensions: m))),
        ]
    }

    @Test func unknownMandatoryExtension() throws {
        for (name, message) in Self.withMandatory {
            let b = try bytes(of: message)
            do {
                _ = try decodeOne(b)
                Issue.record("\(name): decoded despite an unknown mandatory extension")
            } catch {
                #expect(error.kind == .unknownMandatoryExtension, "\(name): \(error)")
                #expect(error.value == UInt64(Self.mandatory.key), "\(name): \(error)")
            }
        }
    }

    @Test func unknownTransportID() {
        for header: UInt8 in [0x08, 0x1d, 0x3f, 0x11] {
            #expect { try decodeOne([header, 0, 0]) } throws: {
                ($0 as? DecodeError)?.kind == .unexpectedMessageID && ($0 as? DecodeError)?.value == UInt64(header)
            }
        }
    }

    @Test func badWhatAmI() {
        // INIT flags with whatami bits 11.
        #expect { try decodeOne([0x01, 0x09, 0x03, 0x01]) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
        // JOIN likewise.
        #expect { try decodeOne([0x07, 0x09, 0x03, 0x01, 0x01, 0x00, 0x00]) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
    }

    @Test func leaseInSecondsOverflow() {
        // T set and u64.max seconds: milliseconds do not fit.
        let b: [UInt8] = [0x62] + [UInt8](repeating: 0xff, count: 9) + [0x01]
        #expect { try decodeOne(b) } throws: { ($0 as? DecodeError)?.kind == .valueOutOfRange }
    }

    @Test func oamReservedEncoding() {
        #expect { try decodeOne([0x60, 0x01]) } throws: { ($0 as? DecodeError)?.kind == .invalidValue }
    }

    @Test func initAckCookieBound() {
        let ack = InitAck(whatAmI: .router, zid: ZenohID(wireBytes: [1])!, cookie: [UInt8](repeating: 0, count: 65536)[...])
        #expect(throws: EncodeError.invalidValue("INIT_ACK.cookie")) { try bytes(of: .initAck(ack)) }
    }

    /// Every prefix of a valid encoding either decodes or throws: never traps.
    @Test func truncatedInputNeverTraps() throws {
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 1)
        for _ in 0..<300 {
            let b = try bytes(of: rng.transportMessage())
            for n in 0..<b.count {
                _ = try? TransportMessage.decodeBatch(b[0..<n])
            }
        }
    }
}

@Suite("Transport vectors from zenoh 1.10.2")
struct TransportVectorTests {
    /// The batch of vector `name`, decoded to one message; also checks that
    /// re-encoding gives the captured bytes.
    private func decoded(_ name: String, file: String = "tcp",
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> TransportMessage? {
        guard let v = Vectors.named(name, file: file) else {
            Issue.record("no vector \(name) in \(file)", sourceLocation: sourceLocation)
            return nil
        }
        let batch = Vectors.batch(of: v)
        let messages = try TransportMessage.decodeBatch(batch)
        #expect(messages.count == 1, "\(name)", sourceLocation: sourceLocation)
        guard let m = messages.first else { return nil }
        let again = try bytes(of: m)
        #expect(again == Array(batch), "\(name): re-encoded \(again.hex)\n   captured \(Array(batch).hex)",
                sourceLocation: sourceLocation)
        return m
    }

    @Test func initSyn() throws {
        guard case .initSyn(let m) = try decoded("init_syn") else { Issue.record("not an InitSyn"); return }
        #expect(m.version == 0x09 && m.whatAmI == .client)
        #expect(m.zid.description == "79a664f9635b8892320989b061577f7f")
        #expect(m.resolution == 0x0A && m.batchSize == 65480)
        #expect(m.qos && m.shm == [UInt8](hex: "b9c4b1ef06")![...] && m.patch == 1)
        #expect(m.qosLink == nil && m.auth == nil && !m.lowLatency && m.unknownExtensions.isEmpty)
    }

    @Test func initAckAndOpenSynCarryTheSameCookie() throws {
        guard case .initAck(let ack) = try decoded("init_ack") else { Issue.record("not an InitAck"); return }
        #expect(ack.whatAmI == .router && ack.zid.description == "3742cba78e82aeedf76194e3e08bc8e6")
        #expect(ack.resolution == 0x0A && ack.batchSize == 49152 && ack.cookie.count == 49)
        #expect(ack.qos && ack.shm?.count == 14 && ack.patch == 1)
        guard case .openSyn(let syn) = try decoded("open_syn") else { Issue.record("not an OpenSyn"); return }
        #expect(syn.leaseMilliseconds == 10_000 && syn.initialSN == 93_273_330)
        #expect(Array(syn.cookie) == Array(ack.cookie))
        #expect(syn.shm?.count == 18 && syn.shmZInt == nil)
    }

    @Test func openAck() throws {
        guard case .openAck(let m) = try decoded("open_ack") else { Issue.record("not an OpenAck"); return }
        #expect(m.leaseMilliseconds == 10_000 && m.initialSN == 28_007_695)
        #expect(m.shm == [UInt8](hex: "0108090a0b0c0d0e0f")![...])
    }

    @Test func keepAliveAndClose() throws {
        #expect(try decoded("keepalive_client") == .keepAlive(KeepAlive()))
        #expect(try decoded("close_client") == .close(Close(reason: Close.generic, closesSession: false)))
        #expect(try decoded("close_router") == .close(Close(reason: Close.generic, closesSession: false)))
        #expect(try decoded("close_invalid_wrong_version") == .close(Close(reason: Close.invalid)))
    }

    @Test func minimalAndSmallBatchClient() throws {
        let testZID = ZenohID(wireBytes: [1, 2, 3, 4, 5, 6, 7, 8])!
        guard case .initAck(let ack) = try decoded("minimal_client_init_ack") else { Issue.record("not an InitAck"); return }
        #expect(ack.whatAmI == .router && ack.batchSize == 49152 && ack.resolution == 0x0A)
        #expect(ack.cookie.count == 33 && !ack.qos && ack.patch == nil && ack.unknownExtensions.isEmpty)

        guard case .initSyn(let small) = try decoded("small_batch_init_syn") else { Issue.record("not an InitSyn"); return }
        #expect(small == InitSyn(whatAmI: .client, zid: testZID, resolution: 0x05, batchSize: 2048))
        guard case .initAck(let smallAck) = try decoded("small_batch_init_ack") else { Issue.record("not an InitAck"); return }
        #expect(smallAck.resolution == 0x05 && smallAck.batchSize == 2048 && smallAck.cookie.count == 33)

        guard case .initSyn(let qos) = try decoded("qos_client_init_syn") else { Issue.record("not an InitSyn"); return }
        #expect(qos == InitSyn(whatAmI: .client, zid: testZID, qos: true))
    }

    @Test func fragmentsReassembleToOnePush() throws {
        var parts: [Fragment] = []
        for name in ["fragment_first", "fragment_middle", "fragment_last"] {
            guard case .fragment(let f) = try decoded(name) else { Issue.record("\(name) not a fragment"); return }
            parts.append(f)
        }
        #expect(parts.map(\.sn) == [93_273_339, 93_273_340, 93_273_341])
        #expect(parts.map(\.more) == [true, true, false])
        #expect(parts.map(\.first) == [true, false, false])
        #expect(parts.allSatisfy { $0.reliability == .reliable && $0.priority == nil && !$0.drop })
        #expect(parts.map(\.payload.count) == [49144, 49145, 1720])
        let whole = parts.flatMap { Array($0.payload) }
        var r = WireReader(whole)
        let push = try NetworkMessage.decode(from: &r)
        #expect(r.isAtEnd)
        guard case .push(let p) = push, case .put(let put) = p.body else { Issue.record("not a PUSH PUT"); return }
        #expect(put.payload.count == 100_000 && put.payload.allSatisfy { $0 == 0x78 })
    }

    @Test func everyTCPLengthPrefixMatches() {
        let tcp = Vectors.all.filter { $0.file.hasSuffix("tcp") }
        #expect(tcp.count > 50)
        for v in tcp { _ = Vectors.batch(of: v) }
    }

    /// Every captured batch (but scouting) decodes whole and re-encodes to the same bytes.
    @Test func everyCapturedBatchRoundTrips() throws {
        for v in Vectors.all where !v.name.hasPrefix("scouting") {
            let batch = Vectors.batch(of: v)
            do {
                let messages = try TransportMessage.decodeBatch(batch)
                let again = try encoded { (w: inout WireWriter) throws(EncodeError) in
                    for m in messages { try m.encode(into: &w) }
                }
                #expect(again == Array(batch), "\(v.file) \(v.name)")
            } catch {
                Issue.record("\(v.file) \(v.name): \(error)")
            }
        }
    }
}
