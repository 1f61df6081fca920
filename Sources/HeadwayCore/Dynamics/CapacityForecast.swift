/// Forecasts the cluster's fluctuating capacities (each device's available compute and memory bandwidth, each link's
/// bandwidth) over the next H tokens from their own history, so that a planner weighs a move against what it is
/// expected to save over those tokens rather than against one token's luck.
///
/// **Model.** For each capacity the forecast works on its reciprocal `y = 1 / capacity` (seconds per FLOP or per byte:
/// what latencies add up, so that averaging `y` averages times), and takes `y` to follow a first-order autoregression
/// around its mean: `y[t+1] − m = ρ·(y[t] − m) + noise`. `m` is the mean of every token observed and `ρ` the lag-1
/// autocorrelation of the same history, clamped to [0, 1]. Short histories of a random walk look mean-reverting
/// (the estimate is biased low), so ρ < 1 is kept only when the history **rejects a random walk**: the Dickey–Fuller
/// statistic τ = (ρ − 1)/SE(ρ), with SE(ρ)² = (1 − ρ²)/(n − 2), is below −3.43 (1% level; for a history drawn anew
/// every token that takes about 14 tokens); otherwise ρ = 1, today's value holds. The expected `y` averaged over the
/// tokens t ... t+H−1 is then
///
///     ŷ = m + (y[t] − m) · w,   w = (1 − ρ^H) / (H·(1 − ρ))   (w = 1 when ρ = 1)
///
/// A random walk, or a value that steps and holds, has ρ ≈ 1 and keeps today's value; a value drawn anew every token
/// has ρ ≈ 0 and is forecast at its mean; a mean-reverting load decays toward its mean at its own rate. Online flags
/// and memory are not forecast (they are constraints now, not averages), and H = 1 gives today's state exactly.
///
/// **New levels.** Once a resource has `minimumHistory` (10) samples, a sample more than `breakDeviations` (6) standard
/// deviations of its history from the history's mean starts a new history: a link slowed 10x, a device that lost
/// half its speed for good, a link that recovers, is a new level that holds (ρ = 1 until the new history says
/// otherwise), not a fluctuation to average away. Values drawn anew every token from one distribution stay within a
/// few standard deviations (U(1, 10) Gbit/s: at most 4.0 in the reciprocal) and never break their history.
///
/// Known limit: a step smaller than that looks like a fluctuation and is trusted only as it fills the history.
public struct CapacityForecast: Sendable, Hashable {
    /// Running sums of one resource's reciprocal, shifted by its first sample (against cancellation).
    struct Series: Sendable, Hashable {
        var count = 0
        var shift = 0.0
        var sum = 0.0
        var sumSquares = 0.0
        /// Σ z[t]·z[t−1] over consecutive samples.
        var sumLag = 0.0
        var first = 0.0
        var last = 0.0

        /// Adds a sample; a sample far outside the history (see `CapacityForecast`) starts a new one. Returns whether
        /// it did.
        @discardableResult
        mutating func add(_ y: Double) -> Bool {
            if count >= CapacityForecast.minimumHistory {
                let c = Double(count)
                let mz = sum / c
                let sd = (max(sumSquares / c - mz * mz, 0)).squareRoot()
                let deviation = abs(y - shift - mz)
                if deviation > CapacityForecast.breakDeviations * sd && deviation > 1e-9 * abs(mean) {
                    self = Series()
                    add(y)
                    return true
                }
            }
            if count == 0 { shift = y }
            let z = y - shift
            if count == 0 { first = z } else { sumLag += z * last }
            sum += z
            sumSquares += z * z
            last = z
            count += 1
            return false
        }

        var mean: Double { shift + sum / Double(count) }

        /// Lag-1 autocorrelation in [0, 1]; 1 for fewer than two samples or a history that does not vary.
        var persistence: Double {
            guard count >= 2 else { return 1 }
            let c = Double(count)
            let mz = sum / c
            let variance = sumSquares - c * mz * mz
            guard variance > 1e-12 * max(sumSquares, 1e-300) else { return 1 }
            let lagged = sumLag - mz * (sum - first) - mz * (sum - last) + (c - 1) * mz * mz
            let rho = lagged / variance
            guard rho.isFinite else { return 1 }
            let r = min(max(rho, 0), 1)
            // Dickey–Fuller: keep ρ < 1 only when the history rejects a random walk at 1%.
            return (c - 2) * (1 - r) / (1 + r) > CapacityForecast.unitRootThreshold ? r : 1
        }
    }

