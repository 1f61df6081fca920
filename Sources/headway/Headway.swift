import ArgumentParser

@main
struct Headway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headway",
        abstract: "Plan, simulate and run LLM inference split at attention-head granularity across edge devices.",
        subcommands: [Simulate.self, PlanCommand.self, Evaluate.self, Study.self, Generate.self, Serve.self, Worker.self, ClusterCommand.self, Bench.self])
}
