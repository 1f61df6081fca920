import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct BaselinePlannerTests {
    @Test(arguments: ["g1-3-devices", "g2-4-devices"], [("greedy", "greedy"), ("round_robin", "round-robin")])
    func reproducesReferenceAssignmentAndLatency(_ name: String, _ algorithm: (fixture: String, planner: String)) throws {
        let c = try PlannerFixtures.referenceCase(name)
        let planner = try PlannerRegistry.planner(named: algorithm.planner, options: [:])
        let plan = try planner.plan(c.request())
        let expected = c.placement(of: algorithm.fixture)
        #expect(plan.placement == expected, "\(name) \(algorithm.planner): \(plan.placement.devices) vs \(expected.devices)")
        let latency = c.entry(algorithm.fixture)["latency_s"] as! Double
        #expect(PlannerFixtures.close(plan.evaluation.latency.value, latency), "\(plan.evaluation.latency.value) vs \(latency)")
        #expect(plan.evaluation.isFeasible)
        #expect(plan.migrated.isEmpty && plan.migrationDelay == .zero)
    }

    @Test func staticIsGreedyFirstThenKeepsItsPlacement() throws {
        let c = try PlannerFixtures.referenceCase("g2-4-devices")
        let first = try StaticPlanner().plan(c.request())
        #expect(first.placement == c.placement(of: "greedy"))
        // Later, with device 0 nearly gone, static keeps its placement (and the evaluation shows the violation),
        // while greedy moves away.
        let starved = c.cluster.nominalState.with(memory: [Bytes(1)] + c.cluster.devices.dropFirst().map(\.memory))
        let later = PlanningRequest(
            costModel: c.model, state: starved, position: TokenPosition(promptLength: 512, generated: 3),
            previous: first.placement)
        let kept = try StaticPlanner().plan(later)
        #expect(kept.placement == first.placement)
        #expect(kept.migrated.isEmpty)
        #expect(!kept.evaluation.isFeasible)
        let moved = try GreedyPlanner().plan(later)
        #expect(!moved.placement.devices.contains(0))
        #expect(moved.evaluation.isFeasible)
    }

    @Test func roundRobinCursorAdvancesOnFailedAttempts() throws {
        // Three devices; device 1 is too small for anything. Blocks: 2 heads, projection, ffn.
        let shape = ModelShape.reference(name: "tiny", heads: 2, dim: 64)
        let model = ReferenceCostModel(shape: shape, sequenceLength: 16)
        let cluster = try Cluster.fullMesh(
            devices: [
                Device(id: "a", memory: Bytes(gigabytes: 1), compute: FLOPsPerSecond(1e10), memoryBandwidth: BytesPerSecond(1e10)),
                Device(id: "b", memory: Bytes(1), compute: FLOPsPerSecond(1e10), memoryBandwidth: BytesPerSecond(1e10)),
                Device(id: "c", memory: Bytes(gigabytes: 1), compute: FLOPsPerSecond(1e10), memoryBandwidth: BytesPerSecond(1e10)),
            ], bandwidth: BytesPerSecond(1e9))
        let plan = try RoundRobinPlanner().plan(
            PlanningRequest(costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 16, generated: 0)))
        // head_0: a (cursor→1); head_1: b fails (→2), c (→0); projection: a (→1); ffn: b fails (→2), c.
        #expect(plan.placement.devices == [0, 2, 0, 2])
    }

    @Test(arguments: ["greedy", "round-robin", "static"])
    func noFitThrowsInfeasibleNamingBlockAndLargestFreeMemory(_ name: String) throws {
        let c = try PlannerFixtures.referenceCase("g1-3-devices")
        let tiny = c.cluster.nominalState.with(memory: [Bytes(megabytes: 0.5), Bytes(megabytes: 0.25), Bytes(megabytes: 0.1)])
        let planner = try PlannerRegistry.planner(named: name, options: [:])
        do {
            _ = try planner.plan(c.request().with(state: tiny))
            Issue.record("\(name) placed a model that fits nowhere")
        } catch {
            #expect(error.code == .infeasible)
            #expect(error.message.contains("head_0"), "\(error.message)")
            #expect(error.message.contains("device_0") && error.message.contains("512.000 KiB"), "\(error.message)")
        }
    }

    @Test func previousOfAnotherModelIsRejected() throws {
        let c = try PlannerFixtures.referenceCase("g1-3-devices")
        for name in PlannerRegistry.names {
            let planner = try PlannerRegistry.planner(named: name, options: [:])
            #expect(throws: PlannerError.self) { try planner.plan(c.request(previous: Placement(blockCount: 3, allOn: 0))) }
        }
    }
}

extension PlanningRequest {
    func with(state: ClusterState) -> PlanningRequest {
        PlanningRequest(costModel: costModel, state: state, position: position, previous: previous)
    }
}
