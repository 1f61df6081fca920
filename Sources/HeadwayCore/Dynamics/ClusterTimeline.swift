// The resources of a cluster at every token, precomputed from a `Fluctuation` and a seed.

/// What the cluster looks like at each token 0..<tokens; deterministic for (cluster, fluctuation, seed).
///
/// Values are stored as flat per-token arrays (token-major, `t·n + i` for devices, `t·L + k` for links), about
/// (3·8 + 1)·n + 8·L bytes per token. `state(at:)` slices them: O(1) to locate, O(n² · path length) to resolve pair
/// bandwidths inside `ClusterState.init`, which is the price of handing planners a ready `ClusterState`.
///
/// Link latency: `ClusterState` has no per-token latency, so when a link trace changes latencies the timeline keeps
/// one `Cluster` per distinct latency epoch (same devices, links and paths, other latencies) and `state(at:).cluster`
/// is that epoch's cluster. Without latency rows every state's cluster is `cluster`.
public struct ClusterTimeline: Sendable {
    /// The nominal cluster.
    public let cluster: Cluster
    /// Number of tokens covered; `state(at:)` accepts 0..<tokens.
    public let tokens: Int
    private let memory: [Double]
    private let compute: [Double]
    private let memoryBandwidth: [Double]
    private let online: [Bool]
    private let linkBandwidth: [Double]
    /// Clusters with per-epoch link latencies (element 0 is `cluster`) and the epoch of each token (empty when
    /// there is a single epoch).
    private let epochClusters: [Cluster]
    private let epochOfToken: [Int32]

    /// - Throws: `CoreError` for an invalid fluctuation spec or trace (naming the field, or the trace file and line),
    ///   or `tokens` < 1.
    public init(cluster: Cluster, fluctuation: Fluctuation, seed: UInt64, tokens: Int) throws {
        guard tokens >= 1 else { throw CoreError(.invalidValue, "timeline: field 'tokens' must be >= 1, got \(tokens)") }
        try fluctuation.validate(for: cluster)
        let n = cluster.count
        let linkCount = cluster.links.count
        let root = SeededGenerator(seed: seed)
        let ids = cluster.devices.map(\.id)

        // 1. Background load, stored as load fractions and turned into available values below.
        var computeLoad = Array(repeating: 0.0, count: tokens * n)
        var memoryLoad = Array(repeating: 0.0, count: tokens * n)
        for i in 0..<n {
            var rc = root.derived("dynamics/compute_load/\(ids[i])")
            fluctuation.computeLoad.generate(tokens: tokens, rng: &rc, into: &computeLoad, offset: i, stride: n)
            var rm = root.derived("dynamics/memory_load/\(ids[i])")
            fluctuation.memoryLoad.generate(tokens: tokens, rng: &rm, into: &memoryLoad, offset: i, stride: n)
        }
        var memory = memoryLoad
        var compute = computeLoad
        var memoryBandwidth = computeLoad
        let coupling = fluctuation.memoryBandwidthCoupling
        for t in 0..<tokens {
            for i in 0..<n {
                let d = cluster.devices[i]
                let k = t * n + i
                memory[k] = d.memory.value * (1 - memoryLoad[k])
                compute[k] = d.compute.value * (1 - computeLoad[k])
                memoryBandwidth[k] = d.memoryBandwidth.value * (1 - min(1, coupling * computeLoad[k]))
            }
        }

        // 2. Links.
        var linkBandwidth = Array(repeating: 0.0, count: tokens * linkCount)
        for (k, l) in cluster.links.enumerated() {
            let (a, b) = l.a < l.b ? (l.a, l.b) : (l.b, l.a)
            var r = root.derived("dynamics/link/\(a)/\(b)")
            fluctuation.links.generate(
                nominal: l.bandwidth.value, tokens: tokens, rng: &r, into: &linkBandwidth, offset: k, stride: linkCount)
        }

        // 3. Presence.
        var online = Array(repeating: true, count: tokens * n)
        var column = Array(repeating: true, count: tokens)
        let exempt = Set(fluctuation.churn?.exempt ?? [])
        for i in 0..<n where i != cluster.controller {
            let events = fluctuation.events.filter { $0.device == ids[i] }
            if !events.isEmpty {
                MembershipEvent.presence(events, tokens: tokens, into: &online, offset: i, stride: n)
            }
            if let churn = fluctuation.churn, !exempt.contains(ids[i]) {
                var r = root.derived("dynamics/churn/\(ids[i])")
                churn.generate(tokens: tokens, rng: &r, into: &column, offset: 0, stride: 1)
                for t in 0..<tokens where !column[t] { online[t * n + i] = false }
            }
        }

        // 4. Traces.
        if let trace = fluctuation.deviceTrace {
            let groups = try trace.rowsByDevice(cluster)
            for i in 0..<n {
                var bandwidth: Double? = nil
                var present = true
                for (r, row) in groups[i].enumerated() where row.token < tokens {
                    let end = r + 1 < groups[i].count ? min(groups[i][r + 1].token, tokens) : tokens
                    if let g = row.memoryBandwidthGBps { bandwidth = BytesPerSecond(gigabytesPerSecond: g).value }
                    if let o = row.online { present = o }
                    if !present && i == cluster.controller {
                        throw CoreError(.inconsistent,
                            "\(trace.source):\(row.line): the controller '\(ids[i])' is always present; column 'online' cannot be false")
                    }
                    let m = Bytes(gigabytes: row.memoryGB).value
                    let c = FLOPsPerSecond(gigaflops: row.computeGFLOPs).value
                    for t in row.token..<end {
                        memory[t * n + i] = m
                        compute[t * n + i] = c
                        if let bandwidth { memoryBandwidth[t * n + i] = bandwidth }
                        if !present { online[t * n + i] = false }
                    }
                }
            }
        }
        var epochClusters = [cluster]
        var epochOfToken: [Int32] = []
        if let trace = fluctuation.linkTrace {
            let groups = try trace.rowsByLink(cluster)
            var latencyChanges: [Int: [(link: Int, seconds: Double)]] = [:]
            for k in 0..<linkCount {
                for (r, row) in groups[k].enumerated() where row.token < tokens {
                    let end = r + 1 < groups[k].count ? min(groups[k][r + 1].token, tokens) : tokens
                    let value = BytesPerSecond(gigabitsPerSecond: row.bandwidthGbps).value
                    for t in row.token..<end { linkBandwidth[t * linkCount + k] = value }
                    if let ms = row.latencyMs { latencyChanges[row.token, default: []].append((k, ms / 1000)) }
                }
            }
            if !latencyChanges.isEmpty {
                var links = cluster.links
                epochOfToken = Array(repeating: 0, count: tokens)
                var epoch: Int32 = 0
                for t in 0..<tokens {
                    if let changes = latencyChanges[t] {
                        for (k, s) in changes { links[k].latency = Seconds(s) }
                        epochClusters.append(try Cluster(
                            devices: cluster.devices, links: links, controller: cluster.controller, source: trace.source))
                        epoch += 1
                    }
                    epochOfToken[t] = epoch
                }
            }
        }

        self.cluster = cluster
        self.tokens = tokens
        self.memory = memory
        self.compute = compute
        self.memoryBandwidth = memoryBandwidth
        self.online = online
        self.linkBandwidth = linkBandwidth
        self.epochClusters = epochClusters
        self.epochOfToken = epochOfToken
    }

