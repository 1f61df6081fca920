import HeadwayCore

/// A full placement with everything needed to re-cost a change without re-evaluating the model: per-layer attention
/// counts and latencies, free memory / budget per device, how many devices are over their limits, and the migration
/// bookkeeping (per link and device load, `MigrationLoad`).
///
/// A change confined to one layer (one block, a swap, a layer's blocks from one device to another) is costed in
/// O(devices) without touching the state (`latencyIfLayerChanged`, `migrationIfMoved`); `move` applies a change.
struct LocalSearchState {
    let t: LocalSearchTables
    private(set) var devices: [Int]
    /// counts[l·n + d]: attention blocks of layer l on device d.
    private(set) var counts: [Int]
    private(set) var layerCost: [Double]
    /// Decode: per layer, the three largest attention branches (value, device; -1 when fewer devices), so a change of
    /// attention counts on two devices is costed in O(1).
    private var topValue: [Double]
    private var topDevice: [Int]
    private(set) var memory: [Double]
    private(set) var budget: [Double]
    private(set) var latency: Double
    /// Devices over memory or budget.
    private(set) var overloaded = 0
    /// Blocks on offline devices.
    private(set) var offline = 0
    /// Bumped by every change (lets the search skip re-evaluating identical blocks on an unchanged state).
    private(set) var version = 0
    /// Migration load per link and device (see `MigrationTables`).
    private var load: MigrationLoad

    init(tables: LocalSearchTables, devices: [Int]) {
        t = tables
        let c = tables.base
        self.devices = devices
        let n = c.n
        counts = Array(repeating: 0, count: c.layers * n)
        layerCost = Array(repeating: 0, count: c.layers)
        topValue = Array(repeating: 0, count: c.layers * 3)
        topDevice = Array(repeating: -1, count: c.layers * 3)
        memory = c.freeMemory
        budget = c.freeBudget
        load = MigrationLoad(resources: tables.migrationTables.resources, deviceBase: tables.migrationTables.deviceBase)
        latency = c.constant
        for b in devices.indices {
            let (m, bu) = demand(b)
            memory[devices[b]] -= m
            budget[devices[b]] -= bu
            if isAttention(b) { counts[(b / c.blocksPerLayer) * n + devices[b]] += 1 }
            if !c.usable[devices[b]] { offline += 1 }
            addMigration(b, sign: 1)
        }
        for d in 0..<n where memory[d] < 0 || budget[d] < 0 { overloaded += 1 }
        for l in 0..<c.layers {
            recache(l)
            latency += layerCost[l]
        }
        load.refresh()
    }

    init(tables: ExactCostTables, devices: [Int]) { self.init(tables: LocalSearchTables(tables), devices: devices) }

    var migrationDelay: Double {
        guard t.previous != nil else { return 0 }
        return load.delay
    }

    var objective: Double { latency + migrationDelay }

    var isFeasible: Bool { overloaded == 0 && offline == 0 }

    @inline(__always) func isAttention(_ b: Int) -> Bool { b % t.base.blocksPerLayer < t.base.groups }

    @inline(__always) func demand(_ b: Int) -> (memory: Double, budget: Double) {
        let c = t.base
        let k = b % c.blocksPerLayer
        if k < c.groups { return (c.attentionMemory, c.attentionBudget) }
        return k == c.groups ? (c.projectionMemory, c.projectionBudget) : (c.ffnMemory, c.ffnBudget)
    }

    /// Whether block b fits on d if it moves there (from its current device).
    @inline(__always) func fits(_ b: Int, on d: Int) -> Bool {
        guard t.base.usable[d] else { return false }
        if devices[b] == d { return true }
        let (m, c) = demand(b)
        return memory[d] >= m && budget[d] >= c
    }

    @inline(__always) func residual(ofLayer l: Int) -> Int {
        l == 0 ? t.base.controller : devices[l * t.base.blocksPerLayer - 1]
    }

    func cost(ofLayer l: Int) -> Double {
        let c = t.base
        let base = l * c.blocksPerLayer
        return layerLatency(
            l, minus: -1, plus: -1, amount: 0, projection: devices[base + c.groups], ffn: devices[base + c.groups + 1],
            residual: residual(ofLayer: l))
    }

