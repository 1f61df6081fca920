public import HeadwayCore

/// Timings of the exact and headway planners on seeded instances, for `headway bench planner`.
/// Keys (all milliseconds, mean over the instances; `*_max_ms` the slowest; `*_optimal` the fraction proven optimal
/// within the limit, `*_infeasible` the fraction proven to have no feasible placement, `*_gap` the largest proven gap):
/// - `exact.reference.1layer.8heads.5dev[.prev]`, `exact.decode.1layer.8groups.5dev[.prev]`: paper-sized single layer
///   (goal < 100 ms), without and with a previous placement (the optimum at an earlier position, perturbed);
/// - `exact.reference.1layer.32heads.5dev[.prev]`: the LARGE preset's 32 heads (goal < 5 s);
/// - `exact.decode.smollm2.{2,4,8}layers.3dev`: SmolLM2-135M truncated to L layers on 3 devices;
/// - `headway.decode.smollm2.30layers.25dev`, `headway.decode.llama3_8b.32layers.25dev`: per-token use at medium scale.
public enum ExactBenchmark {
    /// - Parameters:
    ///   - instances: instances per case.
    ///   - timeLimit: per exact solve; reached limits show in `*_optimal` < 1.
    public static func run(instances: Int = 5, timeLimit: Duration = .seconds(60), seed: UInt64 = 1) -> [String: Double] {
        var out: [String: Double] = [:]
        func measure(_ key: String, planner: any Planner, requests: [PlanningRequest]) {
            var times: [Double] = []
            var optimal = 0.0
            var gap = 0.0
            var infeasible = 0.0
            for r in requests {
                let start = ContinuousClock.now
                var plan: Plan?
                do { plan = try planner.plan(r) } catch {
                    // A proof of infeasibility, not a search stopped by the limit.
                    if error.code == .infeasible && !error.message.contains("within the limit") { infeasible += 1 }
                }
                let elapsed = ContinuousClock.now - start
                times.append(elapsed.inSeconds * 1e3)
                optimal += plan?.notes["optimal"] ?? 0
                gap = max(gap, plan?.notes["gap"] ?? 0)
            }
            out["\(key)_ms"] = times.reduce(0, +) / Double(max(times.count, 1))
            out["\(key)_max_ms"] = times.max() ?? 0
            if planner is ExactPlanner {
                out["\(key)_optimal"] = optimal / Double(max(requests.count, 1))
                out["\(key)_gap"] = gap
                out["\(key)_infeasible"] = infeasible / Double(max(requests.count, 1))
            }
        }
        let exact = ExactPlanner(timeLimit: timeLimit)
        let reference8 = ReferenceCostModel(shape: .referenceSmall, sequenceLength: 512)
        let reference32 = ReferenceCostModel(shape: .referenceLarge, sequenceLength: 512)
        var llama1 = ModelShape.llama3_2_1B
        llama1.layerCount = 1
        let decode8 = DecodeCostModel(shape: llama1)
        for (key, model) in [("exact.reference.1layer.8heads.5dev", reference8 as any CostModel),
                             ("exact.decode.1layer.8groups.5dev", decode8),
                             ("exact.reference.1layer.32heads.5dev", reference32)] {
            let fresh = (0..<instances).map { request(model, devices: 5, seed: seed &+ UInt64($0), generated: 0) }
            measure(key, planner: exact, requests: fresh)
            let later = fresh.enumerated().map { i, r in withPrevious(r, planner: exact, seed: seed &+ UInt64(i)) }
            measure(key + ".prev", planner: exact, requests: later)
        }
        for layers in [2, 4, 8] {
            var shape = ModelShape.smolLM2_135M
            shape.layerCount = layers
            let model = DecodeCostModel(shape: shape)
            let requests = (0..<instances).map { request(model, devices: 3, seed: seed &+ UInt64($0), generated: 0) }
            measure("exact.decode.smollm2.\(layers)layers.3dev", planner: exact, requests: requests)
        }
        let headway = LocalSearchPlanner()
        for (key, shape) in [("headway.decode.smollm2.30layers.25dev", ModelShape.smolLM2_135M),
                             ("headway.decode.llama3_8b.32layers.25dev", ModelShape.llama3_8B)] {
            let model = DecodeCostModel(shape: shape)
            let fresh = (0..<instances).map { request(model, devices: 25, seed: seed &+ UInt64($0), generated: 0, roomy: true) }
            measure(key, planner: headway, requests: fresh)
            let later = fresh.enumerated().map { i, r in withPrevious(r, planner: headway, seed: seed &+ UInt64(i)) }
            measure(key + ".prev", planner: headway, requests: later)
        }
        return out
    }

    /// A paper-style cluster (log-normal compute 5–50 GFLOP/s, links 1–10 Gbit/s) whose memory is sized to the model,
    /// so that it binds on some devices; `roomy`: every device can hold a fair share of the model several times over.
    static func request(_ model: any CostModel, devices n: Int, seed: UInt64, generated: Int, roomy: Bool = false) -> PlanningRequest {
        let position = TokenPosition(promptLength: 128, generated: generated)
        let total = model.demands(at: position).reduce(0) { $0 + $1.memory.value }
        let largest = model.demands(at: position).map(\.memory.value).max() ?? 0
        // Every device holds the largest block; memory binds on most devices (roomy: hardly anywhere).
        let share = max(total / Double(n), 1.1 * largest)
        let generator = ClusterGenerator(
            deviceCount: n,
            devices: .logNormal(LogNormalDevices(memoryGB: BoundedLogNormal(
                median: (roomy ? 4 : 1.5) * share / Bytes.perGigabyte, sigma: 0.6,
                lower: (roomy ? 2 : 1) * share / Bytes.perGigabyte, upper: 4 * total / Bytes.perGigabyte))),
            network: NetworkSpec(bandwidthGbps: UniformRange(1, 10), latencyMs: .constant(model is ReferenceCostModel ? 0 : 0.2)))
        var cluster = try! generator.make(seed: seed)
        // The controller also holds embedding, LM head and logits.
        var devices = cluster.devices
        devices[cluster.controller].memory = devices[cluster.controller].memory + model.controllerMemory(at: position)
        cluster = try! Cluster(devices: devices, links: cluster.links, controller: cluster.controller)
        return PlanningRequest(costModel: model, state: cluster.nominalState, position: position)
    }

    /// The same cluster 100 tokens later, with the planner's placement at the earlier position as the previous one,
    /// one device's compute and another's links halved (so that moving pays off sometimes).
    static func withPrevious(_ r: PlanningRequest, planner: any Planner, seed: UInt64) -> PlanningRequest {
        guard let first = try? planner.plan(r) else { return r }
        var rng = SeededGenerator(seed: seed ^ 0xA5A5)
        var compute = r.state.compute
        let slowed = rng.uniformIndex(below: r.state.count)
        compute[slowed] = compute[slowed] * 0.5
        let cut = r.state.cluster.devices[rng.uniformIndex(below: r.state.count)].id
        let links = zip(r.state.cluster.links, r.state.linkBandwidth).map { $0.a == cut || $0.b == cut ? $1 * 0.5 : $1 }
        var later = r
        later.state = r.state.with(compute: compute, linkBandwidth: links)
        later.position = TokenPosition(promptLength: r.position.promptLength, generated: r.position.generated + 100)
        later.previous = first.placement
        return later
    }
}
