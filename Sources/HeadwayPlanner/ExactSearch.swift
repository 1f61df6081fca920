/// Attention blocks of one layer that are interchangeable: same previous device (or no previous placement).
struct ExactBlockClass: Sendable {
    var blocks: [Int]
    /// Previous device, or nil without a previous placement.
    var previous: Int?
    /// Migration delay of one of these blocks to each device (0 at `previous`).
    var migration: [Double]
    /// A block of the class (its migration charges stand for all of them).
    var first: Int
    /// Devices to try, the previous one first, then by attention speed.
    var order: [Int]
}

/// Depth-first branch and bound over the myopic objective. Per layer it fixes the projection and FFN devices, then,
/// for each class of interchangeable attention blocks, how many of them go to each device (a composition, not an
/// assignment). Lower bounds are admissible relaxations that ignore memory beyond the current node and future migration:
/// - the layer being built: its exact minimum over the remaining attention blocks without migration (reference: every
///   makespan level λ with the cheapest gathers; decode: the bottleneck of the k cheapest increments);
/// - later layers: a dynamic program over layers of the same per-layer relaxation;
/// - migration: what is already committed (per-resource loads, hence their maxima, only grow); with a
///   previous placement the reference bound of the layer being built also charges its unplaced attention blocks'
///   migration (`transportBound`: per makespan level, a transportation problem of their classes to the room left).
/// An infinite bound (no room for what is left) prunes even without an incumbent, which makes infeasibility proofs
/// quick; states at layer boundaries are deduplicated (`memo`).
struct ExactSearch {
    let t: ExactCostTables
    let classes: [[ExactBlockClass]]
    let deadline: ContinuousClock.Instant?
    let nodeLimit: Int
    /// Relative tolerance: a subtree whose bound is within it of the incumbent is not explored.
    let tolerance: Double = 1e-12
    let usableDevices: [Int]
    /// futureBound[l·n + r]: lower bound on the latency of layers l..<L with residual r entering layer l.
    private var futureBound: [Double] = []
    /// Devices sorted by per-head gather cost to each projection device (reference bound).
    private var gatherOrder: [[Int]] = []
    /// Reference: gather time of one head output from d to the projection on p, [p·n + d].
    private var gatherUnit: [Double] = []
    /// Reference with a previous placement: the unplaced attention blocks of the layer being built as a
    /// transportation problem (gather + migration per block) at each makespan level.
    private var transport: ExactTransport

    /// Dominance at layer boundaries: the rest of the problem depends only on the residual device and how many
    /// attention, projection and FFN blocks each device already holds (memory and budget left), and the migration
    /// objective is additive (reference) or absent (decode without a previous placement). A partial placement
    /// reaching the same state with a value no lower than one already expanded cannot lead to anything better.
    private struct StateKey: Hashable { var a: UInt64; var b: UInt64 }
    private var memo: [StateKey: Double] = [:]
    private let memoEnabled: Bool
    /// Blocks held per device: attention [d], projection [n + d], FFN [2n + d].
    private var usage: [Int]
    private let headBits: Int
    private let layerBits: Int
    /// Entries kept at most (the table stops growing, the search stays exact).
    private let memoLimit = 1 << 20

    // Search state.
    private var memory: [Double]
    private var budget: [Double]
    private var counts: [Int]
    private var devices: [Int]
    private var completed: Double
    /// Migration load per resource of the blocks placed so far (only grows as blocks are placed), and the undo stack
    /// of its changes.
    private var load: MigrationLoad
    private var undo: [(Int, Double)] = []
    private var remainingMemory: Double
    private var remainingBudget: Double
    private var takenScratch: [Int]
    private var limitScratch: [Int]
    private var valueScratch: [Double]

    // Results.
    private(set) var bestValue: Double
    private(set) var best: [Int]?
    private(set) var nodes = 0
    private(set) var aborted = false
    private(set) var provenBound = Double.infinity
    private(set) var rootBound = 0.0