    /// Latency of layer l with `amount` of its attention blocks moved from device `minus` to `plus` (-1: none) and the
    /// given projection, FFN and residual devices. Same arithmetic as `ExactCostTables.layerLatency`.
    func layerLatency(_ l: Int, minus a: Int, plus b: Int, amount k: Int, projection p: Int, ffn f: Int, residual r: Int)
        -> Double
    {
        let c = t.base
        let n = c.n
        let last = l == c.layers - 1
        return counts.withUnsafeBufferPointer { all in
            let row = all.baseAddress! + l * n
            switch c.model {
            case .reference:
                var heads = 0.0
                var gathers = 0.0
                for d in 0..<n {
                    let cnt = row[d] + (d == a ? -k : 0) + (d == b ? k : 0)
                    if cnt > 0 {
                        heads = max(heads, c.attentionLoad(cnt, on: d))
                        gathers += c.referenceGather(cnt, from: d, to: p)
                    }
                }
                return heads + (gathers + c.projectionTime[p]) + (p == f ? 0 : c.hiddenTransfer[p * n + f]) + c.ffnTime[f]
            case .decode:
                var phase = r == p ? 0 : c.hiddenTransfer[r * n + p]
                for d in 0..<n {
                    let cnt = row[d] + (d == a ? -k : 0) + (d == b ? k : 0)
                    if cnt > 0 { phase = max(phase, c.decodeBranch(cnt, on: d, residual: r, projection: p)) }
                }
                return phase + c.tail(projection: p, ffn: f, last: last)
            }
        }
    }

    /// `layerLatency`, in O(1) in the decode model when the projection and residual devices are those of the state
    /// (only attention counts on two devices and the FFN device differ): from the layer's three largest branches.
    func layerLatencyCached(_ l: Int, minus a: Int, plus b: Int, amount k: Int, projection p: Int, ffn f: Int, residual r: Int)
        -> Double
    {
        let c = t.base
        let base = l * c.blocksPerLayer
        guard c.model == .decode, p == devices[base + c.groups], r == residual(ofLayer: l) else {
            return layerLatency(l, minus: a, plus: b, amount: k, projection: p, ffn: f, residual: r)
        }
        let n = c.n
        var phase = r == p ? 0 : c.hiddenTransfer[r * n + p]
        for i in (l * 3)..<(l * 3 + 3) {
            let d = topDevice[i]
            if d < 0 { break }
            if d != a && d != b {
                phase = max(phase, topValue[i])
                break
            }
        }
        if a >= 0 {
            let ca = counts[l * n + a] - k
            if ca > 0 { phase = max(phase, c.decodeBranch(ca, on: a, residual: r, projection: p)) }
        }
        if b >= 0 {
            let cb = counts[l * n + b] + k
            if cb > 0 { phase = max(phase, c.decodeBranch(cb, on: b, residual: r, projection: p)) }
        }
        return phase + c.tail(projection: p, ffn: f, last: l == c.layers - 1)
    }

    /// Recomputes layer l's latency and (decode) its three largest branches.
    private mutating func recache(_ l: Int) {
        layerCost[l] = cost(ofLayer: l)
        let c = t.base
        guard c.model == .decode else { return }
        let n = c.n
        let base = l * c.blocksPerLayer
        let p = devices[base + c.groups]
        let r = residual(ofLayer: l)
        var v = (-Double.infinity, -Double.infinity, -Double.infinity)
        var dv = (-1, -1, -1)
        for d in 0..<n {
            let cnt = counts[l * n + d]
            if cnt <= 0 { continue }
            let x = c.decodeBranch(cnt, on: d, residual: r, projection: p)
            if x > v.0 {
                v = (x, v.0, v.1)
                dv = (d, dv.0, dv.1)
            } else if x > v.1 {
                v = (v.0, x, v.1)
                dv = (dv.0, d, dv.1)
            } else if x > v.2 {
                v.2 = x
                dv.2 = d
            }
        }
        topValue[l * 3] = v.0
        topValue[l * 3 + 1] = v.1
        topValue[l * 3 + 2] = v.2
        topDevice[l * 3] = dv.0
        topDevice[l * 3 + 1] = dv.1
        topDevice[l * 3 + 2] = dv.2
    }

    /// Total latency after a change confined to layer l: `amount` attention blocks from `minus` to `plus`, projection
    /// and FFN on the given devices (the FFN device is also the next layer's residual in the decode model).
    func latencyIfLayerChanged(_ l: Int, minus a: Int, plus b: Int, amount k: Int, projection p: Int, ffn f: Int) -> Double {
        let c = t.base
        var v = latency - layerCost[l] + layerLatencyCached(l, minus: a, plus: b, amount: k, projection: p, ffn: f, residual: residual(ofLayer: l))
        let oldF = devices[l * c.blocksPerLayer + c.groups + 1]
        if c.model == .decode && f != oldF && l + 1 < c.layers {
            let nb = (l + 1) * c.blocksPerLayer
            v += layerLatency(
                l + 1, minus: -1, plus: -1, amount: 0, projection: devices[nb + c.groups], ffn: devices[nb + c.groups + 1],
                residual: f) - layerCost[l + 1]
        }
        return v
    }