    /// τ² of the Dickey–Fuller test with a constant at 1% (τ = −3.43): a history shows mean reversion when
    /// (n − 2)·(1 − ρ)/(1 + ρ) exceeds it.
    public static let unitRootThreshold = 3.43 * 3.43
    /// Samples a history needs before a sample far outside it counts as a new level.
    public static let minimumHistory = 10
    /// How far (standard deviations of the history from its mean) a sample must fall to start a new level.
    public static let breakDeviations = 6.0

    /// Tokens observed.
    public private(set) var observed = 0
    /// Samples that started a new level (over every resource).
    public private(set) var breaks = 0
    private var series: [Series] = []
    private var devices = 0

    public init() {}

    /// Records the state in force at the next token. A non-positive or non-finite capacity is not recorded.
    public mutating func observe(_ state: ClusterState) {
        let n = state.count
        let count = 2 * n + state.linkBandwidth.count
        if series.count != count {
            series = Array(repeating: Series(), count: count)
            devices = n
            observed = 0
        }
        for i in 0..<n {
            record(i, state.compute[i].value)
            record(n + i, state.memoryBandwidth[i].value)
        }
        for k in state.linkBandwidth.indices { record(2 * n + k, state.linkBandwidth[k].value) }
        observed += 1
    }

    private mutating func record(_ r: Int, _ x: Double) {
        guard x > 0, x.isFinite else { return }
        if series[r].add(1 / x) { breaks += 1 }
    }

    /// The weight `w` of today's deviation from the mean in the forecast averaged over `horizon` tokens.
    public static func weight(persistence rho: Double, horizon: Int) -> Double {
        let h = Double(max(horizon, 1))
        if rho >= 1 || horizon <= 1 { return 1 }
        if rho <= 0 { return 1 / h }
        return (1 - integerPower(rho, UInt64(max(horizon, 1)))) / (h * (1 - rho))
    }

    /// Persistence ρ of each resource: compute per device, then memory bandwidth per device, then bandwidth per link.
    public var persistences: [Double] { series.map(\.persistence) }

    /// `state` with compute, memory bandwidth and link bandwidth replaced by their forecast averaged over the next
    /// `horizon` tokens (online flags and memory as they are). A state of another shape than the one observed, or a
    /// horizon of 1, is returned unchanged.
    public func forecast(_ state: ClusterState, horizon: Int) -> ClusterState {
        let n = state.count
        guard horizon > 1, n == devices, series.count == 2 * n + state.linkBandwidth.count else { return state }
        func predict(_ r: Int, _ x: Double) -> Double {
            let s = series[r]
            guard x > 0, x.isFinite, s.count > 0 else { return x }
            let w = Self.weight(persistence: s.persistence, horizon: horizon)
            if w >= 1 { return x }
            let m = s.mean
            let y = m + (1 / x - m) * w
            return y > 0 && y.isFinite ? 1 / y : x
        }
        let compute = (0..<n).map { FLOPsPerSecond(predict($0, state.compute[$0].value)) }
        let memoryBandwidth = (0..<n).map { BytesPerSecond(predict(n + $0, state.memoryBandwidth[$0].value)) }
        let links = state.linkBandwidth.indices.map { BytesPerSecond(predict(2 * n + $0, state.linkBandwidth[$0].value)) }
        return state.with(compute: compute, memoryBandwidth: memoryBandwidth, linkBandwidth: links)
    }
}

/// x^e by repeated squaring (exact enough for ρ^H; HeadwayCore does without Foundation's `pow`).
@inline(__always) private func integerPower(_ x: Double, _ e: UInt64) -> Double {
    var result = 1.0
    var base = x
    var e = e
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base
        e >>= 1
    }
    return result
}