    init(tables: ExactCostTables, incumbent: [Int]?, deadline: ContinuousClock.Instant?, nodeLimit: Int) {
        t = tables
        self.deadline = deadline
        self.nodeLimit = nodeLimit
        let n = tables.n
        usableDevices = (0..<n).filter { tables.usable[$0] }
        var classes: [[ExactBlockClass]] = []
        let speedOrder = usableDevices.sorted { tables.attentionTime[$0] < tables.attentionTime[$1] }
        for l in 0..<tables.layers {
            let base = l * tables.blocksPerLayer
            var byPrevious: [Int: [Int]] = [:]
            var keys: [Int] = []
            for g in 0..<tables.groups {
                let key = tables.previous?[base + g] ?? -1
                if byPrevious[key] == nil { keys.append(key) }
                byPrevious[key, default: []].append(base + g)
            }
            classes.append(keys.map { key in
                let blocks = byPrevious[key]!
                let first = blocks[0]
                let mig = (0..<n).map { tables.migration[first * n + $0] }
                var order = speedOrder
                if key >= 0, let i = order.firstIndex(of: key) { order.remove(at: i); order.insert(key, at: 0) }
                return ExactBlockClass(
                    blocks: blocks, previous: key >= 0 ? key : nil, migration: mig,
                    first: first, order: order)
            })
        }
        self.classes = classes
        memory = tables.freeMemory
        budget = tables.freeBudget
        counts = Array(repeating: 0, count: n)
        let blockCount = tables.layers * tables.blocksPerLayer
        devices = Array(repeating: 0, count: blockCount)
        completed = tables.constant
        load = MigrationLoad(resources: tables.migrationTables.resources, deviceBase: tables.migrationTables.deviceBase)
        remainingMemory = Double(tables.layers)
            * (Double(tables.groups) * tables.attentionMemory + tables.projectionMemory + tables.ffnMemory)
        remainingBudget = Double(tables.layers)
            * (Double(tables.groups) * tables.attentionBudget + tables.projectionBudget + tables.ffnBudget)
        takenScratch = Array(repeating: 0, count: n)
        limitScratch = Array(repeating: 0, count: n)
        valueScratch = Array(repeating: 0, count: n)
        transport = ExactTransport(n: n, maxClasses: max(1, classes.map(\.count).max() ?? 1))
        usage = Array(repeating: 0, count: 3 * n)
        func bits(_ v: Int) -> Int { v <= 0 ? 1 : Int.bitWidth - v.leadingZeroBitCount }
        headBits = bits(tables.layers * tables.groups)
        layerBits = bits(tables.layers)
        let keyBits = layerBits + bits(n) + n * (headBits + 2 * layerBits)
        memoEnabled = tables.layers > 1 && keyBits <= 128 && (tables.model == .reference || tables.previous == nil)
        var unit = Array(repeating: 0.0, count: n * n)
        for p in 0..<n { for d in 0..<n { unit[p * n + d] = tables.referenceGather(1, from: d, to: p) } }
        gatherUnit = unit
        if let incumbent {
            let (value, feasible) = tables.objective(incumbent)
            bestValue = feasible ? value : .infinity
            best = feasible ? incumbent : nil
        } else {
            bestValue = .infinity
            best = nil
        }
        gatherOrder = (0..<n).map { p in usableDevices.sorted { tables.referenceGather(1, from: $0, to: p) < tables.referenceGather(1, from: $1, to: p) } }
        futureBound = computeFutureBound()
    }

    /// The proven lower bound once `run` has returned.
    var lowerBound: Double { aborted ? min(bestValue, provenBound) : bestValue }

    mutating func run() {
        rootBound = min(bestValue, completed + futureBound[t.controller])
        exploreLayer(0, residual: t.controller)
    }

    // MARK: Bounds

    private var currentMigration: Double { load.delay }

