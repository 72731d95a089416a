import Foundation
import PetrelAlignment
import PetrelKeyExpr
import PetrelTime
import Testing

@testable import PetrelReplication

/// The aligner's top-down answers (eras → intervals → sub-intervals → entries): the counts
/// and fingerprints of each level add up to the level above, they follow one change down
/// to its sub-interval, and bad parameters are refusals naming the parameter.
@Suite("aligner browse")
struct AlignerBrowseTests {
    let now = NTP64(seconds: 1_800_000_000, nanoseconds: 0)
    let writer = ZenohID(high: 0, low: 0x91)!

    func ts(agoMs: UInt64) -> Timestamp {
        Timestamp(time: NTP64(rawValue: now.rawValue - NTP64.duration(milliseconds: agoMs)), id: writer)
    }

    /// Entries in every era of the default layout: cold (2 h), warm (2 min), hot (3–25 s), current (0.1 s).
    func sampleIndex() throws -> AlignmentIndex {
        var index = AlignmentIndex(layout: .default, scope: try KeyExpr("site/**"))
        let ages: [UInt64] = [7_200_000, 7_200_300, 120_000, 3_000, 3_400, 3_450, 25_000, 100]
        for (i, age) in ages.enumerated() {
            _ = index.apply(AlignmentEntry(key: "site/k\(i)", timestamp: ts(agoMs: age), isTombstone: i == 2))
        }
        return index
    }

