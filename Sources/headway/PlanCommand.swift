import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

/// Options shared by `plan` and `evaluate`: which scenario, model and position.
struct PlacementOptions: ParsableArguments {
    @Option(help: "Scenario file (JSON or YAML) giving model, cost model and cluster; default: the embedded scenario.")
    var scenario: String?
    @Option(help: "Model preset instead of the scenario's (\(ModelShape.presetNames.joined(separator: ", "))).")
    var model: String?
    @Option(help: "Cost model: decode or reference (default: the scenario's).") var costModel: CostModelKind?
    @Option(help: "Decode step t (tokens generated before this one).") var token: Int = 0
    @Option(help: "Prompt length (default: the scenario's).") var prompt: Int?
    @Option(help: "Seed for generated clusters and dynamics.") var seed: UInt64?

    /// The scenario with overrides applied, the cost model, and the cluster state at `token`.
    func resolve() throws -> (Scenario, any CostModel, ClusterState, TokenPosition) {
        var s = try CLI.scenario(path: scenario)
        if let model { s.shape = try ModelShape.preset(named: model) }
        if let costModel { s.costModelKind = costModel }
        if let prompt {
            guard (0...SimulationSettings.maxPromptLength).contains(prompt) else {
                throw CLIError(description: "--prompt must be in 0...\(SimulationSettings.maxPromptLength), got \(prompt)")
            }
            s.settings.promptLength = prompt
        }
        // The cluster schedule is built for every token up to this one.
        guard (0..<SimulationSettings.maxTokens).contains(token) else {
            throw CLIError(description: "--token must be in 0..<\(SimulationSettings.maxTokens), got \(token)")
        }
        s.settings.tokens = max(s.settings.tokens, token + 1)
        let schedule = try s.makeSchedule(seed: seed ?? s.seeds.first ?? 1)
        return (s, try s.makeCostModel(cluster: schedule.cluster), schedule.state(at: token), TokenPosition(promptLength: s.settings.promptLength, generated: token))
    }
}

