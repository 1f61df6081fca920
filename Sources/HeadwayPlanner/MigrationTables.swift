import HeadwayCore

/// The migration part of a planning request as the headway and exact planners search it: what moving one block to
/// one device charges to each shared resource (the cost model's own `MigrationCharge`s), so that a placement's
/// migration delay is `MigrationLedger`'s max over links + max over devices of the per-resource sums, exactly as the
/// cost model computes it. Blocks of one kind with the same previous device charge the same, so the table is per
/// (kind, previous device, target). Reference model: one resource, the paper's sum of `m_i / R_jk`.
struct MigrationTables: Sendable {
    let previous: [Int]?
    let n: Int
    let resources: Int
    let deviceBase: Int
    let blocksPerLayer: Int
    let groups: Int
    /// [(kind · n + from) · n + to]; empty for from == to and for rows no block uses.
    let table: [[MigrationCharge]]
    /// Delay of that move alone, same index.
    let alone: [Double]

    /// - Parameter weight: factor on every charge (1/horizon when a planner amortizes migration over a horizon).
    init(request: PlanningRequest, weight: Double = 1) throws(PlannerError) {
        let cm = request.costModel
        let layout = cm.layout
        let state = request.state
        n = state.count
        blocksPerLayer = layout.blocksPerLayer
        groups = layout.groupsPerLayer
        guard let prev = request.previous else {
            previous = nil
            resources = 1
            deviceBase = 1
            table = []
            alone = []
            return
        }
        guard prev.count == layout.count else {
            throw PlannerError(.invalidArgument, "previous placement has \(prev.count) blocks, the model has \(layout.count)")
        }
        previous = prev.devices
        let n = self.n
        var table = Array(repeating: [MigrationCharge](), count: 3 * n * n)
        var alone = Array(repeating: 0.0, count: 3 * n * n)
        var done = Array(repeating: false, count: 3 * n)
        let kindIndex = [0, layout.groupsPerLayer, layout.groupsPerLayer + 1]
        if let decode = cm as? DecodeCostModel {
            resources = MigrationLedger.resourceCount(state)
            deviceBase = MigrationLedger.deviceBase(state)
            for b in 0..<layout.count {
                let k = Self.kind(b, blocksPerLayer: blocksPerLayer, groups: groups)
                let s = prev[b]
                if done[k * n + s] { continue }
                done[k * n + s] = true
                for to in 0..<n where to != s {
                    let c = decode.migrationCharges(ofBlock: kindIndex[k], from: s, to: to, on: state, at: request.position)
                    let charges = weight == 1 ? c.charges
                        : c.charges.map { MigrationCharge(resource: $0.resource, seconds: $0.seconds * weight) }
                    table[(k * n + s) * n + to] = charges
                    alone[(k * n + s) * n + to] = Self.delay(of: charges, deviceBase: deviceBase)
                }
            }
        } else if cm is ReferenceCostModel {
            // Additive: one resource. Each move alone is asked of the cost model on a one-layer copy.
            resources = 1
            deviceBase = 1
            var s1 = cm.shape
            s1.layerCount = 1
            let r = cm as! ReferenceCostModel
            let probe = ReferenceCostModel(
                shape: s1, sequenceLength: r.sequenceLength, incrementSequence: r.incrementSequence,
                ffnFLOPsFactor: r.ffnFLOPsFactor)
            for b in 0..<layout.count {
                let k = Self.kind(b, blocksPerLayer: blocksPerLayer, groups: groups)
                let s = prev[b]
                if done[k * n + s] { continue }
                done[k * n + s] = true
                let start = Placement(devices: Array(repeating: s, count: probe.layout.count))
                for to in 0..<n where to != s {
                    var next = start
                    next[kindIndex[k]] = to
                    let v = probe.migrationDelay(from: start, to: next, on: state, at: request.position).value * weight
                    table[(k * n + s) * n + to] = [MigrationCharge(resource: 0, seconds: v)]
                    alone[(k * n + s) * n + to] = v
                }
            }
        } else {
            throw PlannerError(.unsupported, "cost model '\(cm.name)' is not supported by the exact and headway planners")
        }
        self.table = table
        self.alone = alone
    }

    /// `MigrationLedger.delay` of one move's few charges, without a ledger: per-resource sums (a resource may repeat),
    /// the largest link plus the largest device.
    static func delay(of charges: [MigrationCharge], deviceBase: Int) -> Double {
        var net = 0.0
        var dev = 0.0
        for (i, c) in charges.enumerated() {
            if charges[..<i].contains(where: { $0.resource == c.resource }) { continue }
            var v = 0.0
            for d in charges[i...] where d.resource == c.resource { v += d.seconds }
            if c.resource < deviceBase { net = max(net, v) } else { dev = max(dev, v) }
        }
        return net + dev
    }

    @inline(__always) static func kind(_ b: Int, blocksPerLayer: Int, groups: Int) -> Int {
        let k = b % blocksPerLayer
        return k < groups ? 0 : k - groups + 1
    }

    @inline(__always) func index(_ b: Int, to d: Int) -> Int {
        (Self.kind(b, blocksPerLayer: blocksPerLayer, groups: groups) * n + previous![b]) * n + d
    }

    /// Charges of block b sitting on d (none on its previous device or without a previous placement).
    @inline(__always) func charges(_ b: Int, on d: Int) -> [MigrationCharge] {
        guard let previous, previous[b] != d else { return [] }
        return table[index(b, to: d)]
    }

    /// Delay of moving block b to d alone.
    @inline(__always) func delay(_ b: Int, to d: Int) -> Double {
        guard let previous, previous[b] != d else { return 0 }
        return alone[index(b, to: d)]
    }

