import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelTestSupport
import PetrelTime
import Testing

@testable import PetrelReplication

/// The aligner's own messages: random round trips, and malformed bytes refused without a trap.
@Suite("aligner messages")
struct ReplicationMessageTests {
    static func randomSample(_ rng: inout SplitMix64) -> StoredSample {
        let kind: StoredSample.Kind = Bool.random(using: &rng) ? .put : .delete
        let key = (0..<Int.random(in: 1...4, using: &rng)).map { _ in "k\(Int.random(in: 0...99, using: &rng))" }.joined(separator: "/")
        let payload = kind == .put ? (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } : []
        let schema: String? = Bool.random(using: &rng) ? "charset=utf-8" : nil
        let attachment: [UInt8]? = Bool.random(using: &rng) ? [1, 2, UInt8.random(in: 0...255, using: &rng)] : nil
        let ts = Timestamp(time: NTP64(rawValue: UInt64.random(in: 0...UInt64.max, using: &rng)), id: ZenohID.random(using: &rng))
        return StoredSample(key: key, kind: kind, payload: payload, encoding: .init(id: UInt16.random(in: 0...UInt16.max, using: &rng), schema: schema),
                            timestamp: ts, attachment: attachment)
    }

    @Test("records, record batches, entries queries, descriptors and align queries round-trip (random)")
    func roundTrips() throws {
        let seed = SplitMix64.testSeed(default: 14_2)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let s = Self.randomSample(&rng)
            #expect(try ReplicationRecord.decode(ReplicationRecord.encode(s)) == s, "seed \(seed)")
            let batch = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Self.randomSample(&rng) }
            #expect(try AlignerMessages.readRecords(AlignerMessages.records(batch)) == batch, "seed \(seed)")
            let keys = batch.map(\.key)
            #expect(try AlignerMessages.readEntriesQuery(AlignerMessages.entriesQuery(keys)) == keys, "seed \(seed)")
            let eras = Set([AlignmentEra.current, .hot, .warm, .cold].filter { _ in Bool.random(using: &rng) })
            let d = AlignerDescriptor(role: Bool.random(using: &rng) ? .edge : .replica, scope: try KeyExpr("site/**"), eras: eras)
            #expect(try AlignerDescriptor(decoding: d.encoded()) == d, "seed \(seed)")
            let msg = (0..<Int.random(in: 0...50, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let who = ZenohID.random(using: &rng)
            let q = try AlignerMessages.readAlignQuery(AlignerMessages.alignQuery(from: who, scope: try KeyExpr("site/pi7/**"), eras: eras, msg))
            #expect(q.initiator == who && q.scope.string == "site/pi7/**" && q.eras == eras && q.message == msg, "seed \(seed)")
        }
    }

    @Test("truncated and random bytes are refused with an error, never a trap (random)")
    func malformed() {
        let seed = SplitMix64.testSeed(default: 14_2)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let good = AlignerMessages.records([Self.randomSample(&rng), Self.randomSample(&rng)])
            let cut = Array(good.prefix(Int.random(in: 0..<good.count, using: &rng)))
            #expect(throws: ReplicationMessageError.self) { try AlignerMessages.readRecords(cut) }
            let noise = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? AlignerMessages.readRecords(noise)
            _ = try? AlignerMessages.readEntriesQuery(noise)
            _ = try? AlignerDescriptor(decoding: noise)
            _ = try? AlignerMessages.readAlignQuery(noise)
            _ = try? ReplicationRecord.decode(noise)
        }
    }
}

/// What one idle in-sync check costs on the wire: a digest publication (the
/// digest key space's payload), printed for the README.
@Suite("digest publication size")
struct DigestPublicationSizeTests {
    @Test("a replica's digest publication over 10,000 keys is small, whatever the key count")
    func size() throws {
        let now = SystemClock().now()
        var index = AlignmentIndex(layout: .default, scope: try KeyExpr("site/**"))
        var sizes: [Int: Int] = [:]
        var rng = SplitMix64(seed: 7)
        let id = ZenohID.random(using: &rng)
        for n in [0, 100, 10_000] {
            while index.count < n {
                let t = NTP64(rawValue: now.rawValue - UInt64.random(in: 0...NTP64.duration(milliseconds: 3_600_000), using: &rng))
                _ = index.apply(AlignmentEntry(key: "site/k\(index.count)", timestamp: Timestamp(time: t, id: id), isTombstone: false))
            }
            let d = AlignerDescriptor(role: .replica, scope: try KeyExpr("site/**"), eras: Set(AlignmentEra.allCases))
            sizes[n] = AlignerMessages.digest(d, wildcardHash: 0, index.digest(now: now)).count
        }
        print("digest publication bytes (scope site/**) by key count: \(sizes.sorted { $0.key < $1.key })")
        // The era fingerprints are fixed-size: only the counts' varints grow.
        #expect(sizes[10_000]! - sizes[0]! <= 6)
    }
}
