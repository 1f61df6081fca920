// Background load on a device resource: the fraction of it taken by other work at each token.
// Available = nominal × (1 − load), with load in [0, 1].

/// How the background-load fraction of one resource of one device evolves over tokens.
public enum LoadProcess: Codable, Sendable, Hashable {
    /// No background load (load 0 at every token).
    case none
    /// A fresh, independent draw uniform in [min, max] at every token. The authors' simulator uses U(0, 0.3)
    /// (reference-simulator.md §3.3, ToyComparison), without its defect of accumulating load across steps.
    case uniform(min: Double, max: Double)
    /// A smooth, bounded, mean-reverting AR(1) process (see `MeanRevertingLoad`).
    case meanReverting(MeanRevertingLoad)

    /// The reference simulator's per-step background load, U(0, 0.3).
    public static let reference = LoadProcess.uniform(min: 0, max: 0.3)

    func validate(_ field: String) throws {
        switch self {
        case .none: return
        case .uniform(let lo, let hi):
            guard lo >= 0, lo <= hi, hi <= 1 else {
                throw CoreError(.invalidValue,
                    "\(field): uniform load needs 0 <= min <= max <= 1, got min \(lo), max \(hi)")
            }
        case .meanReverting(let p): try p.validate(field)
        }
    }

    /// Writes the load of `tokens` consecutive tokens into `out[offset + t·stride]`.
    func generate(tokens: Int, rng: inout SeededGenerator, into out: inout [Double], offset: Int, stride: Int) {
        switch self {
        case .none:
            for t in 0..<tokens { out[offset + t * stride] = 0 }
        case .uniform(let lo, let hi):
            for t in 0..<tokens { out[offset + t * stride] = rng.uniform(lo, hi) }
        case .meanReverting(let p):
            var x = p.initialValue(&rng)
            for t in 0..<tokens {
                out[offset + t * stride] = x
                x = p.step(x, &rng)
            }
        }
    }
}

/// x(t+1) = mean + persistence·(x(t) − mean) + noise·Z, Z ~ N(0, 1), then clamped to [min, max].
/// The stationary standard deviation (before clamping) is noise / sqrt(1 − persistence²); the correlation between
/// tokens t and t+k is persistence^k, i.e. a relaxation time of −1/ln(persistence) tokens.
public struct MeanRevertingLoad: Codable, Sendable, Hashable {
    /// Long-run mean load fraction, in [min, max].
    public var mean: Double
    /// AR(1) coefficient in [0, 1): 0 is i.i.d. noise around the mean, 0.99 drifts slowly (~100-token memory).
    public var persistence: Double
    /// Standard deviation of the per-token innovation, as a load fraction (>= 0).
    public var noise: Double
    /// Lower bound of the load fraction, >= 0.
    public var min: Double
    /// Upper bound of the load fraction, <= 1.
    public var max: Double
    /// Load at token 0; nil draws it from the (clamped) stationary distribution.
    public var initial: Double?

    public init(mean: Double, persistence: Double, noise: Double, min: Double = 0, max: Double = 1,
                initial: Double? = nil) {
        self.mean = mean
        self.persistence = persistence
        self.noise = noise
        self.min = min
        self.max = max
        self.initial = initial
    }

    /// Same mean and spread as U(0, 0.3) (mean 0.15, sd 0.087) but with a ~20-token memory.
    public static let smoothReference = MeanRevertingLoad(
        mean: 0.15, persistence: 0.95, noise: 0.0866 * (1 - 0.95 * 0.95).squareRoot(), min: 0, max: 0.3)

    func validate(_ field: String) throws {
        guard min >= 0, min <= max, max <= 1 else {
            throw CoreError(.invalidValue, "\(field): mean-reverting load needs 0 <= min <= max <= 1, got min \(min), max \(max)")
        }
        guard mean >= min, mean <= max else {
            throw CoreError(.invalidValue, "\(field): field 'mean' must be in [\(min), \(max)], got \(mean)")
        }
        guard persistence >= 0, persistence < 1 else {
            throw CoreError(.invalidValue, "\(field): field 'persistence' must be in [0, 1), got \(persistence)")
        }
        guard noise >= 0, noise.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'noise' must be >= 0, got \(noise)")
        }
        if let x = initial, !(x >= min && x <= max) {
            throw CoreError(.invalidValue, "\(field): field 'initial' must be in [\(min), \(max)], got \(x)")
        }
    }

    func clamp(_ x: Double) -> Double { Swift.min(Swift.max(x, min), max) }

    func initialValue(_ rng: inout SeededGenerator) -> Double {
        if let x = initial { return x }
        let sd = noise / (1 - persistence * persistence).squareRoot()
        return clamp(mean + sd * rng.standardNormal())
    }

    func step(_ x: Double, _ rng: inout SeededGenerator) -> Double {
        clamp(mean + persistence * (x - mean) + noise * rng.standardNormal())
    }
}