    @inline(__always) private func prunes(_ bound: Double) -> Bool {
        // An infinite bound is a proof that no feasible completion exists (the bounds respect the node's capacity).
        if bound == .infinity { return true }
        if bestValue.isFinite { return bound >= bestValue - tolerance * bestValue }
        // Without a finite incumbent only a feasible placement is sought; once one exists nothing can beat +inf.
        return best != nil
    }

    /// Entry bookkeeping of a node: counts it, checks the limits; returns true when the node must not be expanded.
    private mutating func stop(bound: Double) -> Bool {
        if prunes(bound) { return true }
        if aborted {
            provenBound = min(provenBound, bound)
            return true
        }
        nodes += 1
        if nodes >= nodeLimit || (nodes & 255 == 0 && deadline.map { ContinuousClock.now >= $0 } == true) {
            aborted = true
            provenBound = min(provenBound, bound)
            return true
        }
        return false
    }

    /// Extra attention blocks device d can still take (memory and budget), at most `limit`.
    @inline(__always) private func capacity(_ d: Int, limit: Int) -> Int {
        var c = limit
        if t.attentionMemory > 0 { c = min(c, Int((memory[d] / t.attentionMemory).rounded(.down)) + 1) }
        if t.attentionBudget > 0 { c = min(c, Int((budget[d] / t.attentionBudget).rounded(.down)) + 1) }
        while c > 0 && (memory[d] - Double(c) * t.attentionMemory < 0 || budget[d] - Double(c) * t.attentionBudget < 0) { c -= 1 }
        return max(c, 0)
    }

    /// Lower bound on the attention phase of a layer with `counts` placed and `k` attention blocks still to place.
    /// `caps`: whether to respect the node's memory (false for the future-layer relaxation).
    /// `open`: the layer, class, position in the class's device order and blocks of that class left, at a node of the
    /// search; with a previous placement the reference bound then charges the unplaced blocks' migration too.
    private mutating func phaseBound(
        residual r: Int, projection p: Int, remaining k: Int, counts: [Int], caps: Bool,
        open: (layer: Int, classIndex: Int, position: Int, left: Int)? = nil
    ) -> Double {
        let n = t.n
        var current: Double
        var gathers = 0.0
        switch t.model {
        case .reference:
            current = 0
            for d in 0..<n where counts[d] > 0 {
                current = max(current, t.attentionLoad(counts[d], on: d))
                gathers += t.referenceGather(counts[d], from: d, to: p)
            }
        case .decode:
            current = r == p ? 0 : t.hiddenTransfer[r * n + p]
            for d in 0..<n where counts[d] > 0 {
                current = max(current, t.decodeBranch(counts[d], on: d, residual: r, projection: p))
            }
        }
        if k == 0 { return current + gathers }
        // Per device, the phase value with one more block is increasing in the count: merge these sequences.
        for d in 0..<n {
            takenScratch[d] = 0
            limitScratch[d] = t.usable[d] ? (caps ? capacity(d, limit: k) : k) : 0
            valueScratch[d] = limitScratch[d] > 0 ? nextValue(d, counts[d] + 1, r, p) : .infinity
        }
        var level = current
        for _ in 0..<k {
            let (m, v) = smallestValue()
            if m < 0 { return .infinity }
            take(m, counts[m], r, p)
            level = max(level, v)
        }
        if t.model == .decode {
            // The k cheapest increments give the least possible bottleneck.
            return level
        }
        // Reference: at every makespan level λ, the blocks may use any room under λ; fill it by cheapest gather.
        while true {
            let (m, v) = smallestValue()
            if m < 0 || v > level { break }
            take(m, counts[m], r, p)
        }
        if t.previous != nil, let open {
            return transportBound(level: level, projection: p, counts: counts, residual: r, open: open) + gathers
        }
        var best = level + fill(k: k, projection: p)
        while true {
            let (m, v) = smallestValue()
            if m < 0 || v >= best { break }
            level = v
            take(m, counts[m], r, p)
            while true {
                let (m2, v2) = smallestValue()
                if m2 < 0 || v2 > level { break }
                take(m2, counts[m2], r, p)
            }
            best = min(best, level + fill(k: k, projection: p))
        }
        return best + gathers
    }

