/// What the controller sees at one decision interval: the resources each device has left for Headway after
/// background load, whether it is online, and the current bandwidth of each link. Pairwise bandwidth and latency
/// are resolved over the cluster's paths once, at construction, into flat n×n arrays for the planners' hot loops.
public struct ClusterState: Hashable, Sendable {
    public let cluster: Cluster
    public private(set) var memory: [Bytes]
    public private(set) var compute: [FLOPsPerSecond]
    public private(set) var memoryBandwidth: [BytesPerSecond]
    public private(set) var online: [Bool]
    /// Current bandwidth of each link of `cluster.links`.
    public private(set) var linkBandwidth: [BytesPerSecond]
    /// Bytes/s from i to j at index i·n + j (bottleneck of the path; +inf on the diagonal; 0 if unreachable/offline).
    public private(set) var pairBandwidth: [Double]
    /// Seconds from i to j at index i·n + j (sum of link latencies on the path; 0 on the diagonal).
    public private(set) var pairLatency: [Double]

    public init(
        cluster: Cluster, memory: [Bytes]? = nil, compute: [FLOPsPerSecond]? = nil,
        memoryBandwidth: [BytesPerSecond]? = nil, online: [Bool]? = nil, linkBandwidth: [BytesPerSecond]? = nil
    ) {
        self.cluster = cluster
        self.memory = memory ?? cluster.devices.map(\.memory)
        self.compute = compute ?? cluster.devices.map(\.compute)
        self.memoryBandwidth = memoryBandwidth ?? cluster.devices.map(\.memoryBandwidth)
        self.online = online ?? Array(repeating: true, count: cluster.count)
        self.linkBandwidth = linkBandwidth ?? cluster.links.map(\.bandwidth)
        precondition(self.memory.count == cluster.count && self.compute.count == cluster.count
            && self.memoryBandwidth.count == cluster.count && self.online.count == cluster.count
            && self.linkBandwidth.count == cluster.links.count, "ClusterState arrays must match the cluster")
        pairBandwidth = []
        pairLatency = []
        resolvePairs()
    }

    private mutating func resolvePairs() {
        let n = cluster.count
        var bw = Array(repeating: 0.0, count: n * n)
        var lat = Array(repeating: 0.0, count: n * n)
        for s in 0..<n {
            for t in 0..<n {
                if s == t { bw[s * n + t] = .infinity; continue }
                let path = cluster.paths[s * n + t]
                guard !path.isEmpty, online[s], online[t] else { bw[s * n + t] = 0; lat[s * n + t] = .infinity; continue }
                var b = Double.infinity
                var l = 0.0
                for k in path {
                    let ends = cluster.endpoints[k]
                    // A path through an offline relay is cut.
                    if !online[ends.a] || !online[ends.b] { b = 0 }
                    b = min(b, linkBandwidth[k].value)
                    l += cluster.links[k].latency.value
                }
                bw[s * n + t] = b
                lat[s * n + t] = b > 0 ? l : .infinity
            }
        }
        pairBandwidth = bw
        pairLatency = lat
    }

    public var count: Int { cluster.count }
    @inlinable public func bandwidth(_ i: Int, _ j: Int) -> BytesPerSecond { BytesPerSecond(pairBandwidth[i * count + j]) }
    @inlinable public func latency(_ i: Int, _ j: Int) -> Seconds { Seconds(pairLatency[i * count + j]) }

    /// Time to send `bytes` from i to j: latency + bytes / bandwidth; zero on the same device.
    @inlinable public func transferTime(_ bytes: Bytes, from i: Int, to j: Int) -> Seconds {
        if i == j { return .zero }
        let n = count
        return Seconds(pairLatency[i * n + j] + bytes.value / pairBandwidth[i * n + j])
    }

    /// A copy with other per-device and per-link values (same cluster).
    public func with(
        memory: [Bytes]? = nil, compute: [FLOPsPerSecond]? = nil, memoryBandwidth: [BytesPerSecond]? = nil,
        online: [Bool]? = nil, linkBandwidth: [BytesPerSecond]? = nil
    ) -> ClusterState {
        ClusterState(
            cluster: cluster, memory: memory ?? self.memory, compute: compute ?? self.compute,
            memoryBandwidth: memoryBandwidth ?? self.memoryBandwidth, online: online ?? self.online,
            linkBandwidth: linkBandwidth ?? self.linkBandwidth)
    }
}
