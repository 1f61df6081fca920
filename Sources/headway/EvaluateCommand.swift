import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cost of a given placement: latency, memory per device, violated constraints.",
        discussion: """
            The placement is a JSON or YAML mapping from block name (head_0, projection, ffn for single-layer models; \
            L3.head_1, L3.projection, L3.ffn otherwise) to device id. Blocks not listed go to --default-device.
            """)

    @OptionGroup var options: PlacementOptions
    @Option(help: "Placement file (JSON or YAML mapping block → device).") var placement: String?
    @Option(help: "Device for blocks the placement file does not list (or for all blocks without a file).")
    var defaultDevice: String?
    @Option(help: "Output: table or json.") var format: OutputFormat = .table

    func run() throws {
        try runReportingErrors {
            let (s, cm, state, position) = try options.resolve()
            let layout = cm.layout
            var fallback: Int?
            if let defaultDevice {
                guard let j = state.cluster.index(of: defaultDevice) else {
                    throw CLIError(description: "--default-device names an unknown device '\(defaultDevice)'")
                }
                fallback = j
            }
            var devices = Array(repeating: -1, count: layout.count)
            if let path = placement {
                let text: String
                do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw CLIError(description: "\(path): cannot read the file (\(error.localizedDescription))")
                }
                guard let map = try ScenarioLoader.parseValue(text, file: path) as? [String: Any] else {
                    throw CLIError(description: "\(path): must be a mapping from block name to device id")
                }
                for (block, value) in map {
                    guard let b = layout.index(named: block) else {
                        throw CLIError(description: "\(path): unknown block '\(block)' (e.g. \(layout.name(of: 0)))")
                    }
                    guard let id = value as? String, let j = state.cluster.index(of: id) else {
                        throw CLIError(description: "\(path): block '\(block)' names an unknown device '\(value)'")
                    }
                    devices[b] = j
                }
            }
            for b in devices.indices where devices[b] < 0 {
                guard let fallback else {
                    throw CLIError(description: "block '\(layout.name(of: b))' has no device; list it or give --default-device")
                }
                devices[b] = fallback
            }
            let report = PlacementReport(
                scenario: s, costModel: cm, state: state, position: position, placement: Placement(devices: devices), planner: nil)
            CLI.writeStdout(format == .json ? try CLI.encode(report) : report.table())
        }
    }
}
