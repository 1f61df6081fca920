import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct ExactPlannerTests {
    @Test(arguments: [("g1-3-devices", 0.035826560641827314), ("g2-4-devices", 0.01613867829665073)])
    func goldenOptimum(_ name: String, _ expected: Double) throws {
        let c = try ExactFixtures.referenceCase(name)
        let quoted = (c.expected["exact_optimal"] as! [String: Any])["latency_s"] as! Double
        #expect(ExactTestInstances.close(quoted, expected))
        let r = PlanningRequest(
            costModel: c.model, state: c.cluster.nominalState, position: TokenPosition(promptLength: 512, generated: 0))
        let plan = try ExactPlanner().plan(r)
        #expect(ExactTestInstances.close(plan.objective.value, expected), "\(name): \(plan.objective.value)")
        #expect(plan.notes["optimal"] == 1)
        #expect(plan.notes["gap"] == 0)
        #expect(ExactTestInstances.close(plan.notes["lower_bound_s"]!, expected))
        // Re-planning from the optimum keeps it (no migration, same latency).
        var again = r
        again.previous = plan.placement
        let second = try ExactPlanner().plan(again)
        #expect(second.migrated.isEmpty)
        #expect(ExactTestInstances.close(second.objective.value, expected))
    }

    @Test func limitsReturnAProvenGap() throws {
        let i = ExactTestInstances.decode(seed: 7, devices: 4, layers: 3, groups: 3, withPrevious: true)
        let full = try ExactPlanner().plan(i.request)
        #expect(full.notes["optimal"] == 1)
        let limited = try ExactPlanner(nodeLimit: 20).plan(i.request)
        #expect(limited.notes["optimal"] == 0)
        let bound = try #require(limited.notes["lower_bound_s"])
        let gap = try #require(limited.notes["gap"])
        #expect(bound <= full.objective.value * (1 + 1e-12), "bound \(bound) above the optimum \(full.objective.value)")
        #expect(limited.objective.value >= full.objective.value * (1 - 1e-12))
        #expect(ExactTestInstances.close(gap, (limited.objective.value - bound) / limited.objective.value, 1e-6))
        #expect(limited.notes["nodes"]! <= 20)
        let timed = try ExactPlanner(timeLimit: .seconds(30)).plan(i.request)
        #expect(timed.notes["optimal"] == 1)
        #expect(ExactTestInstances.close(timed.objective.value, full.objective.value))
    }

    @Test func infeasibleIsReported() throws {
        var i = ExactTestInstances.decode(seed: 3, devices: 3, layers: 1, groups: 2, withPrevious: false)
        i.request.state = i.request.state.with(memory: i.request.state.memory.map { $0 * 0.01 })
        #expect(throws: PlannerError.self) { try ExactPlanner().plan(i.request) }
        #expect(throws: PlannerError.self) { try LocalSearchPlanner().plan(i.request) }
    }

    @Test func unsupportedCostModelIsRejected() throws {
        struct Other: CostModel {
            let inner = DecodeCostModel(shape: .smolLM2_135M)
            var name: String { "other" }
            var shape: ModelShape { inner.shape }
            var layout: BlockLayout { inner.layout }
            func demand(of index: Int, at position: TokenPosition) -> BlockDemand { inner.demand(of: index, at: position) }
            func controllerMemory(at position: TokenPosition) -> Bytes { inner.controllerMemory(at: position) }
            func executionTime(of demand: BlockDemand, on device: Int, in state: ClusterState) -> Seconds {
                inner.executionTime(of: demand, on: device, in: state)
            }
            func evaluate(_ p: Placement, on s: ClusterState, at t: TokenPosition) -> Evaluation { inner.evaluate(p, on: s, at: t) }
            func migrationDelay(from a: Placement, to b: Placement, on s: ClusterState, at t: TokenPosition) -> Seconds {
                inner.migrationDelay(from: a, to: b, on: s, at: t)
            }
            func migrationBytes(from a: Placement, to b: Placement, on s: ClusterState, at t: TokenPosition) -> Bytes {
                inner.migrationBytes(from: a, to: b, on: s, at: t)
            }
            func prefillLatency(_ p: Placement, on s: ClusterState, promptLength: Int) -> Seconds? { nil }
        }
        let i = ExactTestInstances.decode(seed: 1, devices: 2, layers: 1, groups: 2, withPrevious: false)
        let r = PlanningRequest(costModel: Other(), state: i.request.state, position: i.request.position)
        #expect { try ExactPlanner().plan(r) } throws: { ($0 as? PlannerError)?.code == .unsupported }
    }
}