    /// The reference bound with migration: min over makespan levels λ of λ + the least gather + migration cost of
    /// the unplaced blocks in the room under λ (a transportation problem over their classes; the current class may
    /// no longer use the devices before `position` in its order). `takenScratch` holds the room at the first level.
    private mutating func transportBound(
        level start: Double, projection p: Int, counts: [Int], residual r: Int,
        open: (layer: Int, classIndex: Int, position: Int, left: Int)
    ) -> Double {
        let n = t.n
        let layerClasses = classes[open.layer]
        transport.reset()
        for j in open.classIndex..<layerClasses.count {
            let cls = layerClasses[j]
            let count = j == open.classIndex ? open.left : cls.blocks.count
            guard count > 0 else { continue }
            let k = transport.addClass(count)
            for d in 0..<n {
                var allowed = t.usable[d]
                if j == open.classIndex { for i in 0..<open.position where cls.order[i] == d { allowed = false } }
                transport.setCost(k, d, allowed ? gatherUnit[p * n + d] + cls.migration[d] : .infinity)
            }
        }
        for d in 0..<n { transport.setRoom(d, takenScratch[d]) }
        transport.solve()
        let floor = transport.floor
        var level = start
        var best = level + transport.total
        while true {
            let (m, v) = smallestValue()
            if m < 0 || v + floor >= best { break }
            level = v
            take(m, counts[m], r, p)
            transport.grow(m)
            while true {
                let (m2, v2) = smallestValue()
                if m2 < 0 || v2 > level { break }
                take(m2, counts[m2], r, p)
                transport.grow(m2)
            }
            best = min(best, level + transport.total)
        }
        return best
    }

    @inline(__always) private func nextValue(_ d: Int, _ count: Int, _ r: Int, _ p: Int) -> Double {
        t.model == .reference ? t.attentionLoad(count, on: d) : t.decodeBranch(count, on: d, residual: r, projection: p)
    }

    @inline(__always) private func smallestValue() -> (Int, Double) {
        var m = -1
        var v = Double.infinity
        for d in 0..<t.n where valueScratch[d] < v { v = valueScratch[d]; m = d }
        return (m, v)
    }

    @inline(__always) private mutating func take(_ m: Int, _ count: Int, _ r: Int, _ p: Int) {
        takenScratch[m] += 1
        valueScratch[m] = takenScratch[m] < limitScratch[m] ? nextValue(m, count + takenScratch[m] + 1, r, p) : .infinity
    }

    /// Cheapest gathers of k blocks given per-device room in `takenScratch` (reference bound).
    private func fill(k: Int, projection p: Int) -> Double {
        var left = k
        var cost = 0.0
        for d in gatherOrder[p] where left > 0 {
            let c = min(left, takenScratch[d])
            if c > 0 {
                cost += t.referenceGather(c, from: d, to: p)
                left -= c
            }
        }
        return left > 0 ? .infinity : cost
    }

    private mutating func computeFutureBound() -> [Double] {
        let n = t.n
        let L = t.layers
        var bound = Array(repeating: 0.0, count: (L + 1) * n)
        let zero = Array(repeating: 0, count: n)
        var phase = Array(repeating: 0.0, count: n * n)  // [r·n + p]
        for r in 0..<n {
            for p in usableDevices {
                phase[r * n + p] = phaseBound(residual: r, projection: p, remaining: t.groups, counts: zero, caps: false)
                if t.model == .reference { for r2 in 0..<n { phase[r2 * n + p] = phase[r * n + p] } }
            }
            if t.model == .reference { break }
        }
        for l in stride(from: L - 1, through: 0, by: -1) {
            for r in 0..<n {
                var b = Double.infinity
                for p in usableDevices {
                    for f in usableDevices {
                        b = min(b, phase[r * n + p] + t.tail(projection: p, ffn: f, last: l == L - 1) + bound[(l + 1) * n + f])
                    }
                }
                bound[l * n + r] = b
            }
        }
        return bound
    }

