import HeadwayCore

/// The SplitLLM dynamic programme over a discretised time budget (baselines.md §1.4, with the autoregressive wrap and an
/// optional client-memory dimension; both ours).
///
/// Time quantum `Δ = Λ / timeSteps`; every time component (a unit's time on a side, a crossing, the input upload, the
/// wrap, the result download) is rounded **up** to whole ticks, so a split whose ticks fit in `timeSteps` has a true
/// latency ≤ Λ: the DP never accepts a split that violates the SLA. It is exact for the rounded instance and may miss
/// splits that fit only within the rounding slack (the Pareto oracle measures that gap).
///
/// With a memory cap the client weights are rounded up to quanta of `cap / memorySteps` the same way (a cap that all
/// units fit under together is ignored: it cannot bind).
///
/// State, for a fixed side `s₀` of unit 0 (the wrap couples the first and last units, so the DP runs once per `s₀`):
/// ```
/// F[i][x][τ][μ] = least server work of units 0…i with unit i on side x, latency ≤ τ ticks, client memory ≤ μ quanta
/// F[0][s₀][τ][μ] = w₀·[s₀=S]  if τ ≥ entry(s₀)+t₀(s₀) and μ ≥ m₀·[s₀=C];  +∞ otherwise
/// F[i][x][τ][μ]  = w_i·[x=S] + min_p F[i−1][p][τ − t_i(x) − cross_{i−1}(p→x)][μ − m_i·[x=C]]
/// answer         = min_{s₀, x} F[K−1][x][T − wrap(x→s₀) − result(x)][M]
/// ```
/// "≤ τ" semantics keep F monotone, so every cell is O(1) and the whole table is O(K·T·M).
enum SplitLLMTimeDP {
    static func solve(
        _ c: SplitLLMCosts, sla: Seconds, memoryCap: Bytes?, timeSteps: Int, memorySteps: Int
    ) -> [SplitLLMSide]? {
        let k = c.count
        let steps = timeSteps
        let quantum = sla.value / Double(steps)
        func tick(_ s: Seconds) -> Int { SplitLLMCosts.ticks(s, quantum: quantum) }
        let clientTicks = c.units.map { tick($0.clientTime) }
        let serverTicks = c.units.map { tick($0.serverTime) }
        let upTicks = c.upload.map(tick)
        let downTicks = c.download.map(tick)
        let work = c.units.map(\.serverWork.value)

        let memoryLevels: Int
        var memoryTicks = Array(repeating: 0, count: k)
        // A cap that every unit fits under together does not bind: drop the memory dimension (exact, and cheaper).
        let allWeights = c.units.reduce(0.0) { $0 + $1.clientWeights.value }
        if let cap = memoryCap, allWeights > cap.value {
            memoryLevels = memorySteps
            for i in 0..<k {
                let w = c.units[i].clientWeights.value
                if w <= 0 { continue }
                memoryTicks[i] = cap.value > 0 ? Int(min((w / (cap.value / Double(memorySteps))).rounded(.up), Double(memorySteps + 1)))
                    : memorySteps + 1
            }
        } else {
            memoryLevels = 0
        }
        let width = memoryLevels + 1
        let cells = (steps + 1) * width

        var best = Double.infinity
        var bestAssignment: [SplitLLMSide]? = nil
        for first in [SplitLLMSide.client, .server] {
            // values[side * cells + τ * width + μ]; choices[(i * 2 + side) * cells + ...] = predecessor side + 1 (0 = none).
            var previous = [Double](repeating: .infinity, count: 2 * cells)
            var choices = [UInt8](repeating: 0, count: k * 2 * cells)
            let f = first == .client ? 0 : 1
            let startTicks = tick(c.entry(first)) + (first == .client ? clientTicks[0] : serverTicks[0])
            let startMemory = first == .client ? memoryTicks[0] : 0
            if startTicks <= steps && startMemory <= memoryLevels {
                let v = first == .server ? work[0] : 0
                for tau in startTicks...steps {
                    for mu in startMemory...memoryLevels { previous[f * cells + tau * width + mu] = v }
                }
            }
            var current = [Double](repeating: .infinity, count: 2 * cells)
            for i in 1..<max(k, 1) {
                for idx in current.indices { current[idx] = .infinity }
                for x in 0..<2 {
                    let unitTicks = x == 0 ? clientTicks[i] : serverTicks[i]
                    let unitMemory = x == 0 ? memoryTicks[i] : 0
                    let unitWork = x == 1 ? work[i] : 0
                    if unitMemory > memoryLevels { continue }
                    for p in 0..<2 {
                        let cross = p == x ? 0 : (p == 0 ? upTicks[i - 1] : downTicks[i - 1])
                        let shift = unitTicks + cross
                        if shift > steps { continue }
                        for tau in shift...steps {
                            let from = p * cells + (tau - shift) * width - unitMemory
                            let to = x * cells + tau * width
                            for mu in unitMemory...memoryLevels {
                                let candidate = previous[from + mu] + unitWork
                                if candidate < current[to + mu] {
                                    current[to + mu] = candidate
                                    choices[(i * 2 + x) * cells + tau * width + mu] = UInt8(p + 1)
                                }
                            }
                        }
                    }
                }
                swap(&previous, &current)
            }
            for x in 0..<2 {
                let last: SplitLLMSide = x == 0 ? .client : .server
                let budget = steps - tick(c.wrap(from: last, to: first)) - (last == .server ? tick(c.resultDownload) : 0)
                if budget < 0 { continue }
                let v = previous[x * cells + budget * width + memoryLevels]
                guard v < best else { continue }
                // Backtrack.
                var assignment = Array(repeating: SplitLLMSide.client, count: k)
                var side = x, tau = budget, mu = memoryLevels
                var i = k - 1
                while i >= 1 {
                    assignment[i] = side == 0 ? .client : .server
                    let p = Int(choices[(i * 2 + side) * cells + tau * width + mu]) - 1
                    precondition(p >= 0, "SplitLLM DP: broken back-pointer at unit \(i)")
                    tau -= (side == 0 ? clientTicks[i] : serverTicks[i])
                        + (p == side ? 0 : (p == 0 ? upTicks[i - 1] : downTicks[i - 1]))
                    mu -= side == 0 ? memoryTicks[i] : 0
                    side = p
                    i -= 1
                }
                precondition(side == f, "SplitLLM DP: backtrack ended on the wrong first side")
                assignment[0] = first
                best = v
                bestAssignment = assignment
            }
        }
        return bestAssignment
    }
}