    /// Migration delay of a whole placement.
    func delay(of devices: [Int]) -> Double {
        guard previous != nil else { return 0 }
        var ledger = MigrationLedger(resources: resources, deviceBase: deviceBase)
        for b in devices.indices { ledger.add(charges(b, on: devices[b])) }
        return ledger.delay
    }
}

/// Per-resource migration load of a placement being searched, with the largest link and device loads cached, so a
/// change of a few blocks is costed from their charges alone.
struct MigrationLoad: Sendable {
    private(set) var load: [Double]
    let deviceBase: Int
    private(set) var netMax = 0.0
    private(set) var netArg = -1
    private(set) var devMax = 0.0
    private(set) var devArg = -1

    init(resources: Int, deviceBase: Int) {
        load = Array(repeating: 0, count: resources)
        self.deviceBase = deviceBase
    }

    var delay: Double { netMax + devMax }

    mutating func add(_ charges: [MigrationCharge], times k: Double = 1) {
        for c in charges { load[c.resource] += k * c.seconds }
    }

    /// Recomputes the cached maxima (after `add`s).
    mutating func refresh() {
        netMax = 0
        netArg = -1
        devMax = 0
        devArg = -1
        for r in 0..<deviceBase where load[r] > netMax {
            netMax = load[r]
            netArg = r
        }
        for r in deviceBase..<load.count where load[r] > devMax {
            devMax = load[r]
            devArg = r
        }
    }

    /// The cached maxima, to restore after `addGrowing`.
    var maxima: (Double, Int, Double, Int) { (netMax, netArg, devMax, devArg) }

    /// Adds non-negative charges (times k >= 0), keeping the maxima current in O(charges) and pushing each touched
    /// resource's old value on `undo` (for `undo(_:to:maxima:)`).
    mutating func addGrowing(_ charges: [MigrationCharge], times k: Double, undo: inout [(Int, Double)]) {
        for c in charges {
            let r = c.resource
            undo.append((r, load[r]))
            load[r] += k * c.seconds
            if r < deviceBase {
                if load[r] > netMax { netMax = load[r]; netArg = r }
            } else if load[r] > devMax {
                devMax = load[r]
                devArg = r
            }
        }
    }

    /// Pops `undo` back to `mark`, restoring the values and the maxima saved before.
    mutating func undo(_ undo: inout [(Int, Double)], to mark: Int, maxima: (Double, Int, Double, Int)) {
        while undo.count > mark {
            let (r, v) = undo.removeLast()
            load[r] = v
        }
        (netMax, netArg, devMax, devArg) = maxima
    }

    mutating func reset() {
        for r in load.indices { load[r] = 0 }
        refresh()
    }

    /// Delay if the charges of `a`, `b`, `c`, `d` were added with signs `sa`, `sb`, `sc`, `sd` (resources may repeat).
    func delayIf(
        _ a: [MigrationCharge], _ sa: Double, _ b: [MigrationCharge] = [], _ sb: Double = 0,
        _ c: [MigrationCharge] = [], _ sc: Double = 0, _ d: [MigrationCharge] = [], _ sd: Double = 0
    ) -> Double {
        let total = a.count + b.count + c.count + d.count
        if total == 0 { return delay }
        @inline(__always) func at(_ i: Int) -> (Int, Double) {
            var i = i
            if i < a.count { return (a[i].resource, sa * a[i].seconds) }
            i -= a.count
            if i < b.count { return (b[i].resource, sb * b[i].seconds) }
            i -= b.count
            if i < c.count { return (c[i].resource, sc * c[i].seconds) }
            i -= c.count
            return (d[i].resource, sd * d[i].seconds)
        }
        var net = 0.0
        var dev = 0.0
        var netHit = false
        var devHit = false
        for i in 0..<total {
            let (r, _) = at(i)
            var repeated = false
            for j in 0..<i where at(j).0 == r {
                repeated = true
                break
            }
            if repeated { continue }
            var v = load[r]
            for j in i..<total {
                let x = at(j)
                if x.0 == r { v += x.1 }
            }
            if r < deviceBase {
                net = max(net, v)
                if r == netArg { netHit = true }
            } else {
                dev = max(dev, v)
                if r == devArg { devHit = true }
            }
        }
        func untouched(_ r: Int) -> Bool {
            for j in 0..<total where at(j).0 == r { return false }
            return true
        }
        if netHit {
            for r in 0..<deviceBase where load[r] > net && untouched(r) { net = load[r] }
        } else {
            net = max(net, netMax)
        }
        if devHit {
            for r in deviceBase..<load.count where load[r] > dev && untouched(r) { dev = load[r] }
        } else {
            dev = max(dev, devMax)
        }
        return net + dev
    }

    /// Delay if the per-resource `deltas` (length = resources, left unchanged) were added; `touched` lists the
    /// resources with a nonzero delta.
    func delayIf(deltas: [Double], touched: [Int]) -> Double {
        if touched.isEmpty { return delay }
        var net = 0.0
        var dev = 0.0
        var netHit = false
        var devHit = false
        for r in touched {
            let v = load[r] + deltas[r]
            if r < deviceBase {
                net = max(net, v)
                if r == netArg { netHit = true }
            } else {
                dev = max(dev, v)
                if r == devArg { devHit = true }
            }
        }
        if netHit {
            for r in 0..<deviceBase { net = max(net, load[r] + deltas[r]) }
        } else {
            net = max(net, netMax)
        }
        if devHit {
            for r in deviceBase..<load.count { dev = max(dev, load[r] + deltas[r]) }
        } else {
            dev = max(dev, devMax)
        }
        return net + dev
    }
}
