import HeadwayCore

/// The engine of `ResourceAwarePlanner`: per-call precomputation, scoring over running per-device sums, and the
/// backtracking search. See `ResourceAwarePlanner` for the definitions it implements.
struct ResourceAwareSearch {
    private let request: PlanningRequest
    private let options: ResourceAwarePlanner.Options
    private let n: Int
    private let layers: Int
    private let groups: Int
    private let perLayer: Int
    private let controller: Int
    private let demands: [BlockDemand]
    /// Row of `exec` for each block (blocks with equal demands share a row).
    private let row: [Int]
    /// Execution time of demand row r on device j at r·n + j.
    private let exec: [Double]
    private let order: [Int]
    private let flow: BlockDataFlow
    private let bandwidth: [Double]
    private let latency: [Double]
    private let previous: Placement?
    private let baseLedger: ResourceLedger
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// The per-layer time budget T in force.
    private(set) var budget: Double
    private(set) var iterations = 0
    private(set) var backtracks = 0
    private(set) var doublings = 0
    private(set) var migrationChecks = 0

    // Pass state.
    private var ledger: ResourceLedger
    private var device: [Int]
    /// Attention execution / communication time queued on device j for layer l, at l·n + j.
    private var headCompute: [Double]
    private var headComm: [Double]
    private var headCount: [Int]
    /// What each placed attention block added to the queues (undone exactly on backtracking).
    private var addedCompute: [Double]
    private var addedComm: [Double]
    /// Devices excluded for a block by backtracking, at block·n + j.
    private var excluded: [Bool]
    /// Scratch for the projection's gather: devices with attention blocks of the layer, and their counts.
    private var sources: [Int] = []
    private var sourceCounts: [Int] = []
    private var scratch: Placement?

    init(request: PlanningRequest, options: ResourceAwarePlanner.Options) throws(PlannerError) {
        self.request = request
        self.options = options
        start = clock.now
        let layout = request.layout
        let state = request.state
        let cm = request.costModel
        n = state.count
        layers = layout.layerCount
        groups = layout.groupsPerLayer
        perLayer = layout.blocksPerLayer
        controller = state.cluster.controller
        flow = BlockDataFlow(request: request)
        bandwidth = state.pairBandwidth
        latency = state.pairLatency
        previous = request.previous
        let ledger0 = ResourceLedger(request: request)
        baseLedger = ledger0
        let count = state.count

        var demands: [BlockDemand] = []
        demands.reserveCapacity(layout.count)
        var row: [Int] = []
        row.reserveCapacity(layout.count)
        var rows: [BlockDemand: Int] = [:]
        var exec: [Double] = []
        for b in 0..<layout.count {
            let d = cm.demand(of: b, at: request.position)
            demands.append(d)
            if let r = rows[d] {
                row.append(r)
            } else {
                let r = rows.count
                rows[d] = r
                row.append(r)
                for j in 0..<state.count { exec.append(cm.executionTime(of: d, on: j, in: state).value) }
            }
        }
        self.demands = demands
        self.row = row
        self.exec = exec

        var order: [Int] = []
        order.reserveCapacity(layout.count)
        for l in 0..<layout.layerCount {
            let heads = (0..<layout.groupsPerLayer).map { layout.attentionIndex(layer: l, group: $0) }
            // Stable sort by decreasing memory.
            order += heads.enumerated().sorted {
                demands[$0.element].memory != demands[$1.element].memory
                    ? demands[$0.element].memory > demands[$1.element].memory : $0.offset < $1.offset
            }.map(\.element)
            order.append(layout.projectionIndex(layer: l))
            order.append(layout.feedForwardIndex(layer: l))
        }
        self.order = order

        // Quick infeasibility checks: a block that fits nowhere, or more memory than all online devices have free.
        var totalFree = 0.0
        for j in 0..<n where baseLedger.online[j] { totalFree += max(baseLedger.freeMemory[j], 0) }
        var totalNeeded = 0.0
        for b in 0..<layout.count {
            totalNeeded += demands[b].memory.value
            if !(0..<count).contains(where: { ledger0.canHost(demands[b], on: $0) }) {
                throw PlacementChecks.noFit(
                    block: b, demand: demands[b], ledger: ledger0, request: request, planner: "resource-aware")
            }
        }
        guard totalNeeded <= totalFree else {
            throw PlannerError(.infeasible,
                "resource-aware: the model needs \(Bytes(totalNeeded)) but the online devices have \(Bytes(totalFree)) free")
        }

        var budget: Double
        if let b = options.budget {
            budget = b.value
        } else {
            var best = Double.infinity
            for j in 0..<n where baseLedger.online[j] {
                var sum = 0.0
                for b in 0..<layout.count { sum += exec[row[b] * n + j] }
                best = min(best, sum)
            }
            budget = best / Double(max(layers, 1)) * options.budgetScale
        }
        if budget.isNaN || budget <= 0 { budget = 1e-9 } else if !budget.isFinite { budget = 1 }
        self.budget = budget

        ledger = baseLedger
        device = Array(repeating: -1, count: layout.count)
        headCompute = Array(repeating: 0, count: layers * n)
        headComm = Array(repeating: 0, count: layers * n)
        headCount = Array(repeating: 0, count: layers * n)
        addedCompute = Array(repeating: 0, count: layout.count)
        addedComm = Array(repeating: 0, count: layout.count)
        excluded = Array(repeating: false, count: layout.count * n)
    }

