import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce the studies: planners against the optimum, layer-based baselines, SplitLLM.",
        subcommands: [StudySplitLLM.self])
}

enum StudyFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, html
}

/// Writes a study's rendering to stdout or to `--out`.
func emit(_ text: String, out: String?) throws {
    guard let out else { return CLI.writeStdout(text) }
    do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
        throw CLIError(description: "cannot write '\(out)': \(error.localizedDescription)")
    }
    CLI.writeStderr("wrote \(out)\n")
}

struct StudySplitLLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "splitllm",
        abstract: "SplitLLM: server/client splits under an SLA; server workload, SLA violations and throughput per planner.")

    @Option(help: "Output: table, json or html.") var format: StudyFormat = .table
    @Option(help: "Write to this file instead of stdout.") var out: String?

    func run() throws {
        try runReportingErrors {
            let result = try SplitLLMStudy.run(.default)
            switch format {
            case .table: try emit(result.renderTable(), out: out)
            case .json: try emit(try result.json() + "\n", out: out)
            case .html: try emit(result.renderHTML(), out: out)
            }
        }
    }
}
