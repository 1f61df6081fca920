/// The headway heuristic on precomputed tables: construction by marginal objective increase, then local search.
enum LocalSearchCore {
    struct Result {
        var devices: [Int]
        var objective: Double
        var rounds: Int
        var moves: Int
        var swaps: Int
        var constructed: Bool
    }

    /// - Returns: nil when neither construction nor the first-fit fallback finds a placement within memory.
    /// Local search from several starts, the best result kept: the construction (or the first-fit fallback), the
    /// previous placement (staying put costs no migration) and, on small clusters, everything on one device.
    static func solve(_ t: ExactCostTables, maxRounds: Int, swaps: Bool) -> Result? {
        var constructed = true
        var starts: [[Int]] = []
        if let c = construct(t) { starts.append(c) } else {
            constructed = false
            if let f = firstFit(t, bestFit: false) ?? firstFit(t, bestFit: true) {
                starts.append(f)
            } else {
                // Tight packing: a depth-first search of the exact planner, bounded, for any feasible placement.
                var search = ExactSearch(tables: t, incumbent: nil, deadline: nil, nodeLimit: fallbackNodes)
                search.run()
                if let found = search.best { starts.append(found) }
            }
        }
        let count = t.layers * t.blocksPerLayer
        if let previous = t.previous, let repaired = repair(t, previous) { starts.append(repaired) }
        if t.n <= singleDeviceStartLimit {
            for d in 0..<t.n {
                let all = Array(repeating: d, count: count)
                if LocalSearchState(tables: t, devices: all).isFeasible { starts.append(all) }
            }
        }
        var best: Result?
        for start in starts {
            var state = LocalSearchState(tables: t, devices: start)
            var result = improve(&state, maxRounds: maxRounds, swaps: swaps)
            result.constructed = constructed
            if best == nil || result.objective < best!.objective { best = result }
        }
        return best
    }

    /// Clusters up to this size also start from every single-device placement that fits.
    static let singleDeviceStartLimit = 8

    // MARK: Construction

