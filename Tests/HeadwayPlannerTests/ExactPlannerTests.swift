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

    /// The large case: 32 heads × 5 devices under the reference model with a previous placement (a random
    /// one: five classes of heads; or the optimum before one device's links halved: few blocks want to move). The
    /// search must finish with a proof, not stop at its limit; the limit only turns a regression into a failure.
    @Test(arguments: 0..<4) func thirtyTwoHeadsWithPreviousAreProvenOptimal(_ seed: Int) throws {
        let i = ExactTestInstances.reference(seed: UInt64(9100 + seed), devices: 5, heads: 32, withPrevious: seed % 2 == 0)
        var r = i.request
        if seed % 2 == 1 {
            r.previous = try ExactPlanner().plan(r).placement
            let cut = r.state.cluster.devices[seed % 5].id
            r.state = r.state.with(linkBandwidth: zip(r.state.cluster.links, r.state.linkBandwidth).map {
                $0.a == cut || $0.b == cut ? $1 * 0.5 : $1
            })
        }
        let plan = try ExactPlanner(timeLimit: .seconds(300)).plan(r)
        #expect(plan.notes["optimal"] == 1, "\(i): \(plan.notes)")
        #expect(plan.notes["gap"] == 0)
        #expect(ExactTestInstances.close(plan.notes["lower_bound_s"]!, plan.objective.value))
        #expect(plan.objective.value <= plan.notes["incumbent_s"]! * (1 + 1e-12))
        #expect(r.costModel.evaluate(plan.placement, on: r.state, at: r.position).isFeasible)
        let check = r.costModel.objective(plan.placement, previous: r.previous, on: r.state, at: r.position).value
        #expect(ExactTestInstances.close(plan.objective.value, check), "\(i): \(plan.objective.value) vs \(check)")
        // Staying put, where it fits, is never better than the optimum.
        let previous = try #require(r.previous)
        if r.costModel.evaluate(previous, on: r.state, at: r.position).isFeasible {
            let stay = r.costModel.objective(previous, previous: previous, on: r.state, at: r.position).value
            #expect(plan.objective.value <= stay * (1 + 1e-12))
        }
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
