import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a scenario token by token for every planner and seed.",
        discussion: """
            SCENARIO is a JSON or YAML file (see docs/scenarios.md), or the neutral reference format of the authors' \
            simulator. Without SCENARIO the embedded default scenario runs.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
        case referenceJSON = "reference-json"
    }

    @Argument(help: "Scenario file (JSON or YAML).") var scenario: String?
    @Option(help: "Output: table, json, csv (per token), reference-json (the neutral result format).")
    var format: Format = .table
    @Option(help: "Also write report.json, tokens.csv and summary.txt into this folder.") var out: String?
    @Option(help: "Override the number of tokens to generate.") var tokens: Int?
    @Option(parsing: .upToNextOption, help: "Override the seeds.") var seeds: [UInt64] = []
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        try runReportingErrors {
            if format == .referenceJSON {
                try runReference()
                return
            }
            var s = try CLI.scenario(path: scenario)
            if let tokens {
                guard (1...SimulationSettings.maxTokens).contains(tokens) else {
                    throw CLIError(description: "--tokens must be in 1...\(SimulationSettings.maxTokens), got \(tokens)")
                }
                s.settings.tokens = tokens
            }
            if !seeds.isEmpty {
                guard seeds.count <= SimulationSettings.maxSeeds else {
                    throw CLIError(description: "--seeds lists \(seeds.count) seeds; at most \(SimulationSettings.maxSeeds) are allowed")
                }
                s.seeds = seeds
            }
            let report = try ScenarioRunner.run(
                s, makePlanner: CLI.planner, keepRuns: format == .csv || out != nil, progress: progressPrinter())
            switch format {
            case .table: CLI.writeStdout(SimulationTable.render(report))
            case .json:
                var summary = report
                summary.runs = nil
                CLI.writeStdout(try CLI.encode(summary))
            case .csv: CLI.writeStdout(SimulationTable.csv(report))
            case .referenceJSON: break
            }
            if let out { try write(report, to: out) }
        }
    }

    private func runReference() throws {
        guard let scenario else { throw CLIError(description: "--format reference-json needs a scenario file") }
        let text: String
        do { text = try String(contentsOfFile: scenario, encoding: .utf8) } catch {
            throw CLIError(description: "\(scenario): cannot read the file (\(error.localizedDescription))")
        }
        let reference = try ReferenceScenario.load(text: text, file: scenario, plannerNames: Set(PlannerRegistry.names))
        var s = reference.scenario
        s.settings.recordPlacements = true
        let report = try ScenarioRunner.run(s, makePlanner: CLI.planner, keepRuns: true, progress: progressPrinter())
        CLI.writeStdout(String(decoding: try reference.resultJSON(report), as: UTF8.self) + "\n")
    }

    private func progressPrinter() -> ((Int, Int) -> Void)? {
        guard !quiet else { return nil }
        let clock = ContinuousClock()
        let start = clock.now
        var lastDecile = 0
        return { done, total in
            let decile = total > 0 ? done * 10 / total : 10
            // Short runs stay silent; long ones report every 10%.
            guard decile > lastDecile, clock.now - start > .seconds(1) else { return }
            lastDecile = decile
            CLI.writeStderr("simulating: \(decile * 10)% (\(done)/\(total) steps)\n")
        }
    }

    private func write(_ report: SimulationReport, to folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var summary = report
            summary.runs = nil
            try CLI.encode(summary).write(toFile: folder + "/report.json", atomically: true, encoding: .utf8)
            try SimulationTable.csv(report).write(toFile: folder + "/tokens.csv", atomically: true, encoding: .utf8)
            try SimulationTable.render(report).write(toFile: folder + "/summary.txt", atomically: true, encoding: .utf8)
            try SimulationHTML.render(report).write(toFile: folder + "/report.html", atomically: true, encoding: .utf8)
        } catch {
            throw CLIError(description: "cannot write into '\(folder)': \(error.localizedDescription)")
        }
        if !quiet { CLI.writeStderr("wrote \(folder)/report.json, tokens.csv, summary.txt, report.html\n") }
    }
}