    /// Objective after moving block b to d alone (state unchanged).
    func objectiveIfMoved(_ b: Int, to d: Int) -> Double {
        let c = t.base
        let l = b / c.blocksPerLayer
        let k = b % c.blocksPerLayer
        let base = l * c.blocksPerLayer
        let p = devices[base + c.groups]
        let f = devices[base + c.groups + 1]
        let from = devices[b]
        let lat: Double
        if k < c.groups {
            lat = latencyIfLayerChanged(l, minus: from, plus: d, amount: 1, projection: p, ffn: f)
        } else if k == c.groups {
            lat = latencyIfLayerChanged(l, minus: -1, plus: -1, amount: 0, projection: d, ffn: f)
        } else {
            lat = latencyIfLayerChanged(l, minus: -1, plus: -1, amount: 0, projection: p, ffn: d)
        }
        return lat + migrationIfMoved(b, to: d)
    }

    @inline(__always) private func charges(_ b: Int, on d: Int) -> [MigrationCharge] {
        t.migrationTables.charges(b, on: d)
    }

    /// Migration delay after moving block b to d alone.
    func migrationIfMoved(_ b: Int, to d: Int) -> Double {
        guard t.previous != nil else { return 0 }
        let from = devices[b]
        if from == d { return migrationDelay }
        return load.delayIf(charges(b, on: from), -1, charges(b, on: d), 1)
    }

    /// Migration delay after moving every block of `blocks` to `d` (scratch: zeros, grown to the resource count and
    /// left zeroed).
    func migrationIfMoved(_ blocks: [Int], to d: Int, scratch deltas: inout [Double]) -> Double {
        guard t.previous != nil else { return 0 }
        if deltas.count < t.migrationTables.resources {
            deltas += Array(repeating: 0, count: t.migrationTables.resources - deltas.count)
        }
        var touched: [Int] = []
        for b in blocks where devices[b] != d {
            for c in charges(b, on: devices[b]) {
                if deltas[c.resource] == 0 { touched.append(c.resource) }
                deltas[c.resource] -= c.seconds
            }
            for c in charges(b, on: d) {
                if deltas[c.resource] == 0 { touched.append(c.resource) }
                deltas[c.resource] += c.seconds
            }
        }
        let v = load.delayIf(deltas: deltas, touched: touched)
        for r in touched { deltas[r] = 0 }
        return v
    }

    /// Migration delay after a swap of b1 and b2 (on different devices).
    func migrationIfSwapped(_ b1: Int, _ b2: Int) -> Double {
        guard t.previous != nil else { return 0 }
        let d1 = devices[b1]
        let d2 = devices[b2]
        return load.delayIf(charges(b1, on: d1), -1, charges(b1, on: d2), 1, charges(b2, on: d2), -1, charges(b2, on: d1), 1)
    }

    private mutating func addMigration(_ b: Int, sign: Double) {
        guard t.previous != nil else { return }
        load.add(charges(b, on: devices[b]), times: sign)
    }

    @inline(__always) private func over(_ d: Int) -> Bool { memory[d] < 0 || budget[d] < 0 }

    /// Moves block b to device d and re-costs what changed.
    mutating func move(_ b: Int, to d: Int) {
        let from = devices[b]
        if from == d { return }
        let c = t.base
        let n = c.n
        let l = b / c.blocksPerLayer
        let (m, bu) = demand(b)
        version &+= 1
        addMigration(b, sign: -1)
        let wasOver = (over(from) ? 1 : 0) + (over(d) ? 1 : 0)
        memory[from] += m
        budget[from] += bu
        memory[d] -= m
        budget[d] -= bu
        overloaded += (over(from) ? 1 : 0) + (over(d) ? 1 : 0) - wasOver
        if !c.usable[from] { offline -= 1 }
        if !c.usable[d] { offline += 1 }
        if isAttention(b) {
            counts[l * n + from] -= 1
            counts[l * n + d] += 1
        }
        devices[b] = d
        addMigration(b, sign: 1)
        if t.previous != nil { load.refresh() }
        relayer(l)
        // The FFN's device is the next layer's residual in the decode model.
        if c.model == .decode && b % c.blocksPerLayer == c.groups + 1 && l + 1 < c.layers { relayer(l + 1) }
    }

    private mutating func relayer(_ l: Int) {
        let old = layerCost[l]
        recache(l)
        latency += layerCost[l] - old
    }

    /// Recomputes latency and migration from scratch (drops the rounding drift of incremental updates).
    mutating func resync() {
        let c = t.base
        latency = c.constant
        for l in 0..<c.layers {
            recache(l)
            latency += layerCost[l]
        }
        load.reset()
        for b in devices.indices { addMigration(b, sign: 1) }
        load.refresh()
    }
}