    // MARK: Search

    private mutating func record() {
        let value = completed + currentMigration
        if value < bestValue || best == nil && value == bestValue {
            bestValue = value
            best = devices
        }
    }

    /// Migration of `c` blocks like `block` to device d; returns what `restore` needs.
    @inline(__always) private mutating func migrate(_ c: Int, block: Int, previous: Int?, to d: Int)
        -> (mark: Int, maxima: (Double, Int, Double, Int))
    {
        let saved = (undo.count, load.maxima)
        guard c > 0, let previous, previous != d else { return saved }
        load.addGrowing(t.migrationTables.charges(block, on: d), times: Double(c), undo: &undo)
        return saved
    }

    @inline(__always) private mutating func restore(_ saved: (mark: Int, maxima: (Double, Int, Double, Int))) {
        load.undo(&undo, to: saved.mark, maxima: saved.maxima)
    }

    private mutating func host(_ c: Int, memory m: Double, budget b: Double, on d: Int) {
        memory[d] -= Double(c) * m
        budget[d] -= Double(c) * b
        remainingMemory -= Double(c) * m
        remainingBudget -= Double(c) * b
    }

    private mutating func unhost(_ c: Int, memory m: Double, budget b: Double, on d: Int) {
        memory[d] += Double(c) * m
        budget[d] += Double(c) * b
        remainingMemory += Double(c) * m
        remainingBudget += Double(c) * b
    }

    private var freeMemoryTotal: Double {
        var s = 0.0
        for d in usableDevices where memory[d] > 0 { s += memory[d] }
        return s
    }

    /// Compute budget left on the usable devices (+inf in the decode model).
    private var freeBudgetTotal: Double {
        var s = 0.0
        for d in usableDevices where budget[d] > 0 { s += budget[d] }
        return s
    }

    /// Whether the memory and budget left can hold, in total, what is still unplaced (a necessary condition).
    private var fitsInTotal: Bool {
        remainingMemory <= freeMemoryTotal + 1e-9 * remainingMemory
            && (t.model == .decode || remainingBudget <= freeBudgetTotal + 1e-9 * remainingBudget)
    }

    /// The state reached at the start of layer l with residual r (valid when `memoEnabled`).
    private func stateKey(_ l: Int, _ r: Int) -> StateKey {
        var a: UInt64 = 0
        var b: UInt64 = 0
        var used = 0
        func push(_ v: Int, _ w: Int) {
            if used + w <= 64 {
                a |= UInt64(v) << UInt64(used)
            } else if used >= 64 {
                b |= UInt64(v) << UInt64(used - 64)
            } else {
                a |= UInt64(v) << UInt64(used)
                b |= UInt64(v) >> UInt64(64 - used)
            }
            used += w
        }
        push(l, layerBits)
        push(r, Int.bitWidth - t.n.leadingZeroBitCount)
        for d in 0..<t.n {
            push(usage[d], headBits)
            push(usage[t.n + d], layerBits)
            push(usage[2 * t.n + d], layerBits)
        }
        return StateKey(a: a, b: b)
    }

