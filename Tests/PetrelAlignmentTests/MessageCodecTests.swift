@testable import PetrelAlignment
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime
import Testing

private func randomSubject(_ g: inout SplitMix64) -> AlignmentMessage.Subject {
    let scopes = ["**", "site/**", "site/pi7/**", "a/*/c", "ünï/cødé/**", "x"]
    let from = UInt64.random(in: 0...UInt64.max / 2, using: &g)
    return .init(turn: g.int(0...1000), scope: kx(scopes[g.int(0...scopes.count - 1)]), subIntervalMillis: UInt64(g.int(1...100_000)),
                 window: AlignmentWindow(from: from, to: from + UInt64(g.int(0...1_000_000))))
}

private func randomFingerprint(_ g: inout SplitMix64) -> AlignmentFingerprint {
    AlignmentFingerprint(count: UInt64.random(in: 0...UInt64.max >> UInt64(g.int(0...63)), using: &g), sum: g.next())
}

private func randomEntries(_ g: inout SplitMix64) -> [AlignmentEntry] {
    let n = g.int(0...40)
    var seen = Set<String>()
    var out: [AlignmentEntry] = []
    for _ in 0..<n {
        let key = ["site/", "site/pi7/", "é/", ""][g.int(0...3)] + String(g.next() % 100_000, radix: 36)
        guard seen.insert(key).inserted else { continue }
        let id = g.int(0...4) == 0 ? ZenohID(high: 0, low: UInt64(g.int(1...255)))! : ZenohID.random(using: &g)
        out.append(AlignmentEntry(key: key, timestamp: Timestamp(time: NTP64(rawValue: g.next()), id: id), isTombstone: g.int(0...1) == 0))
    }
    return out.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
}

private func randomSymbols(_ g: inout SplitMix64, atLeastOne: Bool) -> [CodedSymbol] {
    let n = atLeastOne ? g.int(1...50) : g.int(0...1) * g.int(1...50)
    return (0..<n).map { _ in
        CodedSymbol(idXor: g.next(), checkXor: UInt16.random(in: 0...UInt16.max, using: &g),
                    count: g.int(0...9) == 0 ? Int64(bitPattern: g.next()) : Int64.random(in: -1000...1000, using: &g))
    }
}

func randomMessage(_ g: inout SplitMix64) -> AlignmentMessage {
    switch g.int(0...4) {
    case 0:
        return .open(.init(subject: randomSubject(&g), fingerprint: randomFingerprint(&g),
                           estimator: DifferenceEstimator(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })))
    case 1:
        let from = g.int(0...5000)
        return .request(.init(subject: randomSubject(&g), wanted: (0..<g.int(0...30)).map { _ in UInt32(truncatingIfNeeded: g.next()) },
                              symbolsFrom: from, symbolCount: g.int(0...5000), listAll: g.int(0...1) == 0, sampleLevel: g.int(0...63)))
    case 4:
        return .sketch(.init(subject: randomSubject(&g), fingerprint: randomFingerprint(&g), responderSymbols: g.int(0...100_000),
                             symbols: randomSymbols(&g, atLeastOne: true)))
    case 2:
        return .inSync(turn: g.int(0...65_536))
    default:
        let symbols = randomSymbols(&g, atLeastOne: false)
        return .reply(.init(turn: g.int(0...65_536), fingerprint: g.int(0...1) == 0 ? nil : randomFingerprint(&g),
                            symbolsFrom: symbols.isEmpty ? 0 : g.int(0...10_000), symbols: symbols,
                            sampleLevel: symbols.isEmpty ? 0 : g.int(0...63),
                            entries: randomEntries(&g), isFullListing: g.int(0...1) == 0,
                            initiatorOnly: g.int(0...1) == 0 ? nil : (0..<g.int(0...20)).map { _ in UInt32(truncatingIfNeeded: g.next()) }))
    }
}