    /// Places the blocks layer by layer, attention blocks first, then projection, then FFN, each on the device that
    /// increases the objective least. Until the projection and FFN of a layer are placed, the layer is costed with the
    /// best projection and FFN devices for what is already placed (memory of those two ignored).
    static func construct(_ t: ExactCostTables) -> [Int]? {
        let n = t.n
        let usable = (0..<n).filter { t.usable[$0] }
        var devices = Array(repeating: -1, count: t.layers * t.blocksPerLayer)
        var memory = t.freeMemory
        var budget = t.freeBudget
        var perSource = Array(repeating: 0.0, count: n)
        var migrationMax = 0.0
        var counts = Array(repeating: 0, count: n)
        var phase = Array(repeating: 0.0, count: n)  // per projection device: reference gather sum / decode phase max
        var tailBest = Array(repeating: 0.0, count: n)
        var residual = t.controller

        /// Migration increase of block b onto d.
        func migrationIncrease(_ b: Int, _ d: Int) -> Double {
            guard let previous = t.previous, previous[b] != d else { return 0 }
            let c = t.migration[b * n + d]
            if t.model == .reference { return c }
            let s = t.migrationSource[b]
            return max(migrationMax, s >= 0 ? perSource[s] + c : c) - migrationMax
        }
        func commitMigration(_ b: Int, _ d: Int) {
            guard t.model == .decode, let previous = t.previous, previous[b] != d else { return }
            let c = t.migration[b * n + d]
            let s = t.migrationSource[b]
            if s >= 0 { perSource[s] += c; migrationMax = max(migrationMax, perSource[s]) } else { migrationMax = max(migrationMax, c) }
        }
        func fits(_ d: Int, _ m: Double, _ c: Double) -> Bool { memory[d] >= m && budget[d] >= c }
        func preferred(_ b: Int, _ d: Int, _ best: Int) -> Bool { t.previous?[b] == d && t.previous?[b] != best }

        for l in 0..<t.layers {
            let base = l * t.blocksPerLayer
            let last = l == t.layers - 1
            for d in 0..<n { counts[d] = 0 }
            var maxLoad = 0.0
            for p in usable {
                phase[p] = t.model == .reference || residual == p ? 0 : t.hiddenTransfer[residual * n + p]
                var best = Double.infinity
                for f in usable { best = min(best, t.tail(projection: p, ffn: f, last: last) - t.projectionTime[p]) }
                tailBest[p] = t.projectionTime[p] + best
            }
            for g in 0..<t.groups {
                let b = base + g
                var bestDevice = -1
                var bestValue = Double.infinity
                for d in usable where fits(d, t.attentionMemory, t.attentionBudget) {
                    var value = Double.infinity
                    if t.model == .reference {
                        let load = max(maxLoad, t.attentionLoad(counts[d] + 1, on: d))
                        for p in usable {
                            value = min(value, load + phase[p] + t.referenceGather(1, from: d, to: p) + tailBest[p])
                        }
                    } else {
                        for p in usable {
                            let branch = t.decodeBranch(counts[d] + 1, on: d, residual: residual, projection: p)
                            value = min(value, max(phase[p], branch) + tailBest[p])
                        }
                    }
                    value += migrationIncrease(b, d)
                    if value < bestValue || (value == bestValue && preferred(b, d, bestDevice)) {
                        bestValue = value
                        bestDevice = d
                    }
                }
                guard bestDevice >= 0 else { return nil }
                let d = bestDevice
                devices[b] = d
                memory[d] -= t.attentionMemory
                budget[d] -= t.attentionBudget
                commitMigration(b, d)
                counts[d] += 1
                if t.model == .reference {
                    maxLoad = max(maxLoad, t.attentionLoad(counts[d], on: d))
                    for p in usable { phase[p] += t.referenceGather(1, from: d, to: p) }
                } else {
                    for p in usable { phase[p] = max(phase[p], t.decodeBranch(counts[d], on: d, residual: residual, projection: p)) }
                }
            }
            // Projection.
            let pb = base + t.groups
            var bestP = -1
            var bestValue = Double.infinity
            for p in usable where fits(p, t.projectionMemory, t.projectionBudget) {
                let value = (t.model == .reference ? maxLoad + phase[p] : phase[p]) + tailBest[p] + migrationIncrease(pb, p)
                if value < bestValue || (value == bestValue && preferred(pb, p, bestP)) { bestValue = value; bestP = p }
            }
            guard bestP >= 0 else { return nil }
            devices[pb] = bestP
            memory[bestP] -= t.projectionMemory
            budget[bestP] -= t.projectionBudget
            commitMigration(pb, bestP)
            // FFN.
            let fb = pb + 1
            var bestF = -1
            bestValue = .infinity
            for f in usable where fits(f, t.ffnMemory, t.ffnBudget) {
                let value = t.tail(projection: bestP, ffn: f, last: last) + migrationIncrease(fb, f)
                if value < bestValue || (value == bestValue && preferred(fb, f, bestF)) { bestValue = value; bestF = f }
            }
            guard bestF >= 0 else { return nil }
            devices[fb] = bestF
            memory[bestF] -= t.ffnMemory
            budget[bestF] -= t.ffnBudget
            commitMigration(fb, bestF)
            residual = bestF
        }
        return devices
    }

    /// The previous placement made feasible with as little harm as possible: while some device is over its memory or
    /// budget (caches grow; a device may have gone offline), move the block of an overloaded device whose move to a
    /// device with room raises the objective least.
    static func repair(_ t: ExactCostTables, _ start: [Int]) -> [Int]? {
        var state = LocalSearchState(tables: t, devices: start)
        let usable = (0..<t.n).filter { t.usable[$0] }
        for _ in 0...start.count {
            let over = (0..<t.n).filter { state.memory[$0] < 0 || state.budget[$0] < 0 || !t.usable[$0] }
                .filter { d in state.devices.contains(d) }
            if over.isEmpty { return state.devices }
            var best: (block: Int, to: Int)?
            var bestValue = Double.infinity
            for b in state.devices.indices where over.contains(state.devices[b]) {
                let from = state.devices[b]
                for d in usable where d != from && !over.contains(d) && state.fits(b, on: d) {
                    state.move(b, to: d)
                    if state.objective < bestValue { bestValue = state.objective; best = (b, d) }
                    state.move(b, to: from)
                }
            }
            guard let best else { return nil }
            state.move(best.block, to: best.to)
        }
        return nil
    }

