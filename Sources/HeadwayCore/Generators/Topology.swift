// Which device pairs get a direct link. Every topology is connected by construction, so `Cluster.init` never rejects it.

/// The shape of the generated network.
public enum Topology: Codable, Sendable, Hashable {
    /// Every pair linked (the paper's and the reference simulator's toy setting).
    case fullMesh
    /// Every device linked to the controller only.
    case star
    /// Erdős–Rényi G(n, p): each pair linked with probability `edgeProbability` in [0, 1]; disconnected components
    /// are then joined (see `pairs(count:controller:rng:)`).
    case erdosRenyi(edgeProbability: Double)
    /// Random geometric graph: devices uniform in the unit square, pairs closer than `radius` (> 0) linked;
    /// disconnected components are then joined by their geometrically closest pair.
    case randomGeometric(radius: Double)

    func validate(_ field: String) throws {
        switch self {
        case .fullMesh, .star: return
        case .erdosRenyi(let p):
            guard p >= 0, p <= 1 else {
                throw CoreError(.invalidValue, "\(field): field 'edge_probability' must be in [0, 1], got \(p)")
            }
        case .randomGeometric(let r):
            guard r > 0, r.isFinite else {
                throw CoreError(.invalidValue, "\(field): field 'radius' must be > 0, got \(r)")
            }
        }
    }

    /// The linked pairs (i < j), in increasing (i, j) order. Random decisions for pair (i, j) come from a stream
    /// derived from the pair, and positions from per-device streams, so a device added at the end does not change
    /// which of the earlier pairs are linked (only the connectivity repair may add different links).
    func pairs(count n: Int, controller: Int, rng: SeededGenerator) -> [(Int, Int)] {
        var linked: [(Int, Int)] = []
        var position: [(Double, Double)] = []
        switch self {
        case .fullMesh:
            for i in 0..<n { for j in (i + 1)..<n { linked.append((i, j)) } }
            return linked
        case .star:
            for i in 0..<n where i != controller { linked.append((min(i, controller), max(i, controller))) }
            return linked
        case .erdosRenyi(let p):
            for i in 0..<n {
                for j in (i + 1)..<n {
                    var r = rng.derived("topology/pair/\(i)/\(j)")
                    if r.bernoulli(p) { linked.append((i, j)) }
                }
            }
        case .randomGeometric(let radius):
            position = (0..<n).map { i in
                var r = rng.derived("topology/position/\(i)")
                return (r.nextUnit(), r.nextUnit())
            }
            for i in 0..<n {
                for j in (i + 1)..<n where distance(position[i], position[j]) <= radius {
                    linked.append((i, j))
                }
            }
        }
        // Connectivity repair: join every component not containing the controller to the controller's component.
        // Erdős–Rényi joins a uniformly chosen member of each stray component to a uniformly chosen member of the
        // growing main component; the geometric graph joins the closest pair between them.
        var component = components(n: n, pairs: linked)
        var repair = rng.derived("topology/repair")
        while let stray = (0..<n).first(where: { component[$0] != component[controller] }) {
            let main = (0..<n).filter { component[$0] == component[controller] }
            let other = (0..<n).filter { component[$0] == component[stray] }
            var best = (main[0], other[0])
            if position.isEmpty {
                best = (main[repair.uniformIndex(below: main.count)], other[repair.uniformIndex(below: other.count)])
            } else {
                var bestDistance = Double.infinity
                for a in main {
                    for b in other where distance(position[a], position[b]) < bestDistance {
                        bestDistance = distance(position[a], position[b])
                        best = (a, b)
                    }
                }
            }
            linked.append((min(best.0, best.1), max(best.0, best.1)))
            component = components(n: n, pairs: linked)
        }
        return linked.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    }
}

private func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
    let dx = a.0 - b.0
    let dy = a.1 - b.1
    return (dx * dx + dy * dy).squareRoot()
}

/// Component label of every node (union–find).
private func components(n: Int, pairs: [(Int, Int)]) -> [Int] {
    var parent = Array(0..<n)
    func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }
    for (a, b) in pairs {
        let ra = find(a)
        let rb = find(b)
        if ra != rb { parent[ra] = rb }
    }
    return (0..<n).map { find($0) }
}
