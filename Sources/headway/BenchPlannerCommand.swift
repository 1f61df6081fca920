import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

struct BenchPlanner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planner",
        abstract: "Time the planners and the simulator (release build recommended).",
        discussion: """
            replan_25_devices_30_layers_ms: median of one resource-aware re-plan, 25 devices, SmolLM2-shaped 30 layers. \
            simulate_25_devices_1000_tokens_4_planners_s: one seed, per-token re-planning, decode cost model, paper \
            dynamics, planners resource-aware, greedy, round-robin, static. Ratios compare with the figures measured \
            for the authors' Python simulator (41 ms per resource-aware step at 48 devices; 49 s for 25 devices x \
            1000 tokens x 4 planners), quoted, not re-measured here.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Re-plans to time for the median.") var repetitions: Int = 201
    @Flag(help: "Also time the exact planner (single layer 8/32 heads x 5 devices, SmolLM2 2/4/8 layers x 3 devices) and the headway planner on generated instances.")
    var exact = false
    @Option(help: "Instances per exact-planner case.") var exactInstances: Int = 3
    @Option(help: "Time limit per exact solve, seconds.") var exactTimeLimit: Int = 30

    func run() throws {
        try runReportingErrors {
            guard (1...100_000).contains(repetitions) else {
                throw CLIError(description: "--repetitions must be in 1...100000, got \(repetitions)")
            }
            var results: [(String, Double)] = []
            let replan = try PlannerBenchmark.replanMilliseconds(devices: 25, layers: 30, repetitions: repetitions)
            results.append(("replan_25_devices_30_layers_ms", replan))
            for name in ["headway", "greedy", "round-robin"] {
                let p = try PlannerRegistry.planner(named: name)
                let ms = try PlannerBenchmark.replanMilliseconds(devices: 25, layers: 30, repetitions: repetitions, planner: p)
                results.append(("replan_25_devices_30_layers_\(name.replacingOccurrences(of: "-", with: "_"))_ms", ms))
            }
            let simulate = try Self.simulateSeconds()
            results.append(("simulate_25_devices_1000_tokens_4_planners_s", simulate))
            results.append(("replan_speedup_vs_authors_41ms", 41.0 / replan))
            results.append(("simulate_speedup_vs_authors_49s", 49.0 / simulate))
            if exact {
                guard exactInstances > 0, exactTimeLimit > 0 else {
                    throw CLIError(description: "--exact-instances and --exact-time-limit must be positive")
                }
                let timings = ExactBenchmark.run(instances: exactInstances, timeLimit: .seconds(exactTimeLimit))
                for key in timings.keys.sorted() {
                    results.append((key.replacingOccurrences(of: ".", with: "_"), timings[key]!))
                }
            }
            if json {
                let body = results.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n")
                CLI.writeStdout("{\n\(body)\n}\n")
            } else {
                CLI.writeStdout(HeadwaySimulator.table(
                    header: ["benchmark", "value"], rows: results.map { [$0.0, String(format: "%.4g", $0.1)] }))
            }
        }
    }

    /// Wall-clock seconds of the 25-device, 1000-token, 4-planner simulation.
    static func simulateSeconds() throws -> Double {
        let generator = ClusterGenerator.paper(deviceCount: 25)
        let scenario = Scenario(
            name: "bench", shape: .smolLM2_135M, costModelKind: .decode,
            cluster: .generated { seed in try generator.make(seed: seed) },
            dynamics: { cluster, seed, tokens in
                try ClusterTimeline(cluster: cluster, fluctuation: .paper, seed: seed, tokens: tokens)
            },
            settings: SimulationSettings(promptLength: 128, tokens: 1000, replanInterval: 1),
            planners: ["resource-aware", "greedy", "round-robin", "static"].map { PlannerSpec(name: $0) }, seeds: [1])
        let clock = ContinuousClock()
        let start = clock.now
        let report = try ScenarioRunner.run(scenario, makePlanner: CLI.planner)
        let elapsed = clock.now - start
        precondition(report.planners.count == 4)
        return elapsed.inSeconds
    }
}