extension CostModelKind: ExpressibleByArgument {}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Place every block of a model on a cluster at one token position.")

    @OptionGroup var options: PlacementOptions
    @Option(help: "Planner: \(PlannerRegistry.names.joined(separator: ", ")).") var planner: String = "resource-aware"
    @Option(help: "Output: table or json.") var format: OutputFormat = .table

    func run() throws {
        try runReportingErrors {
            let (s, cm, state, position) = try options.resolve()
            let p = try PlannerRegistry.planner(named: planner, options: [:])
            let plan = try p.plan(PlanningRequest(costModel: cm, state: state, position: position))
            let report = PlacementReport(scenario: s, costModel: cm, state: state, position: position, placement: plan.placement,
                                         planner: planner, migrationDelay: plan.migrationDelay)
            CLI.writeStdout(format == .json ? try CLI.encode(report) : report.table())
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// A placement with its cost, for `plan` and `evaluate`.
struct PlacementReport: Encodable {
    var model: String
    var costModel: String
    var planner: String?
    var token: Int
    var promptLength: Int
    var latencyS: Double
    var communicationS: Double
    var migrationDelayS: Double
    var feasible: Bool
    var violations: [String]
    var assignment: [String: String]
    var devices: [DeviceRow]

    struct DeviceRow: Encodable {
        var id: String
        var blocks: Int
        var memoryUsedBytes: Double
        var memoryAvailableBytes: Double
        var busyS: Double
        enum CodingKeys: String, CodingKey {
            case id, blocks
            case memoryUsedBytes = "memory_used_bytes"
            case memoryAvailableBytes = "memory_available_bytes"
            case busyS = "busy_s"
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, planner, token, feasible, violations, assignment, devices
        case costModel = "cost_model"
        case promptLength = "prompt_length"
        case latencyS = "latency_s"
        case communicationS = "communication_s"
        case migrationDelayS = "migration_delay_s"
    }

    private var blockOrder: [String] = []

    init(
        scenario: Scenario, costModel: any CostModel, state: ClusterState, position: TokenPosition, placement: Placement,
        planner: String?, migrationDelay: Seconds = .zero
    ) {
        let e = costModel.evaluate(placement, on: state, at: position)
        let layout = costModel.layout
        model = scenario.shape.name
        self.costModel = costModel.name
        self.planner = planner
        token = position.generated
        promptLength = position.promptLength
        latencyS = e.latency.value
        communicationS = e.communication.value
        migrationDelayS = migrationDelay.value
        feasible = e.isFeasible
        violations = e.violations.map { v in
            switch v {
            case .memory(let d, let n, let a): "\(state.cluster.devices[d].id): needs \(n), has \(a)"
            case .computeBudget(let d, let n, let a): "\(state.cluster.devices[d].id): needs \(n) per step, budget \(a)"
            case .unreachable(let d): "\(state.cluster.devices[d].id) is offline or unreachable"
            }
        }
        var map: [String: String] = [:]
        for b in 0..<layout.count { map[layout.name(of: b)] = state.cluster.devices[placement[b]].id }
        assignment = map
        blockOrder = (0..<layout.count).map { layout.name(of: $0) }
        devices = state.cluster.devices.indices.map { j in
            DeviceRow(
                id: state.cluster.devices[j].id, blocks: placement.devices.lazy.filter { $0 == j }.count,
                memoryUsedBytes: e.memoryUsed[j].value, memoryAvailableBytes: state.memory[j].value, busyS: e.busy[j].value)
        }
    }

    func table() -> String {
        var out = "model \(model), cost model \(costModel)\(planner.map { ", planner \($0)" } ?? ""), "
        out += "prompt \(promptLength), token \(token)\n"
        out += "latency per token: \(ms(latencyS)) ms (communication \(ms(communicationS)) ms)"
        out += migrationDelayS > 0 ? ", migration \(ms(migrationDelayS)) ms\n" : "\n"
        out += feasible ? "feasible\n\n" : "INFEASIBLE: \(violations.joined(separator: "; "))\n\n"
        out += HeadwaySimulator.table(
            header: ["device", "blocks", "memory used MB", "available MB", "busy ms"],
            rows: devices.map {
                [$0.id, String($0.blocks), String(format: "%.1f", $0.memoryUsedBytes / 1e6),
                 String(format: "%.1f", $0.memoryAvailableBytes / 1e6), ms($0.busyS)]
            })
        out += "\n"
        // One line per layer: each device with the blocks of the layer it holds (heads as index ranges).
        var lines: [[String]] = []
        var byLayer: [(String, [(String, String)])] = []
        for name in blockOrder {
            let parts = name.split(separator: ".").map(String.init)
            let layer = parts.count > 1 ? parts[0] : "L0"
            if byLayer.last?.0 != layer { byLayer.append((layer, [])) }
            byLayer[byLayer.count - 1].1.append((parts.last!, assignment[name] ?? "?"))
        }
        for (layer, blocks) in byLayer {
            var order: [String] = []
            var held: [String: (heads: [Int], others: [String])] = [:]
            for (block, device) in blocks {
                if held[device] == nil { order.append(device); held[device] = ([], []) }
                if block.hasPrefix("head_"), let i = Int(block.dropFirst(5)) { held[device]!.heads.append(i) }
                else { held[device]!.others.append(block == "projection" ? "proj" : block) }
            }
            let cells = order.map { device -> String in
                let h = held[device]!
                let heads = h.heads.isEmpty ? [] : ["heads " + ranges(h.heads)]
                return "\(device): " + (heads + h.others).joined(separator: ", ")
            }
            lines.append([layer, cells.joined(separator: "; ")])
        }
        out += HeadwaySimulator.table(header: ["layer", "placement"], rows: lines, leftAligned: [1])
        return out
    }
}


/// `[0, 1, 2, 5, 7, 8]` → `0-2,5,7-8`.
func ranges(_ values: [Int]) -> String {
    var out: [String] = []
    var i = 0
    let v = values.sorted()
    while i < v.count {
        var j = i
        while j + 1 < v.count && v[j + 1] == v[j] + 1 { j += 1 }
        out.append(i == j ? "\(v[i])" : "\(v[i])-\(v[j])")
        i = j + 1
    }
    return out.joined(separator: ",")
}