    /// Nodes of the exact search used to find a first feasible placement when the packings fail.
    static let fallbackNodes = 20_000

    /// Fallback when construction runs out of room: largest blocks first, each on the device with most free memory
    /// (or, `bestFit`, the least free memory that still fits).
    static func firstFit(_ t: ExactCostTables, bestFit: Bool) -> [Int]? {
        let count = t.layers * t.blocksPerLayer
        var memory = t.freeMemory
        var budget = t.freeBudget
        var devices = Array(repeating: -1, count: count)
        let probe = LocalSearchState(tables: t, devices: Array(repeating: 0, count: count))
        let order = (0..<count).sorted { probe.demand($0).memory > probe.demand($1).memory }
        for b in order {
            let (m, c) = probe.demand(b)
            var best = -1
            for d in 0..<t.n where t.usable[d] && memory[d] >= m && budget[d] >= c {
                if best < 0 || (bestFit ? memory[d] < memory[best] : memory[d] > memory[best]) { best = d }
            }
            guard best >= 0 else { return nil }
            devices[b] = best
            memory[best] -= m
            budget[best] -= c
        }
        return devices
    }

    // MARK: Local search

    /// Best single-block move per block, then (when no move helps) pairwise swaps, while the objective improves.
    /// Above `allPairsLimit` blocks only pairs within one layer are tried (where attention, projection and FFN interact),
    /// to keep a re-plan of a 30-layer model on 25 devices in milliseconds.
    static func improve(_ state: inout LocalSearchState, maxRounds: Int, swaps: Bool) -> Result {
        let t = state.t
        let count = state.devices.count
        let usable = (0..<t.n).filter { t.usable[$0] }
        var rounds = 0
        var moves = 0
        var swapCount = 0
        func better(_ v: Double, than current: Double) -> Bool { v < current - 1e-12 * abs(current) }
        while rounds < maxRounds {
            rounds += 1
            var improved = false
            for b in 0..<count {
                let from = state.devices[b]
                let current = state.objective
                var bestDevice = -1
                var bestValue = current
                for d in usable where d != from && state.fits(b, on: d) {
                    state.move(b, to: d)
                    let v = state.objective
                    if better(v, than: bestValue) { bestValue = v; bestDevice = d }
                    state.move(b, to: from)
                }
                if bestDevice >= 0 {
                    state.move(b, to: bestDevice)
                    moves += 1
                    improved = true
                }
            }
            if improved { continue }
            // Compound moves: all blocks of one layer on device a go to b, then all blocks on a go to b.
            if groupMoves(&state, usable: usable) {
                moves += 1
                continue
            }
            if count <= allPairsLimit && ejectionMoves(&state, usable: usable) {
                moves += 1
                continue
            }
            guard swaps else { break }
            for b1 in 0..<count {
                for b2 in (b1 + 1)..<count {
                    if count > allPairsLimit && b1 / t.blocksPerLayer != b2 / t.blocksPerLayer { break }
                    let d1 = state.devices[b1]
                    let d2 = state.devices[b2]
                    if d1 == d2 || interchangeable(b1, b2, t) { continue }
                    let current = state.objective
                    state.move(b1, to: d2)
                    state.move(b2, to: d1)
                    if state.memory[d1] >= 0 && state.memory[d2] >= 0 && state.budget[d1] >= 0 && state.budget[d2] >= 0
                        && better(state.objective, than: current)
                    {
                        swapCount += 1
                        improved = true
                    } else {
                        state.move(b2, to: d2)
                        state.move(b1, to: d1)
                    }
                }
            }
            if !improved { break }
        }
        state.resync()
        return Result(devices: state.devices, objective: state.objective, rounds: rounds, moves: moves, swaps: swapCount,
            constructed: true)
    }

