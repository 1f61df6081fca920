import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

@Suite struct SimulatorTests {
    static func scenario(tokens: Int = 40, memoryGB: Double = 4, interval: Int = 1, planners: [String]) -> Scenario {
        let generator = ClusterGenerator(
            deviceCount: 5,
            devices: .logNormal(LogNormalDevices(memoryGB: BoundedLogNormal(median: memoryGB, sigma: 0.3, lower: memoryGB / 2, upper: memoryGB * 2))))
        return Scenario(
            name: "test", shape: .smolLM2_135M, costModelKind: .decode,
            cluster: .generated { try generator.make(seed: $0) },
            dynamics: { c, seed, tokens in try ClusterTimeline(cluster: c, fluctuation: .paper, seed: seed, tokens: tokens) },
            settings: SimulationSettings(promptLength: 64, tokens: tokens, replanInterval: interval),
            planners: planners.map { PlannerSpec(name: $0) }, seeds: [1, 2])
    }

    static func make(_ spec: PlannerSpec) throws -> any Planner { try PlannerRegistry.planner(named: spec.name, options: spec.options) }

    @Test func sameSeedSameRun() throws {
        let s = Self.scenario(planners: ["resource-aware", "greedy"])
        let a = try ScenarioRunner.run(s, makePlanner: Self.make, keepRuns: true)
        let b = try ScenarioRunner.run(s, makePlanner: Self.make, keepRuns: true)
        for (x, y) in zip(a.runs!, b.runs!) {
            #expect(x.records.map(\.latency) == y.records.map(\.latency))
            #expect(x.records.map(\.migrations) == y.records.map(\.migrations))
        }
        #expect(a.planners.count == 2 && a.runs!.count == 4)
    }

    @Test func staticPlannerNeverMigratesAndMemoryGrowsWithTheCache() throws {
        let report = try ScenarioRunner.run(Self.scenario(tokens: 60, planners: ["static"]), makePlanner: Self.make, keepRuns: true)
        for run in report.runs! {
            #expect(run.records.allSatisfy { $0.migrations == 0 })
            let first = run.records.first!.memory.reduce(0, +)
            let last = run.records.last!.memory.reduce(0, +)
            #expect(last > first, "K/V caches grow: \(first) -> \(last)")
            #expect(run.prefillLatency != nil && run.prefillLatency! > 0)
        }
    }

    @Test func replanIntervalIsRespected() throws {
        let report = try ScenarioRunner.run(
            Self.scenario(tokens: 30, interval: 10, planners: ["greedy"]), makePlanner: Self.make, keepRuns: true)
        for run in report.runs! {
            // Memory is ample, so no step breaks a constraint: re-plans happen exactly at the interval.
            let replanned = run.records.filter(\.replanned).map(\.token)
            #expect(replanned == [0, 10, 20], "\(replanned)")
            #expect(run.records.allSatisfy(\.feasible))
        }
    }

    @Test func outOfMemoryIsRecordedAsInfeasibleNotACrash() throws {
        // 5 devices with ~10 MB each cannot hold SmolLM2's ~100 MB of blocks plus the controller's embedding table.
        let report = try ScenarioRunner.run(
            Self.scenario(tokens: 5, memoryGB: 0.01, planners: ["greedy", "resource-aware"]), makePlanner: Self.make,
            keepRuns: true)
        for p in report.planners { #expect(p.infeasibleSteps == 10, "\(p.planner): \(p.infeasibleSteps)") }
        for run in report.runs! { #expect(run.records.allSatisfy { !$0.feasible && $0.error != nil && $0.latency == .infinity }) }
    }

    @Test func summaryStatistics() {
        let s = Summary([1, 2, 3, 4, 5, .infinity])
        #expect(s.count == 5 && s.mean == 3 && s.p50 == 3 && s.min == 1 && s.max == 5)
        #expect(abs(s.p95 - 4.8) < 1e-12)
        #expect(abs(s.ci95 - 2.776 * (2.5).squareRoot() / (5.0).squareRoot()) < 1e-9)
        #expect(Summary([Double]()).count == 0)
    }
}
