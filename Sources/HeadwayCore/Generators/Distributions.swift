// Small distribution specs shared by the cluster generators: a bounded log-normal and a uniform range.

/// A log-normal distribution described by its median and log-space spread, bounded to [lower, upper].
/// Units are those of the field that uses it (e.g. GB, GFLOP/s); the spec itself is unit-free.
public struct BoundedLogNormal: Codable, Sendable, Hashable {
    /// How draws outside [lower, upper] are brought inside.
    public enum Bounding: String, Codable, Sendable, Hashable {
        /// Clamp to the nearest bound (the reference simulator's `np.clip`; leaves point masses at the bounds).
        case clip
        /// Redraw until inside (a truncated log-normal; falls back to clamping after 64 draws).
        case resample
    }

    /// Median of the unbounded distribution, exp(mu). Must be > 0.
    public var median: Double
    /// Standard deviation of the logarithm (sigma). Must be >= 0.
    public var sigma: Double
    /// Smallest value returned. Must be > 0 and <= upper.
    public var lower: Double
    /// Largest value returned.
    public var upper: Double
    public var bounding: Bounding

    public init(median: Double, sigma: Double, lower: Double, upper: Double, bounding: Bounding = .clip) {
        self.median = median
        self.sigma = sigma
        self.lower = lower
        self.upper = upper
        self.bounding = bounding
    }

    /// The spec whose central ~95 % (±2 sigma) spans [lower, upper], bounded there: median = sqrt(lower·upper),
    /// sigma = ln(upper/lower)/4. E.g. `spanning(5, 50)` has median 15.8 and sigma 0.576.
    public static func spanning(_ lower: Double, _ upper: Double, bounding: Bounding = .clip) -> BoundedLogNormal {
        BoundedLogNormal(
            median: (lower * upper).squareRoot(), sigma: StableMath.log(upper / lower) / 4, lower: lower, upper: upper,
            bounding: bounding)
    }

    /// The value for a standard-normal draw `z` before bounding.
    public func unbounded(_ z: Double) -> Double { median * StableMath.exp(sigma * z) }

    /// Maps standard-normal draws to a bounded value; `z` is the first draw, `redraw` supplies more for `.resample`.
    public func value(z: Double, redraw: () -> Double) -> Double {
        var x = unbounded(z)
        if bounding == .resample {
            var attempts = 0
            while (x < lower || x > upper) && attempts < 64 {
                x = unbounded(redraw())
                attempts += 1
            }
        }
        return min(max(x, lower), upper)
    }

    public func sample(_ rng: inout SeededGenerator) -> Double {
        value(z: rng.standardNormal(), redraw: { rng.standardNormal() })
    }

    func validate(_ field: String) throws {
        guard median > 0, median.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'median' must be > 0, got \(median)")
        }
        guard sigma >= 0, sigma.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'sigma' must be >= 0, got \(sigma)")
        }
        guard lower > 0, lower.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'lower' must be > 0, got \(lower)")
        }
        guard upper >= lower, upper.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'upper' must be finite and >= lower (\(lower)), got \(upper)")
        }
    }
}

/// A closed range [lower, upper] drawn uniformly. Units are those of the field that uses it.
public struct UniformRange: Codable, Sendable, Hashable {
    public var lower: Double
    public var upper: Double
    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }
    /// A single value (lower == upper).
    public static func constant(_ value: Double) -> UniformRange { UniformRange(value, value) }

    public func sample(_ rng: inout SeededGenerator) -> Double { rng.uniform(lower, upper) }
    public func contains(_ x: Double) -> Bool { x >= lower && x <= upper }

    /// - Throws: unless `minimum <= lower <= upper` and both are finite.
    func validate(_ field: String, minimum: Double = 0, maximum: Double = .infinity, strictMinimum: Bool = false) throws {
        let lowOK = strictMinimum ? lower > minimum : lower >= minimum
        guard lowOK, lower.isFinite else {
            throw CoreError(.invalidValue,
                "\(field): field 'lower' must be \(strictMinimum ? ">" : ">=") \(minimum), got \(lower)")
        }
        guard upper >= lower, upper <= maximum, upper.isFinite else {
            throw CoreError(.invalidValue,
                "\(field): field 'upper' must be >= lower (\(lower)) and <= \(maximum), got \(upper)")
        }
    }
}
