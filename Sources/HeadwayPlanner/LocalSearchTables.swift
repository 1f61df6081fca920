import HeadwayCore

/// What the headway planner looks up while it searches: the placement-independent cost tables of `ExactCostTables`
/// (latency terms, demands, free memory) plus the migration delay of every block to every device.
///
/// Built from a request, the migration part is computed here rather than by `ExactCostTables`, whose table costs one
/// full `migrationDelay` evaluation per block and device (O(blocks² · devices): tens of milliseconds on a 1,000-block
/// model). Every attention block has the same demand, so a block's delay alone depends only on its kind, its previous
/// device and its target: the cost model is asked once per (kind, previous device, target), on a one-layer copy of
/// itself (one migration costs O(blocks of a layer) there), and checked against the full model for one move per kind.
struct LocalSearchTables {
    /// Latency terms, demands and memory; its own `previous` is nil when built by `init(request:)`.
    let base: ExactCostTables
    let previous: [Int]?
    /// Per block and target device: delay of moving the block there alone (0 for its previous device).
    let migration: [Double]
    /// Decode: the previous device of each block when online, -1 when its cache must be rebuilt.
    let migrationSource: [Int]
    /// Online devices, ascending.
    let usableDevices: [Int]

    init(_ tables: ExactCostTables) {
        base = tables
        previous = tables.previous
        migration = tables.migration
        migrationSource = tables.migrationSource
        usableDevices = (0..<tables.n).filter { tables.usable[$0] }
    }

    init(request: PlanningRequest) throws(PlannerError) {
        var bare = request
        bare.previous = nil
        let t = try ExactCostTables(request: bare)
        base = t
        usableDevices = (0..<t.n).filter { t.usable[$0] }
        let n = t.n
        let cm = request.costModel
        let layout = cm.layout
        let count = layout.count
        guard let prev = request.previous else {
            previous = nil
            migration = Array(repeating: 0, count: count * n)
            migrationSource = Array(repeating: -1, count: count)
            return
        }
        guard prev.count == count else {
            throw PlannerError(.invalidArgument, "previous placement has \(prev.count) blocks, the model has \(count)")
        }
        previous = prev.devices
        let state = request.state
        let position = request.position
        // One-layer copy of the cost model (same shape otherwise), so one block's migration is cheap to evaluate.
        let small = Self.oneLayer(cm)
        let probe = small ?? cm
        let perLayer = probe.layout.blocksPerLayer
        let probeCount = probe.layout.count
        let kindIndex = [0, layout.groupsPerLayer, layout.groupsPerLayer + 1]  // a block of each kind, in both layouts
        // rows[(kind · n + from) · n + to]
        var rows = Array(repeating: Double.nan, count: 3 * n * n)
        func row(kind k: Int, from s: Int) {
            if !rows[(k * n + s) * n + s].isNaN { return }
            let start = Placement(devices: Array(repeating: s, count: probeCount))
            var next = start
            let blk = kindIndex[k]
            for to in 0..<n {
                if to == s { rows[(k * n + s) * n + to] = 0; continue }
                next[blk] = to
                rows[(k * n + s) * n + to] = probe.migrationDelay(from: start, to: next, on: state, at: position).value
            }
        }
        var mig = Array(repeating: 0.0, count: count * n)
        var source = Array(repeating: -1, count: count)
        let k = layout.blocksPerLayer
        for b in 0..<count {
            let local = b % k
            let kind = local < layout.groupsPerLayer ? 0 : local - layout.groupsPerLayer + 1
            let s = prev[b]
            source[b] = state.online[s] ? s : -1
            row(kind: kind, from: s)
            let r = (kind * n + s) * n
            for to in 0..<n { mig[b * n + to] = rows[r + to] }
        }
        // The one-layer copy must agree with the model itself: check one move per kind that occurs, fall back if not.
        if small != nil && perLayer == k {
            var checked = Set<Int>()
            var agrees = true
            for b in 0..<count where agrees {
                let local = b % k
                let kind = local < layout.groupsPerLayer ? 0 : local - layout.groupsPerLayer + 1
                if checked.contains(kind) { continue }
                checked.insert(kind)
                let s = prev[b]
                let to = (s + 1) % n
                var next = prev
                next[b] = to
                let full = cm.migrationDelay(from: prev, to: next, on: state, at: position).value
                let v = mig[b * n + to]
                if !(abs(full - v) <= 1e-12 * max(abs(full), 1e-300) || full == v) { agrees = false }
            }
            if !agrees {
                for b in 0..<count {
                    for to in 0..<n where to != prev[b] {
                        var next = prev
                        next[b] = to
                        mig[b * n + to] = cm.migrationDelay(from: prev, to: next, on: state, at: position).value
                    }
                }
            }
        } else {
            for b in 0..<count {
                for to in 0..<n where to != prev[b] {
                    var next = prev
                    next[b] = to
                    mig[b * n + to] = cm.migrationDelay(from: prev, to: next, on: state, at: position).value
                }
            }
        }
        migration = mig
        migrationSource = source
    }

    /// The same cost model on a one-layer model of the same shape (nil for models it does not know).
    static func oneLayer(_ cm: any CostModel) -> (any CostModel)? {
        if let d = cm as? DecodeCostModel {
            var s = d.shape
            s.layerCount = 1
            var one = DecodeCostModel(shape: s, weightsPreloaded: d.weightsPreloaded)
            one.serializedSends = d.serializedSends
            return one
        }
        if let r = cm as? ReferenceCostModel {
            var s = r.shape
            s.layerCount = 1
            return ReferenceCostModel(
                shape: s, sequenceLength: r.sequenceLength, incrementSequence: r.incrementSequence,
                ffnFLOPsFactor: r.ffnFLOPsFactor)
        }
        return nil
    }
}
