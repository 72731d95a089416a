import Foundation
import PetrelKeyExpr
import PetrelSession
import PetrelTestSupport
import PetrelTime
import Testing

extension InteropTests {
    /// The aligner's top-down queries (eras → intervals → sub-intervals → entries) on real
    /// `petrel replica` processes beside a real Zenoh router, read with gets as a person or a
    /// naive aligner would.
    @Suite("alignment: eras, intervals, sub-intervals and entries by get", .serialized)
    struct AlignmentBrowseInteropTests {
        typealias Model = AlignmentInteropTests.Model
        typealias Writer = AlignmentInteropTests.Writer

        struct Fingerprint: Equatable, CustomStringConvertible {
            var count: UInt64
            var sum: UInt64
            static func + (a: Self, b: Self) -> Self { Self(count: a.count &+ b.count, sum: a.sum &+ b.sum) }
            var description: String { "\(count)#\(String(sum, radix: 16))" }
        }

        /// What one walk of an aligner saw.
        struct Walk {
            var eras: [String: Fingerprint] = [:]
            var entries: [String: AlignedEntry] = [:]
        }

        struct BrowseError: Error, CustomStringConvertible { var description: String }

        /// One JSON reply to a get of `selector`, or the text of the error reply.
        static func ask(_ s: Session, _ selector: String) async throws -> Result<[String: Any], BrowseError> {
            let replies = try await s.getAll(selector, timeout: .seconds(5))
            guard let reply = replies.first else { throw BrowseError(description: "no reply to \(selector)") }
            switch reply.result {
            case .success(let sample):
                guard let o = try JSONSerialization.jsonObject(with: Data(sample.payload)) as? [String: Any] else {
                    throw BrowseError(description: "\(selector): not a JSON object")
                }
                return .success(o)
            case .failure(let e):
                return .failure(BrowseError(description: String(decoding: e.payload, as: UTF8.self)))
            }
        }

        static func json(_ s: Session, _ selector: String) async throws -> [String: Any] {
            try await ask(s, selector).get()
        }

