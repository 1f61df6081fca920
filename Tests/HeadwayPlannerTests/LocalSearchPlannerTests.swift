import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct LocalSearchPlannerTests {
    @Test(arguments: ["g1-3-devices", "g2-4-devices"]) func goldenCasesNearTheOptimum(_ name: String) throws {
        let c = try ExactFixtures.referenceCase(name)
        let r = PlanningRequest(costModel: c.model, state: c.cluster.nominalState, position: TokenPosition(promptLength: 512, generated: 0))
        let optimum = try ExactPlanner().plan(r).objective.value
        let plan = try LocalSearchPlanner().plan(r)
        #expect(plan.evaluation.isFeasible)
        #expect(plan.objective.value <= optimum * 1.05, "\(name): headway \(plan.objective.value), optimum \(optimum)")
        // The authors' greedy (everything on the source) is beaten.
        let greedy = (c.expected["greedy"] as! [String: Any])["latency_s"] as! Double
        #expect(plan.objective.value < greedy)
    }

    /// Staying put is one of the starts, so the plan is never worse than the previous placement when that fits.
    @Test(arguments: 0..<20) func neverWorseThanStaying(_ seed: Int) throws {
        let i = seed % 2 == 0
            ? ExactTestInstances.decode(seed: UInt64(seed + 9000), devices: 4, layers: 2, groups: 3, withPrevious: true)
            : ExactTestInstances.reference(seed: UInt64(seed + 9000), devices: 4, heads: 6, withPrevious: true)
        let r = i.request
        let previous = try #require(r.previous)
        guard r.costModel.evaluate(previous, on: r.state, at: r.position).isFeasible else { return }
        let plan = try LocalSearchPlanner().plan(r)
        let stay = r.costModel.objective(previous, previous: previous, on: r.state, at: r.position).value
        #expect(plan.objective.value <= stay * (1 + 1e-9), "\(i): \(plan.objective.value) > stay \(stay)")
    }

    /// The objective the planner reports in its notes is the cost model's.
    @Test(arguments: 0..<10) func notesAgreeWithTheCostModel(_ seed: Int) throws {
        let i = ExactTestInstances.decode(seed: UInt64(seed + 9500), devices: 5, layers: 3, groups: 3, withPrevious: seed % 2 == 0)
        guard let plan = try? LocalSearchPlanner().plan(i.request) else { return }
        #expect(ExactTestInstances.close(plan.notes["objective_s"]!, plan.objective.value, 1e-9))
    }

    /// Medium scale (25 devices, SmolLM2's 30 layers): a feasible plan, better than the construction alone.
    @Test func mediumScale() throws {
        let model = DecodeCostModel(shape: .smolLM2_135M)
        let position = TokenPosition(promptLength: 128, generated: 200)
        let total = model.demands(at: position).reduce(0) { $0 + $1.memory.value }
        let ctl = model.controllerMemory(at: position).value
        var rng = ExactTestRandom(seed: 99)
        var devices: [Device] = []
        for k in 0..<25 {
            let memory = total / 8 + (k == 0 ? ctl : 0)
            devices.append(Device(
                id: "d\(k)", memory: Bytes(memory), compute: FLOPsPerSecond(gigaflops: rng.uniform(5, 50)),
                memoryBandwidth: BytesPerSecond(gigabytesPerSecond: rng.uniform(5, 50))))
        }
        let cluster = try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: 5), latency: Seconds(milliseconds: 0.2))
        let r = PlanningRequest(costModel: model, state: cluster.nominalState, position: position)
        let plan = try LocalSearchPlanner().plan(r)
        #expect(plan.evaluation.isFeasible)
        let constructionOnly = try LocalSearchPlanner(maxRounds: 0).plan(r)
        #expect(plan.objective.value <= constructionOnly.objective.value)
        // Memory forces at least 8 devices into use.
        #expect(Set(plan.placement.devices).count >= 8)
    }

    /// Re-plans of models above the all-pairs size take the warm-start path (previous placement repaired, then
    /// searched): the reported objective is still the cost model's (migration table from the one-layer copy included,
    /// lost caches rebuilt when the previous device went offline), and staying put is never beaten by a worse plan.
    @Test(arguments: 0..<12) func warmStartAgreesWithTheCostModel(_ seed: Int) throws {
        let i = ExactTestInstances.decode(
            seed: UInt64(seed + 9700), devices: 6, layers: 24, groups: 3, withPrevious: true, offline: seed % 3 == 2)
        let r = i.request
        guard let plan = try? LocalSearchPlanner().plan(r) else { return }
        #expect(plan.evaluation.isFeasible)
        #expect(ExactTestInstances.close(plan.notes["objective_s"]!, plan.objective.value, 1e-9), "\(i)")
        let previous = try #require(r.previous)
        if r.costModel.evaluate(previous, on: r.state, at: r.position).isFeasible {
            let stay = r.costModel.objective(previous, previous: previous, on: r.state, at: r.position).value
            #expect(plan.objective.value <= stay * (1 + 1e-9), "\(i): \(plan.objective.value) > stay \(stay)")
        }
    }

    /// Llama-2-7B-shaped model (32 layers, 32 attention groups) on 25 devices: a re-plan after the devices slowed down
    /// is feasible, agrees with the cost model and is no worse than staying.
    @Test func llamaShapedReplan() throws {
        let shape = ModelShape(
            name: "llama-2-7b-shaped", layerCount: 32, modelDim: 4096, headCount: 32, kvHeadCount: 32, headDim: 128,
            ffnDim: 11008, vocabSize: 32000, weightBytes: 0.5625)
        let model = DecodeCostModel(shape: shape, weightsPreloaded: true)
        let position = TokenPosition(promptLength: 512, generated: 10)
        let total = model.demands(at: position).reduce(0) { $0 + $1.memory.value }
        let ctl = model.controllerMemory(at: position).value
        var rng = ExactTestRandom(seed: 7)
        var devices: [Device] = []
        for k in 0..<25 {
            devices.append(Device(
                id: "d\(k)", memory: Bytes(total / 6 + (k == 0 ? ctl : 0)),
                compute: FLOPsPerSecond(gigaflops: rng.uniform(20, 200)),
                memoryBandwidth: BytesPerSecond(gigabytesPerSecond: rng.uniform(10, 100))))
        }
        let cluster = try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: 5), latency: Seconds(milliseconds: 0.5))
        let first = try LocalSearchPlanner().plan(PlanningRequest(costModel: model, state: cluster.nominalState, position: position))
        #expect(first.evaluation.isFeasible)
        // Half of the devices in use slow down fourfold.
        let used = Set(first.placement.devices).sorted()
        var bandwidth = cluster.nominalState.memoryBandwidth
        for d in used.prefix(used.count / 2 + 1) { bandwidth[d] = BytesPerSecond(bandwidth[d].value / 4) }
        let state = cluster.nominalState.with(memoryBandwidth: bandwidth)
        let r = PlanningRequest(costModel: model, state: state, position: position, previous: first.placement)
        let plan = try LocalSearchPlanner().plan(r)
        #expect(plan.evaluation.isFeasible)
        #expect(ExactTestInstances.close(plan.notes["objective_s"]!, plan.objective.value, 1e-9))
        let stay = model.objective(first.placement, previous: first.placement, on: state, at: position).value
        #expect(plan.objective.value <= stay * (1 + 1e-9))
    }
}
