/// Summary statistics of a sample: mean, median, 95th percentile, extremes, and a 95% confidence interval of the mean.
public struct Summary: Hashable, Sendable, Codable {
    public var count: Int
    public var mean: Double
    public var p50: Double
    public var p95: Double
    public var min: Double
    public var max: Double
    public var standardDeviation: Double
    /// Half-width of the 95% confidence interval of the mean (Student t; 0 for fewer than 2 values).
    public var ci95: Double

    enum CodingKeys: String, CodingKey {
        case count, mean, p50, p95, min, max
        case standardDeviation = "std"
        case ci95 = "ci95_half_width"
    }

    /// Summarises `values`, ignoring non-finite ones. An empty sample gives NaN statistics with count 0.
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        let v = values.filter(\.isFinite).sorted()
        count = v.count
        guard !v.isEmpty else {
            mean = .nan; p50 = .nan; p95 = .nan; min = .nan; max = .nan; standardDeviation = .nan; ci95 = .nan
            return
        }
        let m = v.reduce(0, +) / Double(v.count)
        mean = m
        p50 = Summary.percentile(sorted: v, 0.5)
        p95 = Summary.percentile(sorted: v, 0.95)
        min = v.first!
        max = v.last!
        if v.count > 1 {
            let variance = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
            standardDeviation = variance.squareRoot()
            ci95 = Summary.tQuantile975(degreesOfFreedom: v.count - 1) * standardDeviation / Double(v.count).squareRoot()
        } else {
            standardDeviation = 0
            ci95 = 0
        }
    }

    /// Linear interpolation between closest ranks (the NumPy default).
    public static func percentile(sorted v: [Double], _ q: Double) -> Double {
        precondition(!v.isEmpty)
        let rank = q * Double(v.count - 1)
        let lo = Int(rank.rounded(.down))
        let hi = Swift.min(lo + 1, v.count - 1)
        return v[lo] + (v[hi] - v[lo]) * (rank - Double(lo))
    }

    /// Two-sided 95% Student-t quantile.
    static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        if df <= 0 { return .nan }
        if df <= table.count { return table[df - 1] }
        if df <= 60 { return 2.000 + (2.042 - 2.000) * Double(60 - df) / 30 }
        if df <= 120 { return 1.980 + (2.000 - 1.980) * Double(120 - df) / 60 }
        return 1.960
    }
}
