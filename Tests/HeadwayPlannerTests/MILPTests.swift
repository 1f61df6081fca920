import HeadwayCore
import HeadwayPlanner
import Testing

/// The exact planner against an independent MILP formulation solved by GLPK, on instances too large for brute force.
@Suite struct MILPTests {
    static func check(_ instance: ExactTestInstance) throws {
        let r = instance.request
        let milp = MILPFormulation.solve(r)
        guard let exact = try? ExactPlanner().plan(r) else {
            #expect(milp == nil, "\(instance): exact infeasible, GLPK found \(milp!.objective)")
            return
        }
        let m = try #require(milp, "\(instance): GLPK infeasible, exact found \(exact.objective.value)")
        // The MILP's own objective is what the cost model says of its placement ...
        let check = r.costModel.objective(m.placement, previous: r.previous, on: r.state, at: r.position).value
        #expect(ExactTestInstances.close(m.objective, check, 1e-6), "\(instance): MILP objective \(m.objective), evaluates to \(check)")
        #expect(r.costModel.evaluate(m.placement, on: r.state, at: r.position).isFeasible)
        // ... and equals the exact planner's optimum.
        #expect(ExactTestInstances.close(exact.objective.value, m.objective, 1e-6),
            "\(instance): exact \(exact.objective.value) GLPK \(m.objective)")
    }

    @Test(arguments: 0..<12) func referenceModel(_ seed: Int) throws {
        try Self.check(ExactTestInstances.reference(
            seed: UInt64(seed + 7000), devices: 3 + seed % 3, heads: 4 + 2 * (seed % 3), withPrevious: seed % 2 == 1))
    }

    @Test(arguments: 0..<12) func decodeModel(_ seed: Int) throws {
        try Self.check(ExactTestInstances.decode(
            seed: UInt64(seed + 8000), devices: 3 + seed % 3, layers: 1, groups: 3 + seed % 4, withPrevious: seed % 2 == 1,
            offline: seed % 5 == 4))
    }

    @Test func goldenCasesAgree() throws {
        for name in ["g1-3-devices", "g2-4-devices"] {
            let c = try ExactFixtures.referenceCase(name)
            let r = PlanningRequest(costModel: c.model, state: c.cluster.nominalState, position: TokenPosition(promptLength: 512, generated: 0))
            let m = try #require(MILPFormulation.solve(r))
            let exact = try ExactPlanner().plan(r)
            #expect(ExactTestInstances.close(m.objective, exact.objective.value, 1e-6), "\(name): GLPK \(m.objective)")
        }
    }
}
