/// A full placement with everything needed to re-cost a change of one block in O(devices): per-layer attention counts,
/// per-layer latencies, free memory / budget and the migration bookkeeping.
struct LocalSearchState {
    let t: ExactCostTables
    private(set) var devices: [Int]
    /// counts[l·n + d]: attention blocks of layer l on device d.
    private var counts: [Int]
    private var layerCost: [Double]
    private(set) var memory: [Double]
    private(set) var budget: [Double]
    private var latency: Double
    private var migrationSum = 0.0
    private var perSource: [Double]
    /// Blocks whose cache must be rebuilt when they move (previous device offline).
    private let rebuildBlocks: [Int]
    private var rebuild = 0.0
    private var migrationMax = 0.0

    init(tables: ExactCostTables, devices: [Int]) {
        t = tables
        self.devices = devices
        let n = tables.n
        counts = Array(repeating: 0, count: tables.layers * n)
        layerCost = Array(repeating: 0, count: tables.layers)
        memory = tables.freeMemory
        budget = tables.freeBudget
        perSource = Array(repeating: 0, count: n)
        latency = tables.constant
        rebuildBlocks = tables.previous == nil ? [] : devices.indices.filter { tables.migrationSource[$0] < 0 }
        for b in devices.indices {
            let (m, c) = demand(b)
            memory[devices[b]] -= m
            budget[devices[b]] -= c
            if isAttention(b) { counts[(b / tables.blocksPerLayer) * n + devices[b]] += 1 }
            addMigration(b, sign: 1)
        }
        for l in 0..<tables.layers {
            layerCost[l] = cost(ofLayer: l)
            latency += layerCost[l]
        }
        refreshMigration()
    }

    var objective: Double { latency + (t.model == .reference ? migrationSum : migrationMax) }

    var isFeasible: Bool {
        for d in 0..<t.n where memory[d] < 0 || budget[d] < 0 { return false }
        for d in devices where !t.usable[d] { return false }
        return true
    }

    @inline(__always) func isAttention(_ b: Int) -> Bool { b % t.blocksPerLayer < t.groups }

    @inline(__always) func demand(_ b: Int) -> (memory: Double, budget: Double) {
        let k = b % t.blocksPerLayer
        if k < t.groups { return (t.attentionMemory, t.attentionBudget) }
        return k == t.groups ? (t.projectionMemory, t.projectionBudget) : (t.ffnMemory, t.ffnBudget)
    }

    /// Whether block b fits on d if it moves there (from its current device).
    @inline(__always) func fits(_ b: Int, on d: Int) -> Bool {
        guard t.usable[d] else { return false }
        if devices[b] == d { return true }
        let (m, c) = demand(b)
        return memory[d] >= m && budget[d] >= c
    }

    func cost(ofLayer l: Int) -> Double {
        let n = t.n
        let base = l * t.blocksPerLayer
        let r = t.residual(ofLayer: l, previousFFN: l > 0 ? devices[base - 1] : t.controller)
        return counts.withUnsafeBufferPointer {
            t.layerLatency(
                counts: UnsafeBufferPointer(rebasing: $0[(l * n)..<(l * n + n)]), projection: devices[base + t.groups],
                ffn: devices[base + t.groups + 1], residual: r, last: l == t.layers - 1)
        }
    }

    private mutating func addMigration(_ b: Int, sign: Double) {
        guard let previous = t.previous, previous[b] != devices[b] else { return }
        let c = t.migration[b * t.n + devices[b]]
        switch t.model {
        case .reference: migrationSum += sign * c
        case .decode:
            let s = t.migrationSource[b]
            if s >= 0 { perSource[s] += sign * c }
        }
    }

    private mutating func refreshMigration(rebuildChanged: Bool = true) {
        guard t.model == .decode, t.previous != nil else { return }
        if rebuildChanged {
            rebuild = 0
            for b in rebuildBlocks where devices[b] != t.previous![b] { rebuild = max(rebuild, t.migration[b * t.n + devices[b]]) }
        }
        var m = rebuild
        for s in 0..<t.n { m = max(m, perSource[s]) }
        migrationMax = m
    }

    /// Moves block b to device d and re-costs what changed.
    mutating func move(_ b: Int, to d: Int) {
        let from = devices[b]
        if from == d { return }
        let n = t.n
        let l = b / t.blocksPerLayer
        let (m, c) = demand(b)
        addMigration(b, sign: -1)
        memory[from] += m
        budget[from] += c
        memory[d] -= m
        budget[d] -= c
        if isAttention(b) {
            counts[l * n + from] -= 1
            counts[l * n + d] += 1
        }
        devices[b] = d
        addMigration(b, sign: 1)
        refreshMigration(rebuildChanged: t.previous != nil && t.migrationSource[b] < 0)
        relayer(l)
        // The FFN's device is the next layer's residual in the decode model.
        if t.model == .decode && b % t.blocksPerLayer == t.groups + 1 && l + 1 < t.layers { relayer(l + 1) }
    }

    private mutating func relayer(_ l: Int) {
        let c = cost(ofLayer: l)
        latency += c - layerCost[l]
        layerCost[l] = c
    }

    /// Recomputes the latency from scratch (drops the rounding drift of incremental updates).
    mutating func resync() {
        latency = t.constant
        for l in 0..<t.layers {
            layerCost[l] = cost(ofLayer: l)
            latency += layerCost[l]
        }
        refreshMigration()
    }
}
