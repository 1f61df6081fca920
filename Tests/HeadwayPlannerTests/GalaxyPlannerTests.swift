import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct GalaxyPlannerTests {
    /// Three devices with memory bandwidth 1, 2, 4 GB/s (decode is bandwidth-bound), fast uniform links.
    static func ladder(memoryGB: [Double] = [8, 8, 8], latencyMs: Double = 0.1) throws -> Cluster {
        let devices = [1.0, 2, 4].enumerated().map { k, bw in
            Device(id: "d\(k)", memory: Bytes(gigabytes: memoryGB[k]), compute: FLOPsPerSecond(gigaflops: 1000),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: bw))
        }
        return try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: 100), latency: Seconds(milliseconds: latencyMs))
    }

    static let shape = LayeredFixtures.shape(layers: 3, heads: 8, kvHeads: 8, dim: 2048)

    /// Attention groups per layer follow the min–max split: no other count vector over the group has a smaller
    /// largest per-device attention time.
    @Test func attentionSplitIsMinMaxOverTheGroup() throws {
        let cluster = try Self.ladder()
        let cm = DecodeCostModel(shape: Self.shape)
        let request = PlanningRequest(costModel: cm, state: cluster.nominalState, position: TokenPosition(promptLength: 64, generated: 0))
        let plan = try GalaxyPlanner().plan(request)
        #expect(plan.evaluation.isFeasible)
        let group = Array(Set(plan.placement.devices)).sorted()
        let t = (0..<3).map { cm.executionTime(of: cm.demand(of: 0, at: request.position), on: $0, in: request.state).value }
        for l in 0..<cm.layout.layerCount {
            var count = [0, 0, 0]
            for g in 0..<cm.layout.groupsPerLayer { count[plan.placement[cm.layout.attentionIndex(layer: l, group: g)]] += 1 }
            let achieved = group.map { Double(count[$0]) * t[$0] }.max()!
            var best = Double.infinity
            let G = cm.layout.groupsPerLayer
            for a in 0...G { for b in 0...(G - a) {
                let c = [a, b, G - a - b]
                guard (0..<3).allSatisfy({ c[$0] == 0 || group.contains($0) }) else { continue }
                best = min(best, (0..<3).map { Double(c[$0]) * t[$0] }.max()!)
            } }
            #expect(LayeredFixtures.close(achieved, best), "layer \(l): \(count) gives \(achieved), best \(best)")
            #expect(count[2] >= count[1] && count[1] >= count[0], "faster devices get at least as many heads: \(count)")
        }
        #expect(plan.notes["group_size"]! >= 2)
    }

    /// Galaxy's MLP tensor parallelism: every layer's FFN columns are dealt over the group, min–max by time per
    /// column group, and the plan is scored by the plain decode cost model (no planner-specific cost).
    @Test func feedForwardIsSplitByColumnsOverTheGroup() throws {
        let cluster = try Self.ladder(latencyMs: 0.2)
        let cm = DecodeCostModel(shape: Self.shape)
        let request = PlanningRequest(costModel: cm, state: cluster.nominalState, position: TokenPosition(promptLength: 64, generated: 0))
        let plan = try GalaxyPlanner().plan(request)
        #expect(plan.notes["ffn_split"] == 1)
        let split = try #require(plan.placement.feedForwardSplit)
        #expect(split.count == cm.layout.layerCount)
        let units = Double((Self.shape.ffnDim + 63) / 64)
        let ffn = cm.demand(of: cm.layout.feedForwardIndex(layer: 0), at: request.position)
        let t = (0..<3).map { cm.executionTime(of: ffn, on: $0, in: request.state).value / units }
        for shares in split {
            #expect(LayeredFixtures.close(shares.reduce(0) { $0 + $1.fraction }, 1))
            // Min–max: moving one column group from the slowest-finishing member to any other does not help.
            let finish = shares.map { $0.fraction * units * t[$0.device] }
            let worst = finish.max()!
            for s in shares { #expect(s.fraction * units * t[s.device] + t[s.device] >= worst - 1e-12) }
        }
        // Scored by the request's cost model itself.
        let e = cm.evaluate(plan.placement, on: request.state, at: request.position)
        #expect(e.latency == plan.evaluation.latency)
        // The whole-FFN variant has no split, and here predicts a slower step.
        let whole = try GalaxyPlanner(options: .init(splitFFN: false)).plan(request)
        #expect(whole.placement.feedForwardSplit == nil && whole.notes["ffn_split"] == 0)
        #expect(plan.evaluation.latency <= whole.evaluation.latency)
        // The reference model cannot charge a split: the FFN stays whole there.
        let reference = ReferenceCostModel(shape: ModelShape.reference(name: "r", heads: 8, dim: 512), sequenceLength: 32)
        let state = cluster.nominalState.with(compute: cluster.devices.map { _ in FLOPsPerSecond(1e15) })
        let r = try GalaxyPlanner().plan(PlanningRequest(costModel: reference, state: state, position: TokenPosition(promptLength: 32, generated: 0)))
        #expect(r.placement.feedForwardSplit == nil)
    }

    @Test func optionsAreValidated() throws {
        #expect(try GalaxyPlanner.Options(["split_ffn": 0]).splitFFN == false)
        #expect(try GalaxyPlanner.Options([:]).splitFFN == true)
        #expect(throws: PlannerError.self) { try GalaxyPlanner.Options(["split_ffn": 2]) }
        #expect(throws: PlannerError.self) { try GalaxyPlanner.Options(["column_group": 0]) }
        #expect(throws: PlannerError.self) { try GalaxyPlanner.Options(["all_reduces_per_layer": 1]) }
    }

    @Test func memoryRepairKeepsTheFastDeviceWithinItsMemory() throws {
        let cm = DecodeCostModel(shape: Self.shape)
        let position = TokenPosition(promptLength: 64, generated: 0)
        let attention = cm.demand(of: 0, at: position).memory.value
        // d2, the fastest device, has room for 4 attention blocks and nothing else.
        let fastMemory = Bytes(attention * 4 + 100)
        let cluster = try Self.ladder(memoryGB: [8, 8, fastMemory.value / Bytes.perGigabyte])
        let request = PlanningRequest(costModel: cm, state: cluster.nominalState, position: position)
        let plan = try GalaxyPlanner().plan(request)
        #expect(plan.evaluation.isFeasible, "\(plan.evaluation.violations)")
        #expect(plan.placement.devices.filter { $0 == 2 }.count <= 4)
        #expect(plan.placement.devices.contains(2))
    }

    @Test func groupSizeMinimisesPredictedLatency() throws {
        let cluster = try LayeredFixtures.cluster(seed: 9, devices: 4)
        let request = PlanningRequest(costModel: DecodeCostModel(shape: Self.shape), state: cluster.nominalState,
                                      position: TokenPosition(promptLength: 64, generated: 0))
        let best = try GalaxyPlanner().plan(request).evaluation.latency.value
        var each: [Double] = []
        for k in 1...4 {
            each.append(try GalaxyPlanner(options: .init(maxGroup: k)).plan(request).evaluation.latency.value)
        }
        #expect(LayeredFixtures.close(best, each.min()!))
        #expect(zip(each, each.dropFirst()).allSatisfy { $0.1 <= $0.0 * (1 + 1e-12) }, "a larger cap never predicts worse: \(each)")
    }

    @Test func plannedOnceAndOverflowsAsTheCacheGrows() throws {
        let (cm, cluster, _) = try EdgeShardPlannerTests.tightCase()
        let once = try EdgeShardPlannerTests.run(GalaxyPlanner(), cm, cluster, tokens: 12)
        #expect(once.migrations == 0 && Set(once.placements).count == 1)
        #expect(once.feasible.first == true)
        // Galaxy's best group here is the fast device alone (the slow one only slows the layers down), which the
        // growing cache overflows.
        #expect(once.feasible.contains(false))
        let replanning = try EdgeShardPlannerTests.run(GalaxyPlanner(options: .init(replanOnOverflow: true)), cm, cluster, tokens: 12)
        #expect(replanning.feasible.allSatisfy { $0 })
        // Re-planned after the overflow: the placement (devices or FFN column shares) changes.
        #expect(Set(replanning.placements).count > 1)
    }

    @Test func singleLayerSettingWorksUnderBothCostModels() throws {
        let cluster = try Self.ladder()
        let shape = ModelShape.reference(name: "r", heads: 8, dim: 512)
        for cm in [DecodeCostModel(shape: shape) as any CostModel, ReferenceCostModel(shape: shape, sequenceLength: 32)] {
            let state = cm is ReferenceCostModel ? cluster.nominalState.with(compute: cluster.devices.map { _ in FLOPsPerSecond(1e15) }) : cluster.nominalState
            let request = PlanningRequest(costModel: cm, state: state, position: TokenPosition(promptLength: 32, generated: 0))
            for name in ["galaxy", "edgeshard"] {
                let plan = try PlannerRegistry.planner(named: name, options: [:]).plan(request)
                #expect(plan.evaluation.isFeasible, "\(name) \(cm.name)")
                #expect(plan.placement.count == shape.headCount + 2)
            }
        }
    }
}