    func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "not a JSON object: \(json)")
    }

    func fingerprint(_ o: [String: Any]) throws -> AlignmentFingerprint {
        let hex = try #require(o["fingerprint"] as? String)
        #expect(hex.count == 16, "fingerprint '\(hex)' is not 16 hex digits")
        return AlignmentFingerprint(count: UInt64(try #require(o["count"] as? Int)), sum: try #require(UInt64(hex, radix: 16)))
    }

    /// Walks every level and checks that each one adds up to its parent; returns each era's
    /// fingerprint and every entry key seen with its sub-interval.
    func walk(_ index: AlignmentIndex) throws -> (eras: [String: AlignmentFingerprint], keys: [String: Int]) {
        let eras = try #require(try object(AlignerBrowse.eras(index, now: now))["eras"] as? [[String: Any]])
        #expect(eras.map { $0["era"] as? String } == ["current", "hot", "warm", "cold"])
        var eraFPs: [String: AlignmentFingerprint] = [:], keys: [String: Int] = [:]
        for era in eras {
            let name = try #require(era["era"] as? String)
            let eraFP = try fingerprint(era)
            eraFPs[name] = eraFP
            let intervals = try #require(try object(AlignerBrowse.intervals(index, parameters: "era=\(name)", now: now))["intervals"] as? [[String: Any]])
            var sum = AlignmentFingerprint()
            for interval in intervals {
                let fp = try fingerprint(interval)
                sum += fp
                let id = try #require(interval["interval"] as? Int)
                let sub = try object(AlignerBrowse.subIntervals(index, parameters: "interval=\(id)"))
                let subs = try #require(sub["subintervals"] as? [[String: Any]])
                var subSum = AlignmentFingerprint()
                for s in subs {
                    let sfp = try fingerprint(s)
                    subSum += sfp
                    let sid = try #require(s["subinterval"] as? Int)
                    let e = try object(AlignerBrowse.entries(index, parameters: "subinterval=\(sid)"))
                    let list = try #require(e["entries"] as? [[String: Any]])
                    #expect(UInt64(list.count) == sfp.count, "sub-interval \(sid): \(list.count) entries, fingerprint counts \(sfp.count)")
                    for item in list { keys[try #require(item["key"] as? String)] = sid }
                }
                #expect(subSum == (try fingerprint(sub)), "interval \(id): its sub-intervals do not add up to it")
                if interval["partial"] as? Bool == false { #expect(subSum == fp, "interval \(id) of \(name) differs from its sub-intervals") }
            }
            #expect(sum == eraFP, "era \(name): intervals add up to \(sum), the era says \(eraFP)")
        }
        return (eraFPs, keys)
    }

    @Test("each level adds up to the one above, down to every entry, and matches the digest")
    func levelsAddUp() throws {
        let index = try sampleIndex()
        let (eras, keys) = try walk(index)
        #expect(keys.count == index.count, "entries seen: \(keys.keys.sorted())")
        #expect(eras.values.reduce(AlignmentFingerprint(), +) == index.totalFingerprint)
        let digest = index.digest(now: now)
        #expect(eras["hot"] == digest.hot && eras["warm"] == digest.warm && eras["cold"] == digest.cold)
        #expect(eras["hot"]?.count == 4 && eras["warm"]?.count == 1 && eras["cold"]?.count == 2 && eras["current"]?.count == 1)
        let tombstone = try object(AlignerBrowse.entries(index, parameters: "subinterval=\(keys["site/k2"]!)"))
        #expect((tombstone["entries"] as? [[String: Any]])?.first?["tombstone"] as? Bool == true)
    }

    @Test("one extra entry changes exactly its era, interval and sub-interval")
    func oneChangeIsFound() throws {
        let a = try sampleIndex()
        var b = a
        _ = b.apply(AlignmentEntry(key: "site/extra", timestamp: ts(agoMs: 3_420), isTombstone: false))
        let (erasA, _) = try walk(a)
        let (erasB, keysB) = try walk(b)
        #expect(erasA.filter { erasB[$0.key] != $0.value }.map(\.key) == ["hot"])
        let s = try #require(keysB["site/extra"])
        let subA = try object(AlignerBrowse.entries(a, parameters: "subinterval=\(s)"))
        let subB = try object(AlignerBrowse.entries(b, parameters: "subinterval=\(s)"))
        #expect(try fingerprint(subA) != fingerprint(subB))
        let spi = a.layout.subIntervalsPerInterval
        let other = try object(AlignerBrowse.subIntervals(a, parameters: "interval=\(s / spi - 1)"))
        let otherB = try object(AlignerBrowse.subIntervals(b, parameters: "interval=\(s / spi - 1)"))
        #expect(try fingerprint(other) == fingerprint(otherB))
    }

    @Test("bad parameters are refusals naming the parameter", arguments: [
        ("intervals", "", "era"), ("intervals", "era=tepid", "era"), ("subintervals", "", "interval"),
        ("subintervals", "interval=-1", "interval"), ("subintervals", "interval=x", "interval"),
        ("subintervals", "interval=18446744073709551615", "interval"), ("entries", "subinterval=1e3", "subinterval"),
        ("entries", "subinterval=18446744073709551615", "subinterval"),
    ])
    func refusals(op: String, parameters: String, parameter: String) throws {
        let index = try sampleIndex()
        do {
            switch op {
            case "intervals": _ = try AlignerBrowse.intervals(index, parameters: parameters, now: now)
            case "subintervals": _ = try AlignerBrowse.subIntervals(index, parameters: parameters)
            default: _ = try AlignerBrowse.entries(index, parameters: parameters)
            }
            Issue.record("\(op)?\(parameters) was answered")
        } catch {
            #expect(error.parameter == parameter)
            #expect("\(error)".contains("'\(parameter)'"))
        }
    }

    @Test("parameters split on ';' and '&'; entries by key list stay the default")
    func parameterSyntax() throws {
        #expect(AlignerBrowse.parameters("a=1;era=hot&b") == ["a": "1", "era": "hot", "b": ""])
        #expect(AlignerBrowse.asksBySubInterval("x=1;subinterval=3"))
        #expect(!AlignerBrowse.asksBySubInterval(""))
        let index = try sampleIndex()
        let hot = try object(AlignerBrowse.intervals(index, parameters: "x=1&era=hot", now: now))
        #expect(hot["era"] as? String == "hot")
    }
}