    static let allPairsLimit = 64

    /// Moves a block onto a device where it does not fit, then evicts other blocks from that device (each time the
    /// eviction that raises the objective least) until it fits; applies the best improving such chain. Reaches the
    /// placements that tight memory hides from single moves and swaps (e.g. a large FFN replacing several heads).
    static func ejectionMoves(_ state: inout LocalSearchState, usable: [Int]) -> Bool {
        let current = state.objective
        var best = current - 1e-12 * abs(current)
        var bestChain: [(block: Int, to: Int)]?
        let count = state.devices.count
        for b in 0..<count {
            let from = state.devices[b]
            for d in usable where d != from && !state.fits(b, on: d) {
                var chain: [(block: Int, to: Int, from: Int)] = [(b, d, from)]
                state.move(b, to: d)
                var ok = true
                while state.memory[d] < 0 || state.budget[d] < 0 {
                    var pick: (Int, Int)?
                    var pickValue = Double.infinity
                    for v in 0..<count where v != b && state.devices[v] == d {
                        for e in usable where e != d && state.fits(v, on: e) {
                            state.move(v, to: e)
                            if state.objective < pickValue { pickValue = state.objective; pick = (v, e) }
                            state.move(v, to: d)
                        }
                    }
                    guard let (v, e) = pick else { ok = false; break }
                    state.move(v, to: e)
                    chain.append((v, e, d))
                }
                if ok && state.isFeasible && state.objective < best {
                    best = state.objective
                    bestChain = chain.map { ($0.block, $0.to) }
                }
                for step in chain.reversed() { state.move(step.block, to: step.from) }
            }
        }
        guard let chain = bestChain else { return false }
        for step in chain { state.move(step.block, to: step.to) }
        return true
    }

    /// Tries moving, per layer and then for the whole model, every block on one device to another; applies the best
    /// improving one. Escapes the minima where moving a single block of a co-located group only adds a transfer.
    static func groupMoves(_ state: inout LocalSearchState, usable: [Int]) -> Bool {
        let t = state.t
        let current = state.objective
        var best = current - 1e-12 * abs(current)
        var bestMove: (blocks: [Int], to: Int)?
        func tryMove(_ blocks: [Int], to b: Int) {
            let from = blocks.map { state.devices[$0] }
            for blk in blocks { state.move(blk, to: b) }
            if state.isFeasible && state.objective < best {
                best = state.objective
                bestMove = (blocks, b)
            }
            for (i, blk) in blocks.enumerated().reversed() { state.move(blk, to: from[i]) }
        }
        var ranges: [Range<Int>] = (0..<t.layers).map { ($0 * t.blocksPerLayer)..<(($0 + 1) * t.blocksPerLayer) }
        if t.layers > 1 { ranges.append(0..<(t.layers * t.blocksPerLayer)) }
        for range in ranges {
            for a in usable {
                let blocks = range.filter { state.devices[$0] == a }
                if blocks.isEmpty { continue }
                for b in usable where b != a { tryMove(blocks, to: b) }
            }
        }
        // The projection and FFN of a layer together (their handoff makes single moves of either unattractive).
        for l in 0..<t.layers {
            let pf = [l * t.blocksPerLayer + t.groups, l * t.blocksPerLayer + t.groups + 1]
            for b in usable where pf.contains(where: { state.devices[$0] != b }) { tryMove(pf, to: b) }
        }
        guard let m = bestMove else { return false }
        for blk in m.blocks { state.move(blk, to: m.to) }
        return true
    }

    /// Two attention blocks of one layer with the same previous device: swapping them changes nothing.
    static func interchangeable(_ a: Int, _ b: Int, _ t: ExactCostTables) -> Bool {
        let k = t.blocksPerLayer
        guard a / k == b / k, a % k < t.groups, b % k < t.groups else { return false }
        return t.previous.map { $0[a] == $0[b] } ?? true
    }
}
