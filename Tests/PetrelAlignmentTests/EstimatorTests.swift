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
}