@Suite("Alignment: message codecs")
struct MessageCodecTests {
    @Test("every message type round-trips: random open, request, sketch, in-sync and reply messages")
    func roundTrip() throws {
        let seed = SplitMix64.testSeed(default: 0xC0DE_0001)
        var g = SplitMix64(seed: seed)
        var kinds = Set<String>()
        for i in 0..<3000 {
            let m = randomMessage(&g)
            kinds.insert(m.kindName)
            let decoded = try AlignmentMessage(decoding: m.encoded())
            #expect(decoded == m, "seed \(seed) message \(i)")
        }
        #expect(kinds == ["open", "request", "sketch", "in-sync", "reply"])
    }

    @Test("random digests round-trip and stay within 64 bytes for realistic values")
    func digestRoundTrip() throws {
        let seed = SplitMix64.testSeed(default: 0xC0DE_0002)
        var g = SplitMix64(seed: seed)
        for i in 0..<2000 {
            let layout = AlignmentLayout(subIntervalMillis: UInt64(g.int(1...86_400_000)), subIntervalsPerInterval: g.int(1...1000),
                                         hotIntervals: g.int(0...1000), warmIntervals: g.int(0...100_000))
            let d = AlignmentDigest(layout: layout, settledEnd: g.next() >> UInt64(g.int(0...63)), hot: randomFingerprint(&g),
                                    warm: randomFingerprint(&g), cold: randomFingerprint(&g))
            #expect(try AlignmentDigest(decoding: d.encoded()) == d, "seed \(seed) digest \(i)")
        }
        var index = AlignmentIndex(layout: .default, scope: kx("**"))
        for i in 0..<100_000 { _ = index.apply(randomEntry(&g, key: "k\(i)", maxAge: 100_000, minAge: 0)) }
        #expect(index.digest(now: testNow).encoded().count <= 64)
    }

    @Test("malformed bytes throw, never trap: random bytes, truncations and bit flips of valid messages")
    func malformed() {
        let seed = SplitMix64.testSeed(default: 0xC0DE_0003)
        var g = SplitMix64(seed: seed)
        var index = AlignmentIndex(layout: .default, scope: kx("**"))
        for i in 0..<300 { _ = index.apply(randomEntry(&g, key: "k\(i)")) }
        for _ in 0..<20_000 {
            var bytes: [UInt8]
            switch g.int(0...2) {
            case 0:
                bytes = (0..<g.int(0...80)).map { _ in UInt8.random(in: 0...255, using: &g) }
                if !bytes.isEmpty && g.int(0...1) == 0 { bytes[0] = [0x10, 0x21, 0x22, 0x23, 0x31, 0x32][g.int(0...5)] }
            case 1:
                bytes = randomMessage(&g).encoded()
                bytes = Array(bytes.prefix(g.int(0...bytes.count)))
            default:
                bytes = randomMessage(&g).encoded()
                for _ in 0..<g.int(1...3) where !bytes.isEmpty {
                    bytes[g.int(0...bytes.count - 1)] ^= UInt8(1) << UInt8(g.int(0...7))
                }
            }
            // Decoding either succeeds or throws; the responder and an initiator survive anything.
            _ = try? AlignmentMessage(decoding: bytes)
            _ = try? AlignmentDigest(decoding: bytes)
            _ = try? AlignmentMessageInfo.scope(of: bytes)
            _ = try? AlignmentResponder.reply(to: bytes, index: index, now: testNow)
            var initiator = AlignmentInitiator(index: index, peerScope: kx("**"), now: testNow, eras: [.hot])
            _ = initiator.firstMessage()
            _ = try? initiator.receive(bytes)
        }
        #expect(throws: AlignmentMessageError.self) { try AlignmentMessage(decoding: []) }
        #expect(throws: AlignmentMessageError.self) { try AlignmentMessage(decoding: [0x31, 0x00, 0x00]) }
        #expect(throws: AlignmentMessageError.self) { try AlignmentMessage(decoding: [0x32] + [UInt8](repeating: 0xFF, count: 12)) }
        #expect(throws: (any Error).self) { try AlignmentDigest(decoding: [0x10, 0x80]) }
    }
}
