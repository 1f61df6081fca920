public import HeadwayCore

/// A deterministic re-planning workload for `headway bench planner`: a heterogeneous full-mesh cluster and a
/// SmolLM2-135M-shaped model under `DecodeCostModel`, K/V caches at `TokenPosition(promptLength: 128, generated: 500)`.
public enum PlannerBenchmark {
    /// A cluster of `devices` devices, parameters spread by fixed formulas (no randomness): memory 2–8 GB,
    /// compute 5–50 GFLOP/s, memory bandwidth 5–50 GB/s, full-mesh links 1–10 Gbit/s with 1 ms latency;
    /// device 0 is the controller.
    public static func cluster(devices: Int) throws -> Cluster {
        precondition(devices >= 1, "the benchmark needs at least one device")
        func spread(_ k: Int, _ salt: Double) -> Double {
            let x = (Double(k) * 0.6180339887498949 + salt)
            return x - x.rounded(.down)  // in [0, 1)
        }
        let list = (0..<devices).map { k in
            Device(
                id: "dev\(k)", memory: Bytes(gigabytes: 2 + 6 * spread(k, 0.11)),
                compute: FLOPsPerSecond(gigaflops: 5 + 45 * spread(k, 0.37)),
                memoryBandwidth: BytesPerSecond(5e9 + 45e9 * spread(k, 0.73)))
        }
        var links: [Link] = []
        for i in 0..<devices {
            for j in (i + 1)..<max(devices, i + 1) {
                links.append(Link(
                    a: list[i].id, b: list[j].id,
                    bandwidth: BytesPerSecond(gigabitsPerSecond: 1 + 9 * spread(i * 31 + j * 17, 0.29)),
                    latency: Seconds(milliseconds: 1)))
            }
        }
        return try Cluster(devices: list, links: links)
    }

    /// The state at re-plan `r`: compute reduced by a background load of 0–30 % and links at 70–100 % of nominal,
    /// varied by fixed formulas so that consecutive re-plans see different resources.
    public static func state(of cluster: Cluster, replan r: Int) -> ClusterState {
        func wave(_ k: Int) -> Double {
            let x = Double(k) * 0.7548776662466927
            return x - x.rounded(.down)
        }
        return ClusterState(
            cluster: cluster,
            compute: cluster.devices.indices.map { cluster.devices[$0].compute * (1 - 0.3 * wave($0 * 7 + r * 3)) },
            linkBandwidth: cluster.links.indices.map { cluster.links[$0].bandwidth * (1 - 0.3 * wave($0 * 5 + r * 11)) })
    }

    /// Median wall-clock milliseconds of one `ResourceAwarePlanner` re-plan (each with the previous plan's placement
    /// and a fresh state) for `devices` devices and a SmolLM2-135M shape with `layers` decoder layers.
    public static func replanMilliseconds(
        devices: Int = 25, layers: Int = 30, repetitions: Int = 101,
        planner: any Planner = ResourceAwarePlanner()
    ) throws -> Double {
        precondition(repetitions >= 1 && layers >= 1, "repetitions and layers must be positive")
        var shape = ModelShape.smolLM2_135M
        shape.layerCount = layers
        let model = DecodeCostModel(shape: shape)
        let cluster = try cluster(devices: devices)
        let position = TokenPosition(promptLength: 128, generated: 500)
        var previous = try planner.plan(PlanningRequest(
            costModel: model, state: state(of: cluster, replan: 0), position: position)).placement
        let clock = ContinuousClock()
        var times: [Double] = []
        times.reserveCapacity(repetitions)
        for r in 1...repetitions {
            let request = PlanningRequest(
                costModel: model, state: state(of: cluster, replan: r), position: position, previous: previous)
            let t0 = clock.now
            let plan = try planner.plan(request)
            let elapsed = clock.now - t0
            previous = plan.placement
            times.append(elapsed.inSeconds * 1e3)
        }
        times.sort()
        return times[times.count / 2]
    }
}