    func notes(capped: Bool) -> [String: Double] {
        [
            "iterations": Double(iterations), "backtracks": Double(backtracks), "budget_doublings": Double(doublings),
            "budget_seconds": budget, "migration_checks": Double(migrationChecks), "capped": capped ? 1 : 0,
        ]
    }

    // MARK: Search

    /// The verified placement, or nil when a cap was hit first.
    /// - Throws: `.infeasible` when the search space is exhausted.
    mutating func run() throws(PlannerError) -> Placement? {
        var p = 0
        while true {
            if p == order.count {
                let placement = Placement(devices: device)
                let e = request.costModel.evaluate(placement, on: request.state, at: request.position)
                guard let violation = e.violations.first else {
                    if e.latency.isFinite { return placement }
                    throw PlannerError(.infeasible, "resource-aware: the verified placement has infinite latency")
                }
                let v: Int
                switch violation {
                case .memory(let d, _, _), .computeBudget(let d, _, _), .unreachable(let d): v = d
                }
                guard let q = undo(from: p, until: { _, d in d == v }) else {
                    throw PlannerError(.infeasible, "resource-aware: verification failed and cannot be repaired: \(violation)")
                }
                p = q
                continue
            }
            iterations += 1
            if iterations > options.maxIterations { return nil }
            if iterations & 63 == 0, clock.now - start > Duration.seconds(options.timeLimit.value) { return nil }
            let i = order[p]
            switch choose(i) {
            case .device(let j):
                place(i, on: j)
                p += 1
            case .overBudget where doublings < options.maxBudgetDoublings:
                doublings += 1
                budget *= 2
                _ = undo(from: p, until: { _, _ in false })
                p = 0
            case .overBudget, .noRoom:
                // Backjump to the most recent block whose removal makes room for i on its device.
                let demand = demands[i]
                guard let q = undo(from: p, until: { me, d in me.ledger.canHost(demand, on: d) }) else {
                    throw PlacementChecks.noFit(
                        block: i, demand: demand, ledger: baseLedger, request: request, planner: "resource-aware")
                }
                p = q
            }
        }
    }

    /// Pops placed blocks (positions p−1, p−2, ...) until `stop(self, device)` holds just after popping one; that block
    /// gets its device excluded and its position is returned. Exclusions of the positions popped past are cleared.
    /// Returns nil (everything popped) when no block satisfies `stop`.
    private mutating func undo(from p: Int, until stop: (borrowing Self, Int) -> Bool) -> Int? {
        var q = p
        while q > 0 {
            if q < order.count { clearExclusions(order[q]) }
            q -= 1
            let k = order[q]
            let d = device[k]
            unplace(k)
            if stop(self, d) {
                backtracks += 1
                excluded[k * n + d] = true
                return q
            }
        }
        clearExclusions(order[0])
        return nil
    }

    private mutating func clearExclusions(_ block: Int) {
        for j in 0..<n { excluded[block * n + j] = false }
    }

    private mutating func place(_ i: Int, on j: Int) {
        device[i] = j
        ledger.host(demands[i], on: j)
        let local = i % perLayer
        if local < groups {
            let key = (i / perLayer) * n + j
            let (c, m) = attentionAdds(i, on: j)
            addedCompute[i] = c
            addedComm[i] = m
            headCompute[key] += c
            headComm[key] += m
            headCount[key] += 1
        }
    }

    private mutating func unplace(_ i: Int) {
        let j = device[i]
        ledger.release(demands[i], on: j)
        device[i] = -1
        if i % perLayer < groups {
            let key = (i / perLayer) * n + j
            headCount[key] -= 1
            if headCount[key] == 0 {
                headCompute[key] = 0
                headComm[key] = 0
            } else {
                headCompute[key] -= addedCompute[i]
                headComm[key] -= addedComm[i]
            }
        }
    }

    private enum Choice {
        case device(Int)
        /// Some device could hold the block but every such device scores above 1.
        case overBudget
        /// No device that is not excluded can hold the block.
        case noRoom
    }

