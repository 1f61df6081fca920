/// An edge device: what it can hold and how fast it computes and streams weights.
public struct Device: Hashable, Sendable, Codable {
    public var id: String
    /// Memory available to Headway blocks.
    public var memory: Bytes
    /// Sustained compute throughput.
    public var compute: FLOPsPerSecond
    /// Memory bandwidth (weight and K/V streaming); decode is usually bound by it.
    public var memoryBandwidth: BytesPerSecond
    public init(id: String, memory: Bytes, compute: FLOPsPerSecond, memoryBandwidth: BytesPerSecond) {
        self.id = id
        self.memory = memory
        self.compute = compute
        self.memoryBandwidth = memoryBandwidth
    }
}

/// An undirected network link between two devices.
public struct Link: Hashable, Sendable, Codable {
    public var a: String
    public var b: String
    public var bandwidth: BytesPerSecond
    /// One-way latency of a message on this link.
    public var latency: Seconds
    public init(a: String, b: String, bandwidth: BytesPerSecond, latency: Seconds = .zero) {
        self.a = a
        self.b = b
        self.bandwidth = bandwidth
        self.latency = latency
    }
}

/// Devices, links and the controller (the device that holds embedding and LM head, issues requests and plans).
/// Devices that are not directly linked talk over the path with the fewest hops (ties: the widest bottleneck);
/// a path's bandwidth is its bottleneck and its latency the sum of its links' latencies.
public struct Cluster: Hashable, Sendable {
    public let devices: [Device]
    public let links: [Link]
    /// Index of the controller in `devices`.
    public let controller: Int
    /// For every ordered pair (i·n + j), the indices into `links` of the path from i to j (empty when i == j).
    public let paths: [[Int]]
    /// Device indices of each link's endpoints (a, b), in `links` order.
    public let endpoints: [(a: Int, b: Int)]

    /// - Throws: `CoreError` naming the device or link for duplicate ids, unknown endpoints, non-positive
    ///   capacities, or a device unreachable from the controller.
    /// Most devices a cluster may have (paths and link tables grow with the square of the count).
    public static let maxDevices = 256

    public init(devices: [Device], links: [Link], controller: Int = 0, source: String = "cluster") throws {
        guard !devices.isEmpty else { throw CoreError(.invalidValue, "\(source): 'devices' is empty") }
        guard devices.count <= Self.maxDevices else {
            throw CoreError(.invalidValue, "\(source): \(devices.count) devices; at most \(Self.maxDevices) are supported")
        }
        guard devices.indices.contains(controller) else {
            throw CoreError(.invalidValue, "\(source): controller index \(controller) is out of range")
        }
        var index: [String: Int] = [:]
        for (i, d) in devices.enumerated() {
            let field = "\(source): devices[\(i)] ('\(d.id)')"
            guard index[d.id] == nil else { throw CoreError(.inconsistent, "\(field): duplicate device id '\(d.id)'") }
            index[d.id] = i
            guard d.memory.value >= 0, d.memory.value.isFinite else {
                throw CoreError(.invalidValue, "\(field): field 'memory' must be >= 0, got \(d.memory.value)")
            }
            guard d.compute.value > 0, d.compute.value.isFinite else {
                throw CoreError(.invalidValue, "\(field): field 'compute' must be > 0, got \(d.compute.value)")
            }
            guard d.memoryBandwidth.value > 0, d.memoryBandwidth.value.isFinite else {
                throw CoreError(.invalidValue,
                    "\(field): field 'memory_bandwidth' must be > 0, got \(d.memoryBandwidth.value)")
            }
        }
        let n = devices.count
        var adjacency = Array(repeating: [(peer: Int, link: Int)](), count: n)
        for (k, l) in links.enumerated() {
            let field = "\(source): links[\(k)] (\(l.a)-\(l.b))"
            guard let a = index[l.a] else { throw CoreError(.unknownName, "\(field): unknown device '\(l.a)'") }
            guard let b = index[l.b] else { throw CoreError(.unknownName, "\(field): unknown device '\(l.b)'") }
            guard a != b else { throw CoreError(.inconsistent, "\(field): a link must join two different devices") }
            guard l.bandwidth.value > 0, l.bandwidth.value.isFinite else {
                throw CoreError(.invalidValue, "\(field): field 'bandwidth' must be > 0, got \(l.bandwidth.value)")
            }
            guard l.latency.value >= 0, l.latency.value.isFinite else {
                throw CoreError(.invalidValue, "\(field): field 'latency' must be >= 0, got \(l.latency.value)")
            }
            adjacency[a].append((b, k))
            adjacency[b].append((a, k))
        }
        // Fewest hops, ties broken by the widest bottleneck, then by link order: a BFS layer by layer.
        var paths = Array(repeating: [Int](), count: n * n)
        for s in 0..<n {
            var hops = Array(repeating: Int.max, count: n)
            var width = Array(repeating: 0.0, count: n)
            var via = Array(repeating: -1, count: n)  // link index into each node
            hops[s] = 0
            width[s] = .infinity
            var frontier = [s]
            while !frontier.isEmpty {
                var next: [Int] = []
                for u in frontier {
                    for (v, k) in adjacency[u] where hops[v] >= hops[u] + 1 {
                        let w = min(width[u], links[k].bandwidth.value)
                        if hops[v] == Int.max { next.append(v) }
                        if hops[v] > hops[u] + 1 || w > width[v] {
                            hops[v] = hops[u] + 1
                            width[v] = w
                            via[v] = k
                        }
                    }
                }
                frontier = next
            }
            for t in 0..<n where t != s {
                guard hops[t] != Int.max else {
                    if s == controller {
                        throw CoreError(.inconsistent,
                            "\(source): device '\(devices[t].id)' is not reachable from the controller '\(devices[s].id)'")
                    }
                    continue
                }
                var path: [Int] = []
                var v = t
                while v != s {
                    let k = via[v]
                    path.append(k)
                    v = index[links[k].a] == v ? index[links[k].b]! : index[links[k].a]!
                }
                paths[s * n + t] = path.reversed()
            }
        }
        // Reachability is symmetric, so every pair is connected once the controller reaches everyone.
        self.devices = devices
        self.links = links
        self.controller = controller
        self.paths = paths
        self.endpoints = links.map { (index[$0.a]!, index[$0.b]!) }
    }

    public static func == (x: Cluster, y: Cluster) -> Bool {
        x.devices == y.devices && x.links == y.links && x.controller == y.controller
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(devices)
        hasher.combine(links)
        hasher.combine(controller)
    }

    public var count: Int { devices.count }
    public func index(of id: String) -> Int? { devices.firstIndex { $0.id == id } }

    /// A full mesh with one bandwidth and latency for every pair.
    public static func fullMesh(
        devices: [Device], bandwidth: BytesPerSecond, latency: Seconds = .zero, controller: Int = 0
    ) throws -> Cluster {
        var links: [Link] = []
        for i in devices.indices {
            for j in devices.indices where j > i {
                links.append(Link(a: devices[i].id, b: devices[j].id, bandwidth: bandwidth, latency: latency))
            }
        }
        return try Cluster(devices: devices, links: links, controller: controller)
    }

    /// The nominal state: every device fully available, links at their nominal bandwidth.
    public var nominalState: ClusterState { ClusterState(cluster: self) }
}
