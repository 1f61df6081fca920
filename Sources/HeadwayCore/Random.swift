// Seeded, platform-independent randomness for generators and dynamics.
//
// Reproducibility contract: the same seed gives the same sequence of values on every platform and Swift version.
// The integer stream is xoshiro256** (Blackman & Vigna, https://prng.di.unimi.it/xoshiro256starstar.c) seeded through
// SplitMix64. Every real-valued sampler is built from the raw 64-bit outputs with IEEE-754 basic operations and `sqrt`
// (both correctly rounded, hence bit-identical everywhere) plus `StableMath.log`/`exp`, which are implemented here from
// those same operations instead of calling the platform libm (whose last-ulp results differ between glibc and Darwin).
// Nothing here calls `Double.random(in:)` or the system generator.

/// xoshiro256** seeded from a `UInt64` through SplitMix64.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededGenerator.splitMix(&sm)
        s1 = SeededGenerator.splitMix(&sm)
        s2 = SeededGenerator.splitMix(&sm)
        s3 = SeededGenerator.splitMix(&sm)
        // SplitMix64 never yields four zero words from one seed, but keep the all-zero state impossible by construction.
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// An independent stream keyed by `label`, computed from the current state without advancing it.
    /// Derive every per-device / per-link stream from the same parent before drawing from the parent, so that adding
    /// a device (a new label) leaves the streams of the others unchanged.
    public func derived(_ label: UInt64) -> SeededGenerator {
        var x = s0 ^ rotl(s1, 17) ^ rotl(s2, 31) ^ rotl(s3, 47)
        x = SeededGenerator.mix(x ^ SeededGenerator.mix(label &+ 0xD1B5_4A32_D192_ED03))
        return SeededGenerator(seed: x)
    }

    /// `derived(_:)` keyed by a string through FNV-1a 64 (stable across runs, unlike `String.hashValue`).
    public func derived(_ label: String) -> SeededGenerator { derived(SeededGenerator.fnv1a(label)) }

    /// FNV-1a 64-bit hash of the UTF-8 bytes of `s`.
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in s.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    /// The SplitMix64 output function (a bijective 64-bit mixer).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

// MARK: - Samplers

extension SeededGenerator {
    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    public mutating func nextOpenUnit() -> Double { Double((next() >> 11) + 1) * 0x1.0p-53 }

    /// Uniform in [lower, upper] (returns `lower` when the range is a single point).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnit()
    }

    public mutating func uniform(in range: ClosedRange<Double>) -> Double { uniform(range.lowerBound, range.upperBound) }

    /// Uniform integer in 0..<bound (unbiased, Lemire's multiply-and-reject). `bound` must be > 0.
    public mutating func uniformIndex(below bound: Int) -> Int {
        precondition(bound > 0, "uniformIndex(below:) needs a positive bound, got \(bound)")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// True with probability `p` (clamped to [0, 1]).
    public mutating func bernoulli(_ p: Double) -> Bool { nextUnit() < p }

    /// Standard normal N(0, 1) by Marsaglia's polar method (no trigonometry; one value per call, the pair's second
    /// value is discarded so the generator stays a plain value with no cached state).
    public mutating func standardNormal() -> Double {
        while true {
            let u = 2 * nextUnit() - 1
            let v = 2 * nextUnit() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * StableMath.log(s) / s).squareRoot() }
        }
    }

    /// Normal with the given mean and standard deviation.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * standardNormal()
    }

    /// Log-normal: exp(mu + sigma·Z), where mu and sigma are the mean and standard deviation of the logarithm.
    /// The median is exp(mu), the mean exp(mu + sigma²/2).
    public mutating func logNormal(mu: Double, sigma: Double) -> Double {
        StableMath.exp(mu + sigma * standardNormal())
    }

    /// Exponential with the given mean (= 1/rate), by inversion.
    public mutating func exponential(mean: Double) -> Double { -mean * StableMath.log(nextOpenUnit()) }

    /// Poisson with mean `lambda` (>= 0). Exact: Knuth's product method on chunks of mean <= 16 (a Poisson sum of
    /// Poissons is Poisson), so cost grows linearly with `lambda`; intended for per-token arrival counts.
    public mutating func poisson(mean lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda.isFinite, "poisson(mean:) needs a finite mean >= 0, got \(lambda)")
        var remaining = lambda
        var count = 0
        while remaining > 0 {
            let chunk = min(remaining, 16)
            remaining -= chunk
            let limit = StableMath.exp(-chunk)
            var product = nextUnit()
            while product > limit {
                count += 1
                product *= nextUnit()
            }
        }
        return count
    }
}

// MARK: - Deterministic elementary functions

/// `log` and `exp` from IEEE basic operations only, so that samplers are bit-identical on every platform.
/// Accuracy is within a few ulps of the libm results (tested against Foundation), which is all sampling needs.
public enum StableMath {
    static let ln2Hi = 6.93147180369123816490e-01  // upper bits of ln 2 (exact in 32 bits)
    static let ln2Lo = 1.90821492927058770002e-10  // ln 2 - ln2Hi
    static let ln2 = 0.693147180559945309417232121458

    /// Natural logarithm. log(0) = -inf, log(negative or NaN) = NaN, log(+inf) = +inf.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return .infinity }
        // x = m · 2^e with m in [1, 2), then shift m into [sqrt(1/2), sqrt(2)).
        var e = Double(x.exponent)
        var m = x.significand
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        // log m = 2·atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the odd series converges fast.
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while true {
            let next = sum + term / k
            if next == sum { break }
            sum = next
            term *= s2
            k += 2
        }
        return e * ln2Hi + (2 * sum + e * ln2Lo)
    }

    /// e^x. Overflows to +inf above ~709.78 and underflows to 0 below ~-745.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        // x = k·ln2 + r, |r| <= ln2/2; e^r by its Taylor series, then scale by 2^k.
        let k = (x / ln2).rounded()
        let r = (x - k * ln2Hi) - k * ln2Lo
        var term = 1.0
        var sum = 1.0
        var n = 1.0
        while true {
            term *= r / n
            let next = sum + term
            if next == sum { break }
            sum = next
            n += 1
        }
        // Scale in two steps so that 2^k itself never overflows or underflows for representable results.
        let k1 = Int(k) / 2
        let k2 = Int(k) - k1
        return sum * Double(sign: .plus, exponent: k1, significand: 1) * Double(sign: .plus, exponent: k2, significand: 1)
    }
}