    private mutating func exploreLayer(_ l: Int, residual r: Int) {
        if l == t.layers {
            record()
            return
        }
        let n = t.n
        if !fitsInTotal { return }
        if memoEnabled && l > 0 {
            let key = stateKey(l, r)
            let value = completed + currentMigration
            if let seen = memo[key] {
                if seen <= value { return }
                memo[key] = value
            } else if memo.count < memoLimit {
                memo[key] = value
            }
        }
        if stop(bound: completed + currentMigration + futureBound[l * n + r]) { return }
        let base = l * t.blocksPerLayer
        let pBlock = base + t.groups
        let fBlock = pBlock + 1
        for p in usableDevices where memory[p] >= t.projectionMemory && budget[p] >= t.projectionBudget {
            let pPrev = t.previous?[pBlock]
            let pSaved = migrate(1, block: pBlock, previous: pPrev, to: p)
            host(1, memory: t.projectionMemory, budget: t.projectionBudget, on: p)
            devices[pBlock] = p
            usage[n + p] += 1
            for f in usableDevices where memory[f] >= t.ffnMemory && budget[f] >= t.ffnBudget {
                let fSaved = migrate(1, block: fBlock, previous: t.previous?[fBlock], to: f)
                host(1, memory: t.ffnMemory, budget: t.ffnBudget, on: f)
                devices[fBlock] = f
                usage[2 * n + f] += 1
                let first = classes[l].first
                exploreClass(l, residual: r, projection: p, ffn: f, classIndex: 0, position: 0,
                    remaining: first?.blocks.count ?? 0, offset: 0, left: t.groups)
                usage[2 * n + f] -= 1
                unhost(1, memory: t.ffnMemory, budget: t.ffnBudget, on: f)
                restore(fSaved)
            }
            usage[n + p] -= 1
            unhost(1, memory: t.projectionMemory, budget: t.projectionBudget, on: p)
            restore(pSaved)
        }
    }

    /// Places the blocks of class `classIndex` of layer l: `position` indexes the class's device order, `remaining`
    /// blocks of the class and `left` blocks of the layer are still unplaced.
    private mutating func exploreClass(
        _ l: Int, residual r: Int, projection p: Int, ffn f: Int, classIndex ci: Int, position: Int,
        remaining: Int, offset: Int, left: Int
    ) {
        let n = t.n
        let last = l == t.layers - 1
        if !fitsInTotal { return }
        if left == 0 {
            let latency = counts.withUnsafeBufferPointer {
                t.layerLatency(counts: $0, projection: p, ffn: f, residual: r, last: last)
            }
            let before = completed
            completed += latency
            for d in 0..<n { countsStack.append(counts[d]); counts[d] = 0 }
            exploreLayer(l + 1, residual: f)
            for d in stride(from: n - 1, through: 0, by: -1) { counts[d] = countsStack.removeLast() }
            completed = before
            return
        }
        if remaining == 0 {
            exploreClass(l, residual: r, projection: p, ffn: f, classIndex: ci + 1, position: 0,
                remaining: classes[l][ci + 1].blocks.count, offset: 0, left: left)
            return
        }
        let phase = phaseBound(residual: r, projection: p, remaining: left, counts: counts, caps: true,
            open: (l, ci, position, remaining))
        let bound = completed + phase + t.tail(projection: p, ffn: f, last: last) + futureBound[(l + 1) * n + f]
            + currentMigration
        if stop(bound: bound) { return }
        let cls = classes[l][ci]
        let d = cls.order[position]
        let isLast = position == cls.order.count - 1
        let room = capacity(d, limit: remaining)
        if isLast && room < remaining { return }
        let lowest = isLast ? remaining : 0
        var c = room
        while c >= lowest {
            let saved = migrate(c, block: cls.first, previous: cls.previous, to: d)
            host(c, memory: t.attentionMemory, budget: t.attentionBudget, on: d)
            counts[d] += c
            usage[d] += c
            for i in offset..<(offset + c) { devices[cls.blocks[i]] = d }
            exploreClass(l, residual: r, projection: p, ffn: f, classIndex: ci, position: position + 1,
                remaining: remaining - c, offset: offset + c, left: left - c)
            counts[d] -= c
            usage[d] -= c
            unhost(c, memory: t.attentionMemory, budget: t.attentionBudget, on: d)
            restore(saved)
            c -= 1
        }
    }

    private var countsStack: [Int] = []
}
