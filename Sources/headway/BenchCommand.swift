import ArgumentParser

/// Benchmarks: `bench planner` times planners and the simulator; `bench engine` the local engine (and llama.cpp
/// when available).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance.",
        subcommands: [BenchPlanner.self, BenchEngine.self, BenchLlamaCpp.self, BenchCluster.self])
}
