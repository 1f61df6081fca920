// How the bandwidth of each link changes over tokens.

/// Per-link bandwidth dynamics. Each link draws from its own stream, so links are independent.
public enum LinkFluctuation: Codable, Sendable, Hashable {
    /// Nominal bandwidth at every token.
    case none
    /// A fresh draw uniform in [minGbps, maxGbps] Gbit/s at every token, independent of the nominal value: the
    /// paper's "bandwidth fluctuating uniformly between 1 and 10 Gbps", resampled each decision interval (paper.md §8.6).
    case resampleUniform(minGbps: Double, maxGbps: Double)
    /// A multiplicative random walk of the nominal bandwidth (see `LogRandomWalk`).
    case logRandomWalk(LogRandomWalk)

    /// The paper's setting: U(1, 10) Gbit/s every token.
    public static let paper = LinkFluctuation.resampleUniform(minGbps: 1, maxGbps: 10)

    func validate(_ field: String) throws {
        switch self {
        case .none: return
        case .resampleUniform(let lo, let hi):
            guard lo > 0, lo <= hi, hi.isFinite else {
                throw CoreError(.invalidValue,
                    "\(field): resample_uniform needs 0 < min_gbps <= max_gbps, got min_gbps \(lo), max_gbps \(hi)")
            }
        case .logRandomWalk(let w): try w.validate(field)
        }
    }

    /// Writes the bandwidth (bytes/s) of `tokens` tokens into `out[offset + t·stride]`.
    func generate(nominal: Double, tokens: Int, rng: inout SeededGenerator, into out: inout [Double],
                  offset: Int, stride: Int) {
        switch self {
        case .none:
            for t in 0..<tokens { out[offset + t * stride] = nominal }
        case .resampleUniform(let lo, let hi):
            for t in 0..<tokens {
                out[offset + t * stride] = BytesPerSecond(gigabitsPerSecond: rng.uniform(lo, hi)).value
            }
        case .logRandomWalk(let w):
            var logFraction = w.initialLog
            for t in 0..<tokens {
                let f = StableMath.exp(logFraction)
                out[offset + t * stride] = nominal * Swift.min(Swift.max(f, w.minFraction), w.maxFraction)
                logFraction = w.step(logFraction, &rng)
            }
        }
    }
}

/// bandwidth(t) = nominal × f(t), with ln f(t+1) = ln f(t) − reversion·ln f(t) + sigma·Z, Z ~ N(0, 1), reflected
/// at ln(minFraction) and ln(maxFraction) so that f stays in [minFraction, maxFraction] without sticking to a bound.
public struct LogRandomWalk: Codable, Sendable, Hashable {
    /// Standard deviation of the per-token change of ln(bandwidth) (0.05 ≈ ±5 % per token). >= 0.
    public var sigma: Double
    /// Lowest bandwidth as a fraction of nominal, in (0, 1].
    public var minFraction: Double
    /// Highest bandwidth as a fraction of nominal, >= 1.
    public var maxFraction: Double
    /// Pull of ln f back towards 0 (the nominal bandwidth) per token, in [0, 1]. 0 is a pure random walk.
    public var reversion: Double

    public init(sigma: Double, minFraction: Double, maxFraction: Double, reversion: Double = 0) {
        self.sigma = sigma
        self.minFraction = minFraction
        self.maxFraction = maxFraction
        self.reversion = reversion
    }

    var initialLog: Double { 0 }

    func validate(_ field: String) throws {
        guard sigma >= 0, sigma.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'sigma' must be >= 0, got \(sigma)")
        }
        guard minFraction > 0, minFraction <= 1 else {
            throw CoreError(.invalidValue, "\(field): field 'min_fraction' must be in (0, 1], got \(minFraction)")
        }
        guard maxFraction >= 1, maxFraction.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'max_fraction' must be >= 1, got \(maxFraction)")
        }
        guard reversion >= 0, reversion <= 1 else {
            throw CoreError(.invalidValue, "\(field): field 'reversion' must be in [0, 1], got \(reversion)")
        }
    }

    func step(_ x: Double, _ rng: inout SeededGenerator) -> Double {
        let lo = StableMath.log(minFraction)
        let hi = StableMath.log(maxFraction)
        var y = x - reversion * x + sigma * rng.standardNormal()
        if hi <= lo { return lo }
        // Reflect into [lo, hi]: fold y − lo modulo twice the width, then mirror the upper half.
        if y < lo || y > hi {
            let width = hi - lo
            var d = (y - lo).truncatingRemainder(dividingBy: 2 * width)
            if d < 0 { d += 2 * width }
            y = lo + (d <= width ? d : 2 * width - d)
        }
        return y
    }
}
