import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// `get` against a time-series storage with `_time` returns exactly the samples in range.
///
/// One sample every 10 s for 20 minutes: sample i at base + 10·i s
/// (base = 2023-11-14T22:13:20Z), i = 0...119; the clock reads the time of the last one.
@Suite struct HotStoreTimeRangeQueryTests {
    static let count = 120
    static let now = at(seconds: 1190)

    private func makeStore(keys: [String] = ["sensor/temp"]) -> HotStore {
        let c = ClockedStore(.timeSeries, keyExpr: "sensor/**", now: Self.now)
        for (k, key) in keys.enumerated() {
            // Store in a scrambled order: the store sorts.
            for j in 0..<Self.count {
                let i = (j * 37 + k) % Self.count
                c.store.store(put(key, at: at(seconds: Int64(10 * i)), "\(i)"))
            }
        }
        return c.store
    }

    private func indices(_ samples: [StoredSample]) -> [Int] { samples.map { Int(text($0))! } }

    /// The selector parameter form and the expected sample indices.
    static let cases: [(String, ClosedRange<Int>?)] = [
        ("[..]", 0...119),
        ("[now(-5m)..]", 89...119),          // 10·i ≥ 1190 − 300
        ("]now(-5m)..]", 90...119),
        ("[now(-5m)..now(-1m)[", 89...112),  // 890 ≤ 10·i < 1130
        ("[now(-5m)..now(-1m)]", 89...113),
        ("]now(-5m)..now(-1m)[", 90...112),
        ("[now(-300s)..now(-299.999)]", 89...89),
        ("[now(-1h)..]", 0...119),
        ("[..now(-1190s)]", 0...0),
        ("[..now(-1190s)[", nil),
        ("[now()..]", 119...119),
        ("]now()..]", nil),
        ("[now(1u)..]", nil),
        ("[now(1h)..]", nil),
        ("[..now(-1w)]", nil),
        ("[now(-0.5m)..now(-0.25m)]", 116...117), // 1160 ≤ 10·i ≤ 1175
        ("[2023-11-14T22:15:00Z..2023-11-14T22:16:40Z]", 10...20),
        ("]2023-11-14T22:15:00Z..2023-11-14T22:16:40Z[", 11...19),
        ("[2023-11-14T22:15:00Z..2023-11-14T22:16:40Z[", 10...19),
        ("]2023-11-14T22:15:00Z..2023-11-14T22:16:40Z]", 11...20),
        ("[2023-11-14 22:15:00..2023-11-14T22:16:40]", 10...20),
        ("[2023-11-14T22:15:00.000000001Z..2023-11-14T22:16:39.999999999Z]", 11...19),
        ("[..2023-11-14T22:13:20Z]", 0...0),
        ("[..2023-11-14T22:13:20Z[", nil),
        ("[2023-11-14T22:33:10Z..]", 119...119),
        ("]2023-11-14T22:33:10Z..]", nil),
        ("[2023-11-14T22:15:00Z..now(-15m)]", 10...29), // 1190 − 900 = 290
        ("[now(-15m)..2023-11-14T22:15:00Z]", nil),
        ("[1970-01-01T00:00:00Z..2106-01-01T00:00:00Z]", 0...119),
        ("[2200-01-01T00:00:00Z..]", nil),
    ]

    @Test(arguments: cases)
    func timeRangeSelectsExactlyTheSamplesInRange(range: String, expected: ClosedRange<Int>?) throws {
        let store = makeStore()
        let got = try store.query(ke("sensor/temp"), parameters: "_time=" + range)
        #expect(indices(got) == (expected.map(Array.init) ?? []), "\(range)")
        // The same through a wildcard query, and against Zenoh's contains() one sample at a time.
        #expect(indices(try store.query(ke("sensor/**"), parameters: "x=1;_time=" + range + ";y")) == indices(got))
        let r = try TimeRange.parse(range)
        let bruteForce = (0..<Self.count).filter { r.contains(at(seconds: Int64(10 * $0)), now: Self.now) }
        #expect(indices(got) == bruteForce)
    }

    @Test func durationFormRanges() throws {
        let store = makeStore()
        func q(_ s: String) throws -> [Int] { indices(store.query(ke("sensor/temp"), timeRange: try TimeRange.parse(s))) }
        #expect(try q("[2023-11-14T22:15:00Z;100s]") == Array(10...20))
        #expect(try q("[2023-11-14T22:15:00Z;100s[") == Array(10...19))
        #expect(try q("]now(-5m);4m[") == Array(90...112))
        #expect(try q("[now(-5m);1.5m]") == Array(89...98))
    }

    @Test func manyKeysWithWildcardAndRange() throws {
        let store = makeStore(keys: ["sensor/1/temp", "sensor/2/temp", "sensor/3/hum"])
        let got = try store.query(ke("sensor/*/temp"), parameters: "_time=[now(-1m)..]")
        // 10·i ≥ 1130: i = 113...119, two keys each, in timestamp order.
        #expect(indices(got) == (113...119).flatMap { [$0, $0] })
        #expect(got.map(\.key) == (113...119).flatMap { _ in ["sensor/1/temp", "sensor/2/temp"] })
        #expect(try store.query(ke("sensor/**"), parameters: "_time=[now(-1m)..]").count == 21)
    }

    @Test func randomRangesMatchBruteForce() throws {
        let store = makeStore()
        var rng = SystemRandomNumberGenerator()
        let instants = (0..<Self.count).map { at(seconds: Int64(10 * $0)) }
        for _ in 0..<500 {
            // Bounds on, between or beside sample times, fixed or relative to now.
            func bound() -> String {
                let ms = Int64.random(in: -5_000...1_195_000, using: &rng) / 2500 * 2500
                if Bool.random(using: &rng) {
                    return RFC3339.format(WallTime(at(ms: ms)))
                }
                return "now(" + RustFloat.display(Double(ms - 1_190_000) / 1000) + "s)"
            }
            let start = Int.random(in: 0..<5, using: &rng) == 0 ? "" : bound()
            let end = Int.random(in: 0..<5, using: &rng) == 0 ? "" : bound()
            let text = (Bool.random(using: &rng) ? "[" : "]") + start + ".." + end + (Bool.random(using: &rng) ? "]" : "[")
            let r = try TimeRange.parse(text)
            let expected = instants.indices.filter { r.contains(instants[$0], now: Self.now) }
            #expect(indices(try store.query(ke("sensor/temp"), parameters: "_time=" + text)) == expected, "\(text)")
        }
    }
}
