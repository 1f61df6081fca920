import Foundation
import HeadwayCore
import HeadwaySimulator

/// The devices and links of a scenario file, turned into local worker options: the coordinator plays the scenario's
/// controller and worker `i` its `i`-th other device. A device's CPU share is its compute over the fastest device's
/// (this machine plays the fastest); its memory is what it offers; its link is the path to the controller
/// (bottleneck bandwidth, summed latency), shaped inside the worker.
struct EmulatedDevices {
    var names: [String] = []
    var arguments: [[String]] = []

    init(scenario path: String, workers n: Int) throws {
        let scenario = try CLI.scenario(path: path)
        let cluster: Cluster
        switch scenario.cluster {
        case .explicit(let c): cluster = c
        case .generated(let make): cluster = try make(scenario.seeds.first ?? 0)
        }
        let others = cluster.devices.indices.filter { $0 != cluster.controller }
        guard others.count >= n else {
            throw CLIError(description: "--emulate \(path): the scenario has \(others.count) devices besides the controller, --local-workers asks for \(n)")
        }
        let state = ClusterState(cluster: cluster)
        let fastest = cluster.devices.map(\.compute.value).max() ?? 1
        for d in others.prefix(n) {
            let device = cluster.devices[d]
            let k = cluster.controller * cluster.count + d
            let bandwidth = state.pairBandwidth[k]
            let latency = state.pairLatency[k]
            names.append(device.id)
            arguments.append([
                "--cpu-share", String(format: "%.4f", max(0.01, min(1, device.compute.value / fastest))),
                "--memory", String(format: "%.1f", device.memory.value / 1e6),
                "--link-mbps", String(format: "%.3f", bandwidth.isFinite ? bandwidth * 8 / 1e6 : 0),
                "--link-delay-ms", String(format: "%.3f", latency.isFinite ? latency * 1e3 : 0),
            ])
        }
    }
}
