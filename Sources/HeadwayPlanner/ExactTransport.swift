/// Min-cost transportation of a few classes of identical blocks to devices with integer room: the exact
/// migration-aware relaxation of the unplaced attention blocks of a layer in the reference bound (`ExactSearch`).
///
/// Class k ships `supply[k]` units; one unit to device d costs `cost[k·n + d]` (+inf: forbidden); device d takes at
/// most `room[d]` units. Solved by successive shortest paths (Bellman–Ford on the residual graph of at most
/// classes + n nodes), warm-started when one device's room grows by one: the new optimum is the old flow plus the
/// cheapest cycle through the new unit of room, i.e. one unit rerouted from another device if that is cheaper.
struct ExactTransport {
    let n: Int
    private(set) var classes = 0
    private var supply: [Int]
    private var cost: [Double]
    private var room: [Int]
    private var left: [Int]
    private var flow: [Int]
    private var inflow: [Int]
    private var dist: [Double]
    private var pred: [Int]
    private var unshipped = 0
    /// Relaxation threshold (set from the largest cost): guards Bellman–Ford against rounding cycles.
    private var eps = 0.0
    private var largest = 0.0
    /// Set when rounding made the residual graph misbehave; `total` then falls back to 0 (still a lower bound).
    private var broken = false

    init(n: Int, maxClasses: Int) {
        self.n = n
        supply = Array(repeating: 0, count: maxClasses)
        left = supply
        cost = Array(repeating: .infinity, count: maxClasses * n)
        flow = Array(repeating: 0, count: maxClasses * n)
        room = Array(repeating: 0, count: n)
        inflow = room
        dist = Array(repeating: .infinity, count: maxClasses + n)
        pred = Array(repeating: -1, count: maxClasses + n)
    }

    /// Starts a new problem with no classes and no room.
    mutating func reset() {
        classes = 0
        largest = 0
        broken = false
        for d in 0..<n { room[d] = 0 }
    }

    /// Adds a class of `count` units (all of its costs +inf until set); returns its index.
    mutating func addClass(_ count: Int) -> Int {
        let k = classes
        classes += 1
        supply[k] = count
        for d in 0..<n { cost[k * n + d] = .infinity }
        return k
    }

    /// Cost of one unit of class k on device d (+inf: forbidden).
    mutating func setCost(_ k: Int, _ d: Int, _ c: Double) {
        cost[k * n + d] = c
        if c.isFinite { largest = max(largest, abs(c)) }
    }

    mutating func setRoom(_ d: Int, _ r: Int) { room[d] = r }

    /// Least cost of the current flow, +inf while some supply has no room; a safety margin below the computed optimum
    /// absorbs the rounding of the shortest-path sums.
    var total: Double {
        if broken { return 0 }
        if unshipped > 0 { return .infinity }
        var s = 0.0
        for k in 0..<classes {
            for d in 0..<n where flow[k * n + d] > 0 { s += Double(flow[k * n + d]) * cost[k * n + d] }
        }
        var units = 0
        for k in 0..<classes { units += supply[k] }
        return max(0, s - Double(units) * 1e-12 * largest)
    }

    /// Least cost ignoring room: every unit on its cheapest allowed device.
    var floor: Double {
        var s = 0.0
        for k in 0..<classes {
            var m = Double.infinity
            for d in 0..<n { m = min(m, cost[k * n + d]) }
            s += Double(supply[k]) * m
        }
        return s.isFinite ? max(0, s * (1 - 1e-9)) : s
    }

    /// Solves from scratch with the current room.
    mutating func solve() {
        eps = 1e-14 * largest
        unshipped = 0
        for k in 0..<classes {
            left[k] = supply[k]
            unshipped += supply[k]
            for d in 0..<n { flow[k * n + d] = 0 }
        }
        for d in 0..<n { inflow[d] = 0 }
        augment()
    }

    /// One more unit of room on d, and the optimum updated.
    mutating func grow(_ d: Int) {
        let wasFull = inflow[d] >= room[d]
        room[d] += 1
        if broken { return }
        if unshipped > 0 {
            // Not yet a full shipment: the warm start's optimality argument needs one, so start over.
            solve()
            return
        }
        guard wasFull else { return }
        let N = classes + n
        for i in 0..<N { dist[i] = .infinity; pred[i] = -1 }
        for e in 0..<n where e != d && inflow[e] > 0 { dist[classes + e] = 0 }
        guard relax() else { broken = true; return }
        guard dist[classes + d] < -eps else { return }
        // Reroute one unit along the path (it starts at a device that loses one unit).
        var node = classes + d
        var steps = 0
        while pred[node] >= 0 {
            let from = pred[node]
            if node >= classes {
                flow[from * n + (node - classes)] += 1
            } else {
                flow[node * n + (from - classes)] -= 1
            }
            node = from
            steps += 1
            if steps > N { broken = true; return }
        }
        inflow[node - classes] -= 1
        inflow[d] += 1
    }

    /// Successive shortest paths from classes with supply left to devices with room left.
    private mutating func augment() {
        let N = classes + n
        while unshipped > 0 {
            for i in 0..<N { dist[i] = .infinity; pred[i] = -1 }
            for k in 0..<classes where left[k] > 0 { dist[k] = 0 }
            guard relax() else { broken = true; return }
            var end = -1
            for d in 0..<n where inflow[d] < room[d] && dist[classes + d] < .infinity {
                if end < 0 || dist[classes + d] < dist[classes + end] { end = d }
            }
            if end < 0 { return }  // no room for the rest: infeasible at this room
            var amount = room[end] - inflow[end]
            var node = classes + end
            var steps = 0
            while pred[node] >= 0 {
                let from = pred[node]
                if node < classes { amount = min(amount, flow[node * n + (from - classes)]) }
                node = from
                steps += 1
                if steps > N { broken = true; return }
            }
            amount = min(amount, left[node])
            let start = node
            node = classes + end
            while pred[node] >= 0 {
                let from = pred[node]
                if node >= classes {
                    flow[from * n + (node - classes)] += amount
                } else {
                    flow[node * n + (from - classes)] -= amount
                }
                node = from
            }
            left[start] -= amount
            unshipped -= amount
            inflow[end] += amount
        }
    }

    /// Bellman–Ford over forward edges (class → device, any amount) and backward edges (device → class, where flow
    /// runs). Returns false if it does not settle (a rounding cycle).
    private mutating func relax() -> Bool {
        let N = classes + n
        for _ in 0...N {
            var changed = false
            for k in 0..<classes where dist[k] < .infinity {
                for d in 0..<n {
                    let c = cost[k * n + d]
                    guard c < .infinity else { continue }
                    let nd = dist[k] + c
                    if nd < dist[classes + d] - eps {
                        dist[classes + d] = nd
                        pred[classes + d] = k
                        changed = true
                    }
                }
            }
            for d in 0..<n where inflow[d] > 0 && dist[classes + d] < .infinity {
                for k in 0..<classes where flow[k * n + d] > 0 {
                    let nd = dist[classes + d] - cost[k * n + d]
                    if nd < dist[k] - eps {
                        dist[k] = nd
                        pred[k] = classes + d
                        changed = true
                    }
                }
            }
            if !changed { return true }
        }
        return false
    }
}