        static func fingerprint(_ o: [String: Any]) throws -> Fingerprint {
            let hex = try #require(o["fingerprint"] as? String)
            return Fingerprint(count: UInt64(try #require(o["count"] as? Int)), sum: try #require(UInt64(hex, radix: 16)))
        }

        /// Walks every era of `zid`'s aligner down to its entries, checking on the way that the
        /// counts and fingerprints of each level add up to the level above.
        static func walk(_ s: Session, _ zid: String) async throws -> Walk {
            var w = Walk()
            let eras = try #require(try await json(s, "@-aligner/\(zid)/eras")["eras"] as? [[String: Any]])
            #expect(eras.compactMap { $0["era"] as? String } == ["current", "hot", "warm", "cold"])
            for era in eras {
                let name = try #require(era["era"] as? String)
                let eraFP = try fingerprint(era)
                w.eras[name] = eraFP
                let intervals = try #require(try await json(s, "@-aligner/\(zid)/intervals?era=\(name)")["intervals"] as? [[String: Any]])
                var sum = Fingerprint(count: 0, sum: 0)
                for interval in intervals {
                    let fp = try fingerprint(interval)
                    sum = sum + fp
                    let id = try #require(interval["interval"] as? Int)
                    let subs = try #require(try await json(s, "@-aligner/\(zid)/subintervals?interval=\(id)")["subintervals"] as? [[String: Any]])
                    var subSum = Fingerprint(count: 0, sum: 0)
                    for sub in subs {
                        let sfp = try fingerprint(sub)
                        subSum = subSum + sfp
                        let sid = try #require(sub["subinterval"] as? Int)
                        let e = try await json(s, "@-aligner/\(zid)/entries?subinterval=\(sid)")
                        let list = try #require(e["entries"] as? [[String: Any]])
                        #expect(UInt64(list.count) == sfp.count, "\(zid) sub-interval \(sid): \(list.count) entries, its fingerprint counts \(sfp.count)")
                        for item in list {
                            w.entries[try #require(item["key"] as? String)] = AlignedEntry(timestamp: try #require(item["timestamp"] as? String),
                                                                                          tombstone: try #require(item["tombstone"] as? Bool))
                        }
                    }
                    if interval["partial"] as? Bool == false {
                        #expect(subSum == fp, "\(zid) interval \(id): sub-intervals add up to \(subSum), the interval says \(fp)")
                    }
                }
                #expect(sum == eraFP, "\(zid) era \(name): intervals add up to \(sum), the era says \(eraFP)")
            }
            return w
        }

        @Test("two replicas: the walk adds up to every entry, equal data gives equal fingerprints, one extra put changes them; bad parameters are error replies")
        func walkTwoReplicas() async throws {
            let two = try await TwoReplicas.start(root: try AlignmentInteropTests.tempDir("browse"), proxySeed: 5, zidSalt: 0xb40)
            defer { two.stop() }
            let (router, proxy, r1, r2, observer) = (two.router, two.proxy, two.r1, two.r2, two.observer)

            // Samples at known times: two hours ago (cold), two minutes ago (warm), now (hot once settled).
            let model = Model()
            let upstream = try await openSession(router.tcp)
            func writer(agoMs: Int) -> Writer {
                Writer(session: upstream, clock: HybridLogicalClock(id: .random(), physicalClock: SkewedClock(offsetMs: -Int64(agoMs))), model: model, edge: nil)
            }
            let cold = writer(agoMs: 7_200_000), warm = writer(agoMs: 120_000), hot = writer(agoMs: 0)
            for i in 0..<3 { await cold.put("site/cold/k\(i)", "c\(i)") }
            for i in 0..<2 { await warm.put("site/warm/k\(i)", "w\(i)") }
            for i in 0..<4 { await hot.put("site/hot/k\(i)", "h\(i)") }
            await hot.delete("site/hot/k0")
            let site = try KeyExpr("site/**")
            let held = await eventually(timeout: .seconds(20)) {
                let a = await alignerState(observer, zid: r1.zid), b = await alignerState(observer, zid: r2.zid)
                return a == model.expected(under: site) && b == a
            }
            #expect(held, "the replicas did not both take the samples")
            // Past the settled boundary (propagation delay + skew, 0.7 s): nothing moves between eras while we walk.
            await quietPeriod(.seconds(2))

            let w1 = try await Self.walk(observer, r1.zid)
            let w2 = try await Self.walk(observer, r2.zid)
            #expect(w1.entries == model.expected(under: site), "r1's walk: \(AlignmentInteropTests.diff(w1.entries, model.expected(under: site)))")
            #expect(w1.eras["cold"]?.count == 3 && w1.eras["warm"]?.count == 2 && w1.eras["hot"]?.count == 4 && w1.eras["current"]?.count == 0,
                    "eras: \(w1.eras)")
            #expect(w1.eras == w2.eras, "same data, different fingerprints: r1 \(w1.eras), r2 \(w2.eras)")

            // `petrel get` shows the same JSON as the walk read.
            let tool = try await PetrelTool.run(["get", "-e", router.tcp, "@-aligner/\(r1.zid)/eras"])
            let line = try #require(tool.out.first { $0.hasPrefix("put @-aligner/\(r1.zid)/eras ") }, "petrel get printed \(tool.out) \(tool.err)")
            let shown = try #require(jsonObject(String(line.dropFirst("put @-aligner/\(r1.zid)/eras ".count))), "\(line)")
            #expect((shown["eras"] as? [[String: Any]])?.count == 4)

            // Bad parameters: error replies naming the parameter, and the aligner still answers.
            for (selector, parameter) in [("intervals?era=tepid", "era"), ("intervals", "era"), ("subintervals?interval=x", "interval"),
                                          ("entries?subinterval=-3", "subinterval")] {
                let r = try await Self.ask(observer, "@-aligner/\(r1.zid)/\(selector)")
                guard case .failure(let e) = r else {
                    Issue.record("\(selector) was answered: \(r)")
                    continue
                }
                #expect(e.description.contains("'\(parameter)'"), "\(selector): \(e)")
            }
            let badByTool = try await PetrelTool.run(["get", "-e", router.tcp, "@-aligner/\(r1.zid)/intervals?era=tepid"])
            #expect(badByTool.out.contains { $0.hasPrefix("error ") && $0.contains("'era'") }, "petrel get printed \(badByTool.out) \(badByTool.err)")

            // One extra put that only r1 sees: its hot era differs from r2's, the other eras do not.
            try proxy.set("r2", .init(cut: true))
            try await Task.sleep(for: .milliseconds(300))
            await hot.put("site/hot/extra", "x")
            let r1Has = await eventually(timeout: .seconds(10)) { await alignerState(observer, zid: r1.zid)?["site/hot/extra"] != nil }
            #expect(r1Has, "r1 did not take the extra put")
            await quietPeriod(.seconds(2))
            let w1b = try await Self.walk(observer, r1.zid)
            #expect(w1b.entries["site/hot/extra"] != nil, "the walk did not reach the extra entry")
            #expect(w1b.eras["hot"] != w2.eras["hot"], "one more entry and the same hot fingerprint: \(String(describing: w1b.eras["hot"]))")
            #expect(w1b.eras["hot"]?.count == (w2.eras["hot"]?.count ?? 0) + 1)
            for era in ["warm", "cold"] { #expect(w1b.eras[era] == w2.eras[era], "era \(era) changed: \(w1b.eras) vs \(w2.eras)") }

            // Healed, r2 catches up by alignment and its fingerprints equal r1's again.
            try proxy.healAll()
            let caughtUp = await eventually(timeout: .seconds(20)) { await alignerState(observer, zid: r2.zid) == model.expected(under: site) }
            #expect(caughtUp, "r2 did not catch up")
            let w2b = try await Self.walk(observer, r2.zid)
            #expect(w2b.eras == w1b.eras, "after alignment: r1 \(w1b.eras), r2 \(w2b.eras)")
            await upstream.close()
            await observer.close()
        }
    }
}
