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

    /// Entry point of the exact planner (its tables already carry the migration table).
    static func solve(_ t: ExactCostTables, maxRounds: Int, swaps: Bool) -> Result? {
        solve(LocalSearchTables(t), maxRounds: maxRounds, swaps: swaps)
    }

    /// - Returns: nil when neither construction nor the first-fit fallback finds a placement within memory.
    ///
    /// Small models (up to `allPairsLimit` blocks): local search from several starts, the best result kept: the
    /// construction (or the first-fit fallback), the previous placement (staying put costs no migration) and, on small
    /// clusters, everything on one device.
    ///
    /// Larger models with a previous placement that can be made feasible (a re-plan): warm start. The local search
    /// starts from the (repaired) previous placement; the construction is built too, but searched from only when it
    /// is already better than where the warm start settled (a restart that could pay).
    static func solve(_ t: LocalSearchTables, maxRounds: Int, swaps: Bool) -> Result? {
        let c = t.base
        let count = c.layers * c.blocksPerLayer
        let repaired = t.previous.flatMap { repair(t, $0) }
        if count > allPairsLimit, let warmStart = repaired {
            var state = LocalSearchState(tables: t, devices: warmStart)
            var best = improve(&state, maxRounds: maxRounds, swaps: swaps)
            best.constructed = false
            if let built = construct(t) {
                var fresh = LocalSearchState(tables: t, devices: built)
                if fresh.isFeasible && fresh.objective < best.objective {
                    let r = improve(&fresh, maxRounds: maxRounds, swaps: swaps)
                    if r.objective < best.objective { best = r }
                }
            }
            return best
        }
        var constructed = true
        var starts: [[Int]] = []
        if let built = construct(t) { starts.append(built) } else {
            constructed = false
            if let f = firstFit(t, bestFit: false) ?? firstFit(t, bestFit: true) {
                starts.append(f)
            } else {
                // Tight packing: a depth-first search of the exact planner, bounded, for any feasible placement.
                var search = ExactSearch(tables: c, incumbent: nil, deadline: nil, nodeLimit: fallbackNodes)
                search.run()
                if let found = search.best { starts.append(found) }
            }
        }
        if let repaired { starts.append(repaired) }
        if c.n <= singleDeviceStartLimit {
            for d in 0..<c.n {
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

    static func construct(_ lt: LocalSearchTables) -> [Int]? {
        let t = lt.base
        let n = t.n
        let usable = (0..<n).filter { t.usable[$0] }
        var devices = Array(repeating: -1, count: t.layers * t.blocksPerLayer)
        var memory = t.freeMemory
        var budget = t.freeBudget
        var ledger = MigrationLoad(resources: lt.migrationTables.resources, deviceBase: lt.migrationTables.deviceBase)
        var counts = Array(repeating: 0, count: n)
        var phase = Array(repeating: 0.0, count: n)  // per projection device: reference gather sum / decode phase max
        var tailBest = Array(repeating: 0.0, count: n)
        var residual = t.controller
        var key = Array(repeating: 0.0, count: n)
        var order = usable

        /// Migration increase of block b onto d.
        func migrationIncrease(_ b: Int, _ d: Int) -> Double {
            guard let previous = lt.previous, previous[b] != d else { return 0 }
            return ledger.delayIf(lt.migrationTables.charges(b, on: d), 1) - ledger.delay
        }
        func commitMigration(_ b: Int, _ d: Int) {
            guard let previous = lt.previous, previous[b] != d else { return }
            ledger.add(lt.migrationTables.charges(b, on: d))
            ledger.refresh()
        }
        func fits(_ d: Int, _ m: Double, _ c: Double) -> Bool { memory[d] >= m && budget[d] >= c }
        func preferred(_ b: Int, _ d: Int, _ best: Int) -> Bool { lt.previous?[b] == d && lt.previous?[b] != best }

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
                // Projection devices by the lower bound phase + best tail of any choice through them (insertion
                // sort: the keys change little from one block to the next), so the scan over them stops early.
                for p in usable { key[p] = phase[p] + tailBest[p] }
                for i in 1..<max(order.count, 1) {
                    let x = order[i]
                    var j = i
                    while j > 0 && key[order[j - 1]] > key[x] {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = x
                }
                for d in usable where fits(d, t.attentionMemory, t.attentionBudget) {
                    var value = Double.infinity
                    let mig = migrationIncrease(b, d)
                    let limit = bestValue - mig
                    if t.model == .reference {
                        let load = max(maxLoad, t.attentionLoad(counts[d] + 1, on: d))
                        for p in order {
                            if key[p] >= value || key[p] > limit { break }
                            value = min(value, load + phase[p] + t.referenceGather(1, from: d, to: p) + tailBest[p])
                        }
                    } else {
                        for p in order {
                            if key[p] >= value || key[p] > limit { break }
                            let branch = t.decodeBranch(counts[d] + 1, on: d, residual: residual, projection: p)
                            value = min(value, max(phase[p], branch) + tailBest[p])
                        }
                    }
                    value += mig
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
    static func repair(_ t: LocalSearchTables, _ start: [Int]) -> [Int]? {
        let c = t.base
        var state = LocalSearchState(tables: t, devices: start)
        if state.isFeasible { return start }
        let usable = t.usableDevices
        var holds = Array(repeating: false, count: c.n)
        var over = Array(repeating: false, count: c.n)
        for _ in 0...start.count {
            for d in 0..<c.n { holds[d] = false }
            for d in state.devices { holds[d] = true }
            var anyOver = false
            for d in 0..<c.n {
                over[d] = holds[d] && (state.memory[d] < 0 || state.budget[d] < 0 || !c.usable[d])
                anyOver = anyOver || over[d]
            }
            if !anyOver { return state.devices }
            var best: (block: Int, to: Int)?
            var bestValue = Double.infinity
            for b in state.devices.indices where over[state.devices[b]] {
                let from = state.devices[b]
                for d in usable where d != from && !over[d] && state.fits(b, on: d) {
                    let v = state.objectiveIfMoved(b, to: d)
                    if v < bestValue { bestValue = v; best = (b, d) }
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
    static func firstFit(_ lt: LocalSearchTables, bestFit: Bool) -> [Int]? {
        let t = lt.base
        let count = t.layers * t.blocksPerLayer
        var memory = t.freeMemory
        var budget = t.freeBudget
        var devices = Array(repeating: -1, count: count)
        let probe = LocalSearchState(tables: lt, devices: Array(repeating: 0, count: count))
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

    @inline(__always) static func better(_ v: Double, than current: Double) -> Bool { v < current - 1e-12 * abs(current) }

    /// Best single-block move per block, then (when no move helps) compound moves and pairwise swaps, while the
    /// objective improves. Moves are costed without applying them (`objectiveIfMoved`); identical attention blocks
    /// (same layer, device and previous device) are costed once per state. Above `allPairsLimit` blocks only pairs
    /// within one layer are tried (where attention, projection and FFN interact), one attention block per class.
    static func improve(_ state: inout LocalSearchState, maxRounds: Int, swaps: Bool) -> Result {
        let c = state.t.base
        let count = state.devices.count
        let usable = state.t.usableDevices
        let previous = state.t.previous
        var rounds = 0
        var moves = 0
        var swapCount = 0
        // Classes of attention blocks found without an improving move on the current state (layer, version).
        var memo: [(from: Int, prev: Int)] = []
        var memoLayer = -1
        var memoVersion = -1
        while rounds < maxRounds {
            rounds += 1
            var improved = false
            for b in 0..<count {
                let from = state.devices[b]
                let attention = state.isAttention(b)
                let key = (from: from, prev: previous?[b] ?? -1)
                if attention {
                    let l = b / c.blocksPerLayer
                    if l != memoLayer || state.version != memoVersion {
                        memo.removeAll(keepingCapacity: true)
                        memoLayer = l
                        memoVersion = state.version
                    }
                    if memo.contains(where: { $0.from == key.from && $0.prev == key.prev }) { continue }
                }
                var bestDevice = -1
                var bestValue = state.objective
                for d in usable where d != from && state.fits(b, on: d) {
                    let v = state.objectiveIfMoved(b, to: d)
                    if better(v, than: bestValue) { bestValue = v; bestDevice = d }
                }
                if bestDevice >= 0 {
                    state.move(b, to: bestDevice)
                    moves += 1
                    improved = true
                } else if attention {
                    memo.append(key)
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
            if swapPass(&state, count: &swapCount) { improved = true }
            if !improved { break }
        }
        state.resync()
        return Result(devices: state.devices, objective: state.objective, rounds: rounds, moves: moves, swaps: swapCount,
            constructed: true)
    }

    static let allPairsLimit = 64

    /// One pass of pairwise swaps (all pairs on small models, pairs within a layer otherwise), each applied when it
    /// improves the objective and both devices stay within memory.
    static func swapPass(_ state: inout LocalSearchState, count swapCount: inout Int) -> Bool {
        let c = state.t.base
        let count = state.devices.count
        let k = c.blocksPerLayer
        let previous = state.t.previous
        var improved = false
        func trySwap(_ b1: Int, _ b2: Int) {
            let d1 = state.devices[b1]
            let d2 = state.devices[b2]
            if d1 == d2 || interchangeable(b1, b2, state.t) { return }
            let (m1, c1) = state.demand(b1)
            let (m2, c2) = state.demand(b2)
            guard state.memory[d1] + m1 - m2 >= 0 && state.memory[d2] + m2 - m1 >= 0
                && state.budget[d1] + c1 - c2 >= 0 && state.budget[d2] + c2 - c1 >= 0
            else { return }
            let current = state.objective
            let v: Double
            if b1 / k == b2 / k {
                let l = b1 / k
                let base = l * k
                var p = state.devices[base + c.groups]
                var f = state.devices[base + c.groups + 1]
                var minus = -1
                var plus = -1
                for (b, to) in [(b1, d2), (b2, d1)] {
                    let local = b - base
                    if local == c.groups { p = to } else if local == c.groups + 1 { f = to } else {
                        // One attention block of the pair: its count moves (two attention blocks: counts unchanged).
                        if state.isAttention(b1) != state.isAttention(b2) { minus = state.devices[b]; plus = to }
                    }
                }
                let lat = state.latencyIfLayerChanged(l, minus: minus, plus: plus, amount: minus >= 0 ? 1 : 0, projection: p, ffn: f)
                v = lat + state.migrationIfSwapped(b1, b2)
            } else {
                state.move(b1, to: d2)
                state.move(b2, to: d1)
                v = state.objective
                state.move(b2, to: d2)
                state.move(b1, to: d1)
            }
            if better(v, than: current) {
                state.move(b1, to: d2)
                state.move(b2, to: d1)
                swapCount += 1
                improved = true
            }
        }
        if count <= allPairsLimit {
            for b1 in 0..<count {
                for b2 in (b1 + 1)..<count { trySwap(b1, b2) }
            }
            return improved
        }
        // Within each layer, one attention block per (device, previous device) class.
        var reps: [Int] = []
        for l in 0..<c.layers {
            let base = l * k
            reps.removeAll(keepingCapacity: true)
            for b in base..<(base + k) {
                if b - base < c.groups,
                    reps.contains(where: {
                        $0 - base < c.groups && state.devices[$0] == state.devices[b] && previous?[$0] == previous?[b]
                    })
                {
                    continue
                }
                reps.append(b)
            }
            for i in reps.indices {
                for j in (i + 1)..<reps.count { trySwap(reps[i], reps[j]) }
            }
        }
        return improved
    }

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
                            let value = state.objectiveIfMoved(v, to: e)
                            if value < pickValue { pickValue = value; pick = (v, e) }
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
    /// Each candidate's latency is costed first without applying it (migration only adds), and only the candidates
    /// that could improve are applied, checked for memory and undone.
    static func groupMoves(_ state: inout LocalSearchState, usable: [Int]) -> Bool {
        let c = state.t.base
        let n = c.n
        let k = c.blocksPerLayer
        let current = state.objective
        var best = current - 1e-12 * abs(current)
        var bestMove: (blocks: [Int], to: Int)?
        var scratch = Array(repeating: 0.0, count: n)
        func tryMove(_ blocks: [Int], to b: Int) {
            let from = blocks.map { state.devices[$0] }
            for blk in blocks { state.move(blk, to: b) }
            if state.isFeasible && state.objective < best {
                best = state.objective
                bestMove = (blocks, b)
            }
            for (i, blk) in blocks.enumerated().reversed() { state.move(blk, to: from[i]) }
        }
        guard state.offline == 0 else { return false }
        var blocks: [Int] = []
        // Per layer.
        for l in 0..<c.layers {
            let base = l * k
            let p = state.devices[base + c.groups]
            let f = state.devices[base + c.groups + 1]
            for a in usable {
                let ka = state.counts[l * n + a]
                if ka == 0 && p != a && f != a { continue }
                blocks.removeAll(keepingCapacity: true)
                var mem = 0.0
                var bud = 0.0
                for blk in base..<(base + k) where state.devices[blk] == a {
                    blocks.append(blk)
                    let (m, bu) = state.demand(blk)
                    mem += m
                    bud += bu
                }
                for b in usable where b != a && state.memory[b] >= mem && state.budget[b] >= bud {
                    let lat = state.latencyIfLayerChanged(
                        l, minus: a, plus: b, amount: ka, projection: p == a ? b : p, ffn: f == a ? b : f)
                    if lat >= best { continue }
                    if lat + state.migrationIfMoved(blocks, to: b, scratch: &scratch) >= best { continue }
                    tryMove(blocks, to: b)
                }
            }
        }
        // Whole model.
        if c.layers > 1 {
            for a in usable {
                blocks.removeAll(keepingCapacity: true)
                var mem = 0.0
                var bud = 0.0
                for blk in 0..<state.devices.count where state.devices[blk] == a {
                    blocks.append(blk)
                    let (m, bu) = state.demand(blk)
                    mem += m
                    bud += bu
                }
                if blocks.isEmpty { continue }
                for b in usable where b != a && state.memory[b] >= mem && state.budget[b] >= bud {
                    var lat = c.constant
                    for l in 0..<c.layers {
                        let base = l * k
                        let p = state.devices[base + c.groups]
                        let f = state.devices[base + c.groups + 1]
                        let r = state.residual(ofLayer: l)
                        let ka = state.counts[l * n + a]
                        if ka == 0 && p != a && f != a && (l == 0 || r != a) {
                            lat += state.layerCost[l]
                            continue
                        }
                        lat += state.layerLatencyCached(
                            l, minus: a, plus: b, amount: ka, projection: p == a ? b : p, ffn: f == a ? b : f,
                            residual: l > 0 && r == a ? b : r)
                    }
                    if lat >= best { continue }
                    if lat + state.migrationIfMoved(blocks, to: b, scratch: &scratch) >= best { continue }
                    tryMove(blocks, to: b)
                }
            }
        }
        // The projection and FFN of a layer together (their handoff makes single moves of either unattractive).
        for l in 0..<c.layers {
            let pb = l * k + c.groups
            let fb = pb + 1
            for b in usable where state.devices[pb] != b || state.devices[fb] != b {
                let lat = state.latencyIfLayerChanged(l, minus: -1, plus: -1, amount: 0, projection: b, ffn: b)
                if lat >= best { continue }
                tryMove([pb, fb], to: b)
            }
        }
        guard let m = bestMove else { return false }
        for blk in m.blocks { state.move(blk, to: m.to) }
        return true
    }

    /// Two attention blocks of one layer with the same previous device: swapping them changes nothing.
    static func interchangeable(_ a: Int, _ b: Int, _ t: LocalSearchTables) -> Bool {
        let k = t.base.blocksPerLayer
        guard a / k == b / k, a % k < t.base.groups, b % k < t.base.groups else { return false }
        return t.previous.map { $0[a] == $0[b] } ?? true
    }
}