    /// The cluster as seen at `token` (precondition: 0 <= token < tokens).
    public func state(at token: Int) -> ClusterState {
        precondition(token >= 0 && token < tokens, "ClusterTimeline.state(at: \(token)): token outside 0..<\(tokens)")
        let n = cluster.count
        let devices = (token * n)..<((token + 1) * n)
        let linkCount = cluster.links.count
        let links = (token * linkCount)..<((token + 1) * linkCount)
        let c = epochOfToken.isEmpty ? cluster : epochClusters[Int(epochOfToken[token])]
        let memory: [Bytes] = memory[devices].map { Bytes($0) }
        let compute: [FLOPsPerSecond] = compute[devices].map { FLOPsPerSecond($0) }
        let memoryBandwidth: [BytesPerSecond] = memoryBandwidth[devices].map { BytesPerSecond($0) }
        let linkBandwidth: [BytesPerSecond] = linkBandwidth[links].map { BytesPerSecond($0) }
        return ClusterState(
            cluster: c, memory: memory, compute: compute, memoryBandwidth: memoryBandwidth,
            online: Array(online[devices]), linkBandwidth: linkBandwidth)
    }

    /// Whether device `i` is online at `token`, without building a state.
    public func isOnline(_ i: Int, at token: Int) -> Bool { online[token * cluster.count + i] }

    /// Available compute of device `i` at `token`, without building a state.
    public func compute(_ i: Int, at token: Int) -> FLOPsPerSecond { FLOPsPerSecond(compute[token * cluster.count + i]) }

    /// Available memory of device `i` at `token`, without building a state.
    public func memory(_ i: Int, at token: Int) -> Bytes { Bytes(memory[token * cluster.count + i]) }

    /// Available memory bandwidth of device `i` at `token`, without building a state.
    public func memoryBandwidth(_ i: Int, at token: Int) -> BytesPerSecond {
        BytesPerSecond(memoryBandwidth[token * cluster.count + i])
    }

    /// Bandwidth of `cluster.links[k]` at `token`, without building a state.
    public func linkBandwidth(_ k: Int, at token: Int) -> BytesPerSecond {
        BytesPerSecond(linkBandwidth[token * cluster.links.count + k])
    }
}
