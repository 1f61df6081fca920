public import HeadwayCore
import HeadwayPlanner

/// Seeded random clusters of the small-scale study.
public enum SmallScaleInstances {
    /// Prompt tokens already in the caches (decode model; the reference model's s is its own 512).
    public static let promptLength = 128

    /// `devices` devices: compute log-normal in [5, 50] GFLOP/s, memory bandwidth log-normal in [5, 50] GB/s, memory
    /// log-normal sized to the model so that it binds (median 1.5× an even share, every device holding the largest
    /// block, no device more than twice the model); a full mesh of 1–10 Gbit/s links (0.2 ms latency in the decode
    /// model; the reference model has none). The controller (device 0) also gets the embedding / LM head share.
    public static func cluster(model: any CostModel, devices n: Int, seed: UInt64) -> Cluster {
        let position = TokenPosition(promptLength: promptLength, generated: 500)
        let demands = model.demands(at: position).map(\.memory.value)
        let total = demands.reduce(0, +)
        let largest = demands.max() ?? 0
        let share = max(total / Double(n), 1.1 * largest)
        let gb = Bytes.perGigabyte
        let generator = ClusterGenerator(
            deviceCount: n,
            devices: .logNormal(LogNormalDevices(
                memoryGB: BoundedLogNormal(median: 1.5 * share / gb, sigma: 0.6, lower: share / gb, upper: 2 * max(total, share) / gb))),
            network: NetworkSpec(
                bandwidthGbps: UniformRange(1, 10), latencyMs: .constant(model is ReferenceCostModel ? 0 : 0.2)))
        // The generator's bounds are validated; these are positive and ordered by construction.
        var cluster = try! generator.make(seed: seed)
        var devices = cluster.devices
        devices[cluster.controller].memory = devices[cluster.controller].memory + model.controllerMemory(at: position)
        cluster = try! Cluster(devices: devices, links: cluster.links, controller: cluster.controller)
        return cluster
    }

    /// `cluster(model:devices:seed:)`, redrawn (seeds derived from `seed`) until some placement fits at the latest
    /// position: memory is drawn tight, and a bin packing can fail even when the total suffices.
    public static func feasibleCluster(model: any CostModel, devices n: Int, seed: UInt64, latest: Int) -> Cluster {
        var candidate = cluster(model: model, devices: n, seed: seed)
        for attempt in 1...20 {
            let request = PlanningRequest(
                costModel: model, state: candidate.nominalState, position: TokenPosition(promptLength: promptLength, generated: latest))
            if (try? ExactPlanner().plan(request)) != nil { break }
            var g = SeededGenerator(seed: seed).derived("redraw/\(attempt)")
            candidate = cluster(model: model, devices: n, seed: g.next())
        }
        return candidate
    }

    /// The cluster as seen at decision `step`: from the second decision on, one device (seeded) runs at half its
    /// compute and the links of another at half their bandwidth, so that re-planning and migration matter.
    public static func state(cluster: Cluster, seed: UInt64, step: Int) -> ClusterState {
        let nominal = cluster.nominalState
        guard step > 0 else { return nominal }
        var rng = SeededGenerator(seed: seed).derived("step/\(step)")
        var compute = nominal.compute
        let slowed = rng.uniformIndex(below: cluster.count)
        compute[slowed] = compute[slowed] * 0.5
        let cut = cluster.devices[rng.uniformIndex(below: cluster.count)].id
        let links = zip(cluster.links, nominal.linkBandwidth).map { $0.a == cut || $0.b == cut ? $1 * 0.5 : $1 }
        return nominal.with(compute: compute, linkBandwidth: links)
    }
}
