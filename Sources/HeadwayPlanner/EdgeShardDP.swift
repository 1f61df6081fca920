/// EdgeShard's two dynamic programs over an `EdgeShardChain` (baselines.md §2.4, §2.5). Both force the first unit
/// onto the controller (EdgeShard's source device, which holds the user's data).
public enum EdgeShardDP {
    /// A DP's answer: the device of every unit and what the DP's objective says about it.
    public struct Solution: Sendable, Hashable {
        public var assignment: [Int]
        /// Per-token latency of the assignment (the latency DP's objective; for the throughput DP the latency of the
        /// pipeline it chose, for reporting).
        public var latency: Double
        /// Pipeline bottleneck (the throughput DP's objective; computed for the latency DP's answer too).
        public var bottleneck: Double
    }

    /// Latency-optimal DP: `L[u][j]` = least latency of units 0...u with unit u on device j. As in EdgeShard's code,
    /// each cell carries the free memory left along its chosen predecessor path and a transition is allowed only where
    /// that path leaves room for the unit (a path may revisit a device). Memory being path-dependent, this is exact when
    /// memory does not bind and a heuristic when it does (it may miss a feasible or better placement).
    /// O(units · devices²) transitions, O(devices) memory copy per improved cell.
    public static func latency(_ chain: EdgeShardChain) -> Solution? {
        let n = chain.deviceCount
        let count = chain.units.count
        guard count > 0 else { return nil }
        var value = Array(repeating: Double.infinity, count: count * n)
        var parent = Array(repeating: -1, count: count * n)
        var freeMemory = Array(repeating: [Double](), count: count * n)
        var freeFLOPs = Array(repeating: [Double](), count: count * n)
        let c = chain.controller
        if chain.online[c] && chain.memory[0] <= chain.freeMemory[c] && chain.flops[0] <= chain.freeFLOPs[c] {
            value[c] = chain.extend(chain.head, from: c, unit: 0, to: c)
            var m = chain.freeMemory
            var f = chain.freeFLOPs
            m[c] -= chain.memory[0]
            f[c] -= chain.flops[0]
            freeMemory[c] = m
            freeFLOPs[c] = f
        }
        for u in 1..<count {
            for j in 0..<n where chain.online[j] {
                var best = Double.infinity
                var from = -1
                for i in 0..<n {
                    let prefix = value[(u - 1) * n + i]
                    guard prefix.isFinite,
                        freeMemory[(u - 1) * n + i][j] >= chain.memory[u],
                        freeFLOPs[(u - 1) * n + i][j] >= chain.flops[u]
                    else { continue }
                    let candidate = chain.extend(prefix, from: i, unit: u, to: j)
                    if candidate < best {
                        best = candidate
                        from = i
                    }
                }
                guard from >= 0 else { continue }
                value[u * n + j] = best
                parent[u * n + j] = from
                var m = freeMemory[(u - 1) * n + from]
                var f = freeFLOPs[(u - 1) * n + from]
                m[j] -= chain.memory[u]
                f[j] -= chain.flops[u]
                freeMemory[u * n + j] = m
                freeFLOPs[u * n + j] = f
            }
        }
        var best = Double.infinity
        var last = -1
        for j in 0..<n where value[(count - 1) * n + j].isFinite {
            let total = chain.finish(value[(count - 1) * n + j], last: j)
            if total < best {
                best = total
                last = j
            }
        }
        guard last >= 0 else { return nil }
        var assignment = Array(repeating: 0, count: count)
        var j = last
        for u in stride(from: count - 1, through: 0, by: -1) {
            assignment[u] = j
            j = parent[u * n + j]
        }
        return Solution(assignment: assignment, latency: best, bottleneck: chain.bottleneck(of: assignment))
    }

    /// Throughput-optimal DP: `g[i][S][k]` = least bottleneck with units 0..<i placed on the device set S (a bitmask
    /// over `candidates`) as one contiguous stage per device, the last stage on k. Each device hosts at most one
    /// stage, so memory is checked exactly per stage. O(units² · 2^m · m²) for m candidates; exponential in m, so the
    /// caller restricts the candidates (EdgeShard's own code uses 5–6 devices). `candidates[0]` must be the controller.
    public static func throughput(_ chain: EdgeShardChain, candidates: [Int]) -> Solution? {
        let count = chain.units.count
        let m = candidates.count
        guard count > 0, m > 0, m <= 20, candidates[0] == chain.controller else { return nil }
        let masks = 1 << m
        // Prefix sums of memory and FLOPs per unit; compute time prefix per candidate.
        var memoryPrefix = [0.0]
        var flopsPrefix = [0.0]
        for u in 0..<count {
            memoryPrefix.append(memoryPrefix[u] + chain.memory[u])
            flopsPrefix.append(flopsPrefix[u] + chain.flops[u])
        }
        var timePrefix = Array(repeating: [0.0], count: m)
        for k in 0..<m {
            for u in 0..<count { timePrefix[k].append(timePrefix[k][u] + chain.time(u, on: candidates[k])) }
        }
        func fits(_ k: Int, _ a: Int, _ b: Int) -> Bool {
            let j = candidates[k]
            return chain.online[j] && memoryPrefix[b] - memoryPrefix[a] <= chain.freeMemory[j]
                && flopsPrefix[b] - flopsPrefix[a] <= chain.freeFLOPs[j]
        }
        func index(_ i: Int, _ s: Int, _ k: Int) -> Int { (i * masks + s) * m + k }
        var g = Array(repeating: Double.infinity, count: (count + 1) * masks * m)
        var parent = Array(repeating: -1, count: (count + 1) * masks * m)
        // First stage on the controller: units 0..<b.
        for b in 1...count where fits(0, 0, b) {
            g[index(b, 1, 0)] = timePrefix[0][b]
        }
        for i in 1..<count {
            for s in 1..<masks where s & 1 == 1 {
                for k in 0..<m where s & (1 << k) != 0 {
                    let here = g[index(i, s, k)]
                    guard here.isFinite else { continue }
                    let inboundBytes = chain.inboundBytes(i)
                    for k2 in 0..<m where s & (1 << k2) == 0 {
                        let inbound = chain.transfer(inboundBytes, candidates[k], candidates[k2])
                        let base = max(here, inbound)
                        let s2 = s | (1 << k2)
                        for b in (i + 1)...count {
                            guard fits(k2, i, b) else { break }  // memory only grows with b
                            let candidate = max(base, timePrefix[k2][b] - timePrefix[k2][i])
                            let at = index(b, s2, k2)
                            if candidate < g[at] {
                                g[at] = candidate
                                parent[at] = index(i, s, k)
                            }
                        }
                    }
                }
            }
        }
        var best = Double.infinity
        var end = -1
        for s in 1..<masks where s & 1 == 1 {
            for k in 0..<m where s & (1 << k) != 0 {
                let v = g[index(count, s, k)]
                guard v.isFinite else { continue }
                let total = max(v, chain.returnTransfer(from: candidates[k]))
                if total < best {
                    best = total
                    end = index(count, s, k)
                }
            }
        }
        guard end >= 0 else { return nil }
        var assignment = Array(repeating: 0, count: count)
        var at = end
        while at >= 0 {
            let k = at % m
            let b = at / (masks * m)
            let p = parent[at]
            let a = p >= 0 ? p / (masks * m) : 0
            for u in a..<b { assignment[u] = candidates[k] }
            at = p
        }
        return Solution(assignment: assignment, latency: chain.latency(of: assignment), bottleneck: best)
    }
}
