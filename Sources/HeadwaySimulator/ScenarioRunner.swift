public import HeadwayCore
public import HeadwayPlanner

/// Runs every planner of a scenario over every seed, on the same cluster schedule per seed.
public enum ScenarioRunner {
    /// - Parameters:
    ///   - makePlanner: builds a planner from its spec (normally `PlannerRegistry`).
    ///   - keepRuns: keep every step of every run in the report (large).
    ///   - progress: called with (steps done, steps in all).
    public static func run(
        _ scenario: Scenario, makePlanner: (PlannerSpec) throws -> any Planner, keepRuns: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> SimulationReport {
        try scenario.settings.validate(source: scenario.name)
        guard (1...SimulationSettings.maxSeeds).contains(scenario.seeds.count) else {
            throw CoreError(.invalidValue,
                "\(scenario.name): \(scenario.seeds.count) seeds; 1...\(SimulationSettings.maxSeeds) are allowed")
        }
        var costModel = try scenario.makeCostModel()
        let planners = try scenario.planners.map { ($0, try makePlanner($0)) }
        var runs: [String: [PlannerRun]] = [:]
        let total = scenario.seeds.count * planners.count * scenario.settings.tokens
        var done = 0
        var devices: [String] = []
        for seed in scenario.seeds {
            let schedule = try scenario.makeSchedule(seed: seed)
            devices = schedule.cluster.devices.map(\.id)
            costModel = try scenario.makeCostModel(cluster: schedule.cluster)
            for (spec, planner) in planners {
                let base = done
                var run = Simulator.run(
                    planner: planner, costModel: costModel, schedule: schedule, settings: scenario.settings, seed: seed,
                    progress: progress.map { p in { p(base + $0, total) } })
                run.planner = spec.label
                runs[spec.label, default: []].append(run)
                done += scenario.settings.tokens
            }
        }
        return SimulationReport(
            scenario: scenario.name, model: scenario.shape.name, costModel: costModel.name, devices: devices,
            promptLength: scenario.settings.promptLength, tokens: scenario.settings.tokens,
            replanInterval: scenario.settings.replanInterval, seeds: scenario.seeds,
            planners: scenario.planners.map { PlannerReport(planner: $0.label, runs: runs[$0.label] ?? []) },
            runs: keepRuns ? scenario.planners.flatMap { runs[$0.label] ?? [] } : nil)
    }
}
