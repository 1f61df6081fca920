import Foundation
import HeadwayCore
import Testing

@Suite struct RandomTests {
    /// Known answers from an independent Python implementation of SplitMix64 + xoshiro256**.
    @Test func matchesReferenceStream() {
        var g0 = SeededGenerator(seed: 0)
        #expect([g0.next(), g0.next(), g0.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var g42 = SeededGenerator(seed: 42)
        #expect([g42.next(), g42.next(), g42.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        #expect(SeededGenerator.fnv1a("a") == 0xAF63_DC4C_8601_EC8C)
    }

    @Test func sameSeedSameSequenceDifferentSeedsDiffer() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        var c = SeededGenerator(seed: 8)
        let xa = (0..<100).map { _ in a.standardNormal() }
        let xb = (0..<100).map { _ in b.standardNormal() }
        let xc = (0..<100).map { _ in c.standardNormal() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func derivedStreamsAreIndependentAndDoNotAdvanceTheParent() {
        let parent = SeededGenerator(seed: 1)
        var copy = parent
        var d1 = parent.derived(1)
        var d1again = parent.derived(1)
        var d2 = parent.derived(2)
        var s = parent.derived("device_3")
        var sAgain = parent.derived("device_3")
        #expect(copy == parent)
        let x1 = (0..<8).map { _ in d1.next() }
        #expect(x1 == (0..<8).map { _ in d1again.next() })
        #expect(x1 != (0..<8).map { _ in d2.next() })
        #expect(s.next() == sAgain.next())
        var p = parent
        #expect(x1 != (0..<8).map { _ in p.next() })
        _ = copy.next()
        #expect(copy.derived(1) != parent.derived(1))
    }

    @Test func uniformAndIndexStayInRange() {
        var g = SeededGenerator(seed: 3)
        var counts = Array(repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let x = g.uniform(-2, 5)
            #expect(x >= -2 && x <= 5)
            counts[g.uniformIndex(below: 7)] += 1
            let u = g.nextOpenUnit()
            #expect(u > 0 && u <= 1)
        }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })
        #expect(g.uniform(3, 3) == 3)
    }

    @Test func normalMomentsMatchTheory() {
        var g = SeededGenerator(seed: 11)
        let n = 200_000
        let xs = (0..<n).map { _ in g.normal(mean: 2, standardDeviation: 3) }
        let (mean, variance) = sampleMoments(xs)
        #expect(abs(mean - 2) < 0.03)
        #expect(abs(variance - 9) / 9 < 0.02)
    }

    @Test func logNormalMomentsMatchTheory() {
        var g = SeededGenerator(seed: 12)
        let mu = 1.0, sigma = 0.5
        let xs = (0..<200_000).map { _ in g.logNormal(mu: mu, sigma: sigma) }
        let (mean, variance) = sampleMoments(xs)
        let expectedMean = Foundation.exp(mu + sigma * sigma / 2)
        let expectedVariance = (Foundation.exp(sigma * sigma) - 1) * Foundation.exp(2 * mu + sigma * sigma)
        #expect(xs.allSatisfy { $0 > 0 })
        #expect(abs(mean - expectedMean) / expectedMean < 0.01)
        #expect(abs(variance - expectedVariance) / expectedVariance < 0.03)
        let sorted = xs.sorted()
        #expect(abs(sorted[xs.count / 2] - Foundation.exp(mu)) / Foundation.exp(mu) < 0.01)
    }

    @Test func exponentialBernoulliAndPoissonMoments() {
        var g = SeededGenerator(seed: 13)
        let e = (0..<100_000).map { _ in g.exponential(mean: 4) }
        #expect(e.allSatisfy { $0 >= 0 })
        #expect(abs(sampleMoments(e).mean - 4) < 0.06)
        let hits = (0..<100_000).filter { _ in g.bernoulli(0.3) }.count
        #expect(abs(Double(hits) / 100_000 - 0.3) < 0.005)
        #expect(!(0..<1000).contains { _ in g.bernoulli(0) })
        #expect((0..<1000).allSatisfy { _ in g.bernoulli(1) })
        for lambda in [0.5, 3.5, 40.0] {
            let p = (0..<50_000).map { _ in Double(g.poisson(mean: lambda)) }
            let (mean, variance) = sampleMoments(p)
            #expect(abs(mean - lambda) / lambda < 0.02, "Poisson(\(lambda)) mean \(mean)")
            #expect(abs(variance - lambda) / lambda < 0.05, "Poisson(\(lambda)) variance \(variance)")
        }
        #expect(g.poisson(mean: 0) == 0)
    }

    @Test func stableMathAgreesWithLibm() {
        var g = SeededGenerator(seed: 14)
        for _ in 0..<20_000 {
            let x = Foundation.exp(g.uniform(-700, 700))
            let l = StableMath.log(x)
            #expect(abs(l - Foundation.log(x)) <= 4 * max(abs(l), 1) * Double.ulpOfOne, "log(\(x))")
            let y = g.uniform(-700, 700)
            let e = StableMath.exp(y)
            #expect(abs(e - Foundation.exp(y)) <= 4 * e * Double.ulpOfOne, "exp(\(y))")
        }
        #expect(StableMath.log(1) == 0 && StableMath.exp(0) == 1)
        #expect(StableMath.log(0) == -.infinity && StableMath.log(-1).isNaN)
        #expect(StableMath.exp(800) == .infinity && StableMath.exp(-800) == 0)
        #expect(abs(StableMath.exp(-740) - Foundation.exp(-740)) <= 1e-3 * Foundation.exp(-740))
    }
}

func sampleMoments(_ xs: [Double]) -> (mean: Double, variance: Double) {
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
    return (mean, variance)
}
