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

    @Test func theSimulatorChargesTheCollectives() throws {
        let cluster = try Self.ladder(latencyMs: 0.2)
        let base = DecodeCostModel(shape: Self.shape)
        let request = PlanningRequest(costModel: base, state: cluster.nominalState, position: TokenPosition(promptLength: 64, generated: 0))
        let plan = try GalaxyPlanner().plan(request)
        let baseLatency = base.evaluate(plan.placement, on: request.state, at: request.position).latency.value
        let collective = plan.notes["collective_s"]!
        #expect(collective > 0)
        #expect(LayeredFixtures.close(plan.evaluation.latency.value, baseLatency + collective))
        // By hand: every layer's group of k members, a ring AllReduce = 2(k−1) hops of latency + (hidden/k)/bandwidth.
        let bandwidth = BytesPerSecond(gigabitsPerSecond: 100).value
        var expected = 0.0
        for l in 0..<base.layout.layerCount {
            let k = Double(Set(base.layout.indices(ofLayer: l).map { plan.placement[$0] }).count)
            if k > 1 { expected += 2 * (k - 1) * (0.0002 + base.hiddenBytes / k / bandwidth) }
        }
        #expect(LayeredFixtures.close(collective, expected), "\(collective) vs \(expected)")
        // Nothing to synchronise when one device holds everything.
        let single = GalaxyCostModel(base: base)
        let allOne = Placement(blockCount: base.layout.count, allOn: 2)
        #expect(single.collectiveTime(allOne, on: request.state, at: request.position) == 0)
        // The FFN-split what-if never makes a step slower.
        let split = GalaxyCostModel(base: base, splitFFN: true)
        #expect(split.evaluate(plan.placement, on: request.state, at: request.position).latency <= plan.evaluation.latency)
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
        #expect(replanning.feasible.allSatisfy { $0 } && replanning.migrations > 0)
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
