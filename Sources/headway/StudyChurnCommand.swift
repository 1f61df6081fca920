import ArgumentParser
import HeadwaySimulator

struct StudyChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Devices leaving and rejoining, links slowing 10x, background load: total time, latency percentiles, bytes moved and restarts per planner.")

    @Option(help: "Output: table, json or html (SVG plots).") var format: StudyFormat = .table
    @Option(help: "Write to this file instead of stdout.") var out: String?
    @Option(help: "Tokens to generate (default 400).") var tokens: Int?
    @Option(help: "Number of seeds (default 10).") var seeds: Int?
    @Option(name: .customLong("planner"), help: ArgumentHelp(
        "A planner row instead of the default list (repeatable): label=name[:key=value,...], e.g. "
            + "h2=headway:margin=0.05."))
    var plannerRows: [String] = []

    func run() throws {
        try runReportingErrors {
            var c = ChurnStudy.Configuration.default
            if let tokens {
                guard tokens > 0, tokens <= 100_000 else { throw CLIError(description: "--tokens must be in 1...100000, got \(tokens)") }
                c.tokens = tokens
            }
            if let seeds {
                guard seeds > 0, seeds <= 10_000 else { throw CLIError(description: "--seeds must be in 1...10000, got \(seeds)") }
                c.seeds = (1...seeds).map { UInt64($0) }
            }
            if !plannerRows.isEmpty {
                c.planners = try plannerRows.map(StudyMediumScale.parseRow)
                let labels = c.planners.map(\.label)
                guard Set(labels).count == labels.count else {
                    throw CLIError(description: "--planner: labels must be distinct, got \(labels.joined(separator: ", "))")
                }
            }
            let result = try ChurnStudy.run(c)
            switch format {
            case .table: try emit(result.renderTable(), out: out)
            case .json: try emit(try result.json() + "\n", out: out)
            case .html: try emit(result.renderHTML(), out: out)
            }
        }
    }
}