    /// Lowest feasible score, then the migration rule.
    private mutating func choose(_ i: Int) -> Choice {
        let layer = i / perLayer
        let local = i % perLayer
        if local == groups { collectSources(layer: layer) }
        var best = -1
        var bestScore = Double.infinity
        var bestTime = Double.infinity
        var roomy = false
        let prev = previous.map { $0[i] } ?? -1
        var prevHolds = false
        var prevScore = Double.infinity
        var prevTime = Double.infinity
        let demand = demands[i]
        for j in 0..<n where !excluded[i * n + j] && ledger.canHost(demand, on: j) {
            roomy = true
            let (s, t) = score(i, layer: layer, local: local, on: j)
            if j == prev {
                prevHolds = true
                prevScore = s
                prevTime = t
            }
            guard s <= 1 else { continue }
            if s < bestScore {
                best = j
                bestScore = s
                bestTime = t
            }
        }
        guard best >= 0 else { return roomy ? .overBudget : .noRoom }
        // The paper weighs a move against its migration delay. A previous device that can still hold the block stays
        // a candidate even when its time terms exceed the budget (T is our choice, not the paper's); only with
        // `forceOverBudgetMoves` does an over-budget score force the move regardless of its cost.
        let prevStays = prevHolds && (!options.forceOverBudgetMoves || prevScore <= 1)
        if prevStays && prev != best {
            let gain = budget * (prevTime - bestTime)
            if gain <= migrationDelay(i, to: best) { return .device(prev) }
        }
        return .device(best)
    }

    /// Delay of moving block i alone from its previous device to `target` (the cost model's migration delay).
    private mutating func migrationDelay(_ i: Int, to target: Int) -> Double {
        guard let previous else { return 0 }
        migrationChecks += 1
        var next = scratch ?? previous
        next[i] = target
        let delay = request.costModel.migrationDelay(from: previous, to: next, on: request.state, at: request.position)
        next[i] = previous[i]
        scratch = next
        return delay.value
    }

    @inline(__always) private func transfer(_ bytes: Double, from a: Int, to b: Int) -> Double {
        if a == b { return 0 }
        let k = a * n + b
        return (flow.paysLatency ? latency[k] : 0) + bytes / bandwidth[k]
    }

    /// The layer's anchor: where its input is (controller for layer 0, else the previous layer's FFN device).
    @inline(__always) private func anchor(_ layer: Int) -> Int {
        layer == 0 ? controller : device[(layer - 1) * perLayer + groups + 1]
    }

    /// Execution and communication time an attention block adds to device j's queue in its layer.
    private func attentionAdds(_ i: Int, on j: Int) -> (Double, Double) {
        let layer = i / perLayer
        let a = anchor(layer)
        var comm = 0.0
        if headCount[layer * n + j] == 0 {
            if flow.inputToHeads { comm += transfer(flow.attentionInputBytes, from: a, to: j) }
            if j != a && flow.paysLatency { comm += latency[j * n + a] }
        }
        if j != a { comm += flow.headOutputBytes / bandwidth[j * n + a] }
        return (exec[row[i] * n + j], comm)
    }

    private mutating func collectSources(layer: Int) {
        sources.removeAll(keepingCapacity: true)
        sourceCounts.removeAll(keepingCapacity: true)
        for j in 0..<n where headCount[layer * n + j] > 0 {
            sources.append(j)
            sourceCounts.append(headCount[layer * n + j])
        }
    }

    /// S(i, j) and the block's phase time ratio max(compute, comm).
    private func score(_ i: Int, layer: Int, local: Int, on j: Int) -> (Double, Double) {
        let free = ledger.freeMemory[j]
        let m = demands[i].memory.value
        let memory = m == 0 ? 0 : (free > 0 ? m / free : .infinity)
        var compute: Double
        var comm: Double
        let a = anchor(layer)
        if local < groups {
            let (c, k) = attentionAdds(i, on: j)
            compute = headCompute[layer * n + j] + c
            comm = headComm[layer * n + j] + k
        } else if local == groups {
            compute = exec[row[i] * n + j]
            var incoming = 0.0
            for (s, count) in zip(sources, sourceCounts) where s != j {
                let t = transfer(Double(count) * flow.headOutputBytes, from: s, to: j)
                incoming = flow.serializedGathers ? incoming + t : max(incoming, t)
            }
            if flow.residualToProjection { incoming = max(incoming, transfer(flow.hiddenBytes, from: a, to: j)) }
            comm = incoming + transfer(flow.projectionOutputBytes, from: j, to: a)
        } else {
            compute = exec[row[i] * n + j]
            let p = device[layer * perLayer + groups]
            comm = transfer(flow.projectionOutputBytes, from: p, to: j)
            if flow.returnToController && layer == layers - 1 { comm += transfer(flow.hiddenBytes, from: j, to: controller) }
        }
        compute /= budget
        comm /= budget
        if compute.isNaN { compute = .infinity }
        if comm.isNaN { comm = .infinity }
        let time = max(compute, comm)
        switch options.scoring {
        case .max: return (max(memory, time), time)
        case .weightedSum(let alpha, let beta, let gamma): return (alpha * compute + beta * memory + gamma * comm, time)
        }
    }
}
