@testable import PetrelAlignment
import PetrelTestSupport
import Testing

@Suite("Alignment: difference estimators")
struct EstimatorTests {
    @Test("the 16-byte strata estimate is within a factor of 4 of the true difference, nearly always")
    func strata() {
        let seed = SplitMix64.testSeed(default: 0xE571_0001)
        var g = SplitMix64(seed: seed)
        var worst: [String] = []
        var misses = 0
        for d in [1, 3, 10, 30, 100, 300, 1000, 3000] {
            for _ in 0..<40 {
                let shared = (0..<5000).map { _ in g.next() }
                let a = shared + (0..<d / 2).map { _ in g.next() }
                let b = shared + (0..<(d - d / 2)).map { _ in g.next() }
                let e = DifferenceEstimator(ids: a).estimate(comparedWith: DifferenceEstimator(ids: b))
                if e * 4 < d || e > d * 4 + 4 { misses += 1; worst.append("d=\(d) estimate=\(e)") }
            }
        }
        #expect(misses <= 8, "seed \(seed): \(misses) of 320 estimates off by more than 4x: \(worst)")
    }

    @Test("the empty-symbol estimate of a too-small sketch is within ±35 % unless saturated, and never above 8 symbols per difference")
    func emptySymbols() {
        let seed = SplitMix64.testSeed(default: 0xE571_0002)
        var g = SplitMix64(seed: seed)
        var errors: [Double] = []
        for d in [40, 150, 600] {
            for _ in 0..<10 {
                let shared = (0..<2000).map { _ in g.next() }
                let ours = shared + (0..<d / 2).map { _ in g.next() }
                let theirs = shared + (0..<(d - d / 2)).map { _ in g.next() }
                let m = d / 2 + g.int(0...d / 2)   // between a quarter and a half of what peels
                var decoder = SketchDecoder(ours: Set(ours))
                decoder.extend(ours: RatelessSketch.encode(ours, range: 0..<m), theirs: RatelessSketch.encode(theirs, range: 0..<m))
                let e = decoder.estimateDifference(atLeast: decoder.oursOnly.count + decoder.theirsOnly.count + 1)
                #expect(e <= 8 * m, "seed \(seed)")
                if !decoder.isSaturated { errors.append(Double(e) / Double(d) - 1) }
            }
        }
        let bad = errors.filter { abs($0) > 0.35 }
        #expect(bad.count <= 2 && errors.count >= 10, "seed \(seed): relative errors \(errors)")
    }

    @Test("the standard-library-free log and exp used by the estimators are accurate")
    func mathHelpers() {
        #expect(abs(log(2.0) - 0.693_147_180_559_945) < 1e-12)
        #expect(abs(log(1e-9) + 20.723_265_836_946_41) < 1e-9)
        #expect(abs(exp(1.0) - 2.718_281_828_459_045) < 1e-12)
        #expect(abs(exp(-30.0) - 9.357_622_968_840_175e-14) < 1e-24)
        #expect(abs(log1p(-1e-6) + 1.000_000_500_000_333e-6) < 1e-15)
        #expect(exp(-800) == 0 && log(0) == -.infinity)
    }
}
