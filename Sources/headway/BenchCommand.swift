import ArgumentParser

/// Benchmarks. `bench engine` measures the local engine (and llama.cpp when available).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance.",
        subcommands: [BenchEngine.self])
}
