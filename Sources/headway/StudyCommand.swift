import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce the studies: planners against the optimum, layer-based baselines, SplitLLM.",
        subcommands: [StudySmallScale.self, StudyMediumScale.self, StudySplitLLM.self, StudyChurn.self])
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

struct StudyMediumScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medium-scale",
        abstract: "25 devices, 1000 tokens, per-token re-planning, 10 seeds: head-level planners vs EdgeShard and Galaxy.")

    @Option(help: "Output: table, json or html (SVG plots).") var format: StudyFormat = .table
    @Option(help: "Write to this file instead of stdout.") var out: String?
    @Option(help: "Tokens to generate (default 1000).") var tokens: Int?
    @Option(help: "Number of seeds (default 10).") var seeds: Int?
    @Flag(help: "No progress on stderr.") var quiet = false
    @Flag(help: "Score with one message at a time per device network interface (a sensitivity setting of the decode model).")
    var serializedSends = false
    @Option(name: .customLong("planner"), help: ArgumentHelp(
        "A planner row instead of the default list (repeatable): label=name[:key=value,...], e.g. "
            + "g4=galaxy:kv_tokens=3048,max_group=4. The first row is the reference of the ratios."))
    var plannerRows: [String] = []

    /// `label=name[:key=value,...]` or `name[:key=value,...]`.
    static func parseRow(_ text: String) throws -> PlannerSpec {
        var rest = Substring(text)
        var label: String?
        if let eq = rest.firstIndex(of: "="), rest.firstIndex(of: ":").map({ eq < $0 }) ?? true {
            label = String(rest[..<eq])
            rest = rest[rest.index(after: eq)...]
        }
        let parts = rest.split(separator: ":", maxSplits: 1)
        guard let name = parts.first.map(String.init), !name.isEmpty else {
            throw CLIError(description: "--planner '\(text)': expected label=name[:key=value,...]")
        }
        var options: [String: Double] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let v = Double(kv[1]) else {
                    throw CLIError(description: "--planner '\(text)': option '\(pair)' is not key=number")
                }
                options[String(kv[0])] = v
            }
        }
        do throws(PlannerError) { _ = try PlannerRegistry.planner(named: name, options: options) } catch {
            throw CLIError(description: "--planner '\(text)': \(error.message)")
        }
        return PlannerSpec(name: name, label: label, options: options)
    }

    func run() throws {
        try runReportingErrors {
            var c = MediumScaleStudy.Configuration.default
            if let tokens {
                guard (1...SimulationSettings.maxTokens).contains(tokens) else {
                    throw CLIError(description: "--tokens must be in 1...\(SimulationSettings.maxTokens), got \(tokens)")
                }
                c.tokens = tokens
            }
            if let seeds {
                guard (1...SimulationSettings.maxSeeds).contains(seeds) else {
                    throw CLIError(description: "--seeds must be in 1...\(SimulationSettings.maxSeeds), got \(seeds)")
                }
                c.seeds = (1...seeds).map { UInt64($0) }
            }
            c.planners = MediumScaleStudy.defaultPlanners(finalContext: c.promptLength + c.tokens)
            c.serializedSends = serializedSends
            if !plannerRows.isEmpty {
                c.planners = try plannerRows.map(Self.parseRow)
                let labels = c.planners.map(\.label)
                guard Set(labels).count == labels.count else {
                    throw CLIError(description: "--planner: labels must be distinct, got \(labels.joined(separator: ", "))")
                }
            }
            var lastDecile = 0
            let result = try MediumScaleStudy.run(c, progress: quiet ? nil : { done, total in
                let decile = total > 0 ? done * 10 / total : 10
                guard decile > lastDecile else { return }
                lastDecile = decile
                CLI.writeStderr("medium-scale: \(decile * 10)%\n")
            })
            switch format {
            case .table: try emit(result.renderTable(), out: out)
            case .json: try emit(try result.json() + "\n", out: out)
            case .html: try emit(result.renderHTML(), out: out)
            }
        }
    }
}

struct StudySmallScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "small-scale",
        abstract: "3, 4 and 5 devices, 50 seeded instances each: every planner's latency ratio to the exact optimum.")

    @Option(help: "Output: table, json or html.") var format: StudyFormat = .table
    @Option(help: "Write to this file instead of stdout.") var out: String?
    @Option(help: "Cost model: decode or reference.") var costModel: CostModelKind = .decode
    @Option(help: "Instances per device count (default 50).") var instances: Int = 50
    @Option(help: "Seed of the instances.") var seed: UInt64 = 2025
    @Option(help: "Comma-separated planners (default: the study's list; variants: resource-aware-2T, resource-aware-4T, resource-aware-forced).")
    var planners: String?

    func run() throws {
        try runReportingErrors {
            guard (1...SimulationSettings.maxSeeds).contains(instances) else {
                throw CLIError(description: "--instances must be in 1...\(SimulationSettings.maxSeeds), got \(instances)")
            }
            var config = SmallScaleStudy.Configuration(instancesPerSize: instances, costModel: costModel, seed: seed)
            if let planners {
                let names = planners.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                for name in names {
                    do throws(PlannerError) { _ = try SmallScaleStudy.planner(named: name) } catch {
                        throw CLIError(description: "--planners: \(error.message)")
                    }
                }
                config.planners = names
            }
            let result = try SmallScaleStudy.run(config)
            switch format {
            case .table: try emit(result.table(), out: out)
            case .json: try emit(try CLI.encode(result), out: out)
            case .html: try emit(result.html(), out: out)
            }
        }
    }
}
