public import Foundation
public import HeadwayCore

/// The neutral scenario format shared with the authors' simulator (reference-simulator.md §9.3) and its result
/// format (§9.4). It implies the `reference` cost model; link values are GB/s; `background` gives per-step load
/// fractions. Only `state_reset: "full"` (clean state every step) is supported: the authors' other modes reproduce
/// their resource-leak bugs.
public struct ReferenceScenario: Sendable {
    public var scenario: Scenario
    /// The `algorithms` entries as given (echoed as `spec` in the result).
    public var specs: [[String: String]]

    /// Names in the `algorithms` list and the planner each maps to.
    public static let algorithmNames: [String: String] = [
        "greedy": "greedy", "round_robin": "round-robin", "static": "static", "dynamic": "static",
        "resource_aware": "resource-aware", "exact_optimal": "exact",
    ]

    static func matches(_ root: ScenarioNode) -> Bool {
        guard let d = root.dictionary else { return false }
        if d["algorithms"] != nil || d["sequence_length"] != nil { return true }
        return (d["model"] as? [String: Any])?["num_heads"] != nil
    }

    public static func load(text: String, file: String, plannerNames: Set<String>) throws -> ReferenceScenario {
        try read(try ScenarioLoader.parse(text, file: file), plannerNames: plannerNames)
    }

    static func read(_ root: ScenarioNode, plannerNames: Set<String>) throws -> ReferenceScenario {
        try root.checkKeys([
            "model", "sequence_length", "increment_sequence", "steps", "state_reset", "devices", "links", "background",
            "algorithms", "description", "name",
        ])
        let model = try root.field("model")
        try model.checkKeys(["num_heads", "embedding_dim", "precision_bytes"])
        let heads = try model.int("num_heads", min: 1, max: ModelShape.limits.heads)
        let dim = try model.int("embedding_dim", min: 1, max: ModelShape.limits.width)
        guard dim % heads == 0 else {
            throw try model.field("embedding_dim").error(.inconsistent, "(\(dim)) is not divisible by num_heads (\(heads))")
        }
        var shape = ModelShape.reference(name: "reference-\(heads)x\(dim)", heads: heads, dim: dim)
        let precision = try model.double("precision_bytes", above: 0, default: 4)
        shape.attentionWeightBytes = precision
        shape.projectionWeightBytes = precision
        shape.ffnWeightBytes = precision
        shape.kvCacheBytes = precision
        shape.activationBytes = precision
        let reset = try root.string("state_reset", default: "full")
        guard reset == "full" else {
            throw try root.field("state_reset").error(.unsupported,
                "is '\(reset)'; only 'full' is supported (the other modes reproduce the reference simulator's resource leaks)")
        }
        var devices: [Device] = []
        var controller = 0
        for (i, d) in try root.field("devices").array().enumerated() {
            try d.checkKeys(["id", "memory_gb", "compute_flops", "is_source"])
            devices.append(Device(
                id: try d.string("id"), memory: Bytes(gigabytes: try d.double("memory_gb", min: 0)),
                compute: FLOPsPerSecond(try d.double("compute_flops", above: 0)),
                memoryBandwidth: BytesPerSecond(1e15)))
            if try d.bool("is_source", default: false) { controller = i }
        }
        guard !devices.isEmpty else { throw try root.field("devices").error(.invalidValue, "must list at least one device") }
        let ids = Set(devices.map(\.id))
        var links: [Link] = []
        for l in try root.optional("links")?.array() ?? [] {
            try l.checkKeys(["a", "b", "bandwidth"])
            for key in ["a", "b"] {
                let end = try l.field(key)
                guard ids.contains(try end.string()) else {
                    throw end.error(.unknownName, "names an unknown device '\(try end.string())'")
                }
            }
            links.append(Link(
                a: try l.string("a"), b: try l.string("b"),
                bandwidth: BytesPerSecond(gigabytesPerSecond: try l.double("bandwidth", above: 0))))
        }
        let cluster = try Cluster(devices: devices, links: links, controller: controller, source: "\(root.file): devices/links")
        let steps = try root.int("steps", min: 1, max: SimulationSettings.maxTokens)
        var states: [ClusterState] = []
        for (t, step) in (try root.optional("background")?.array() ?? []).enumerated() {
            var memory = cluster.devices.map(\.memory)
            var compute = cluster.devices.map(\.compute)
            for (id, _) in try step.object() {
                guard let j = cluster.index(of: id) else {
                    throw step.error(.unknownName, "names an unknown device '\(id)' (step \(t))")
                }
                let load = try step.field(id)
                try load.checkKeys(["memory_frac", "compute_frac"])
                memory[j] = memory[j] * (1 - (try load.double("memory_frac", min: 0, max: 1, default: 0)))
                compute[j] = compute[j] * (1 - (try load.double("compute_frac", min: 0, max: 1, default: 0)))
            }
            states.append(cluster.nominalState.with(memory: memory, compute: compute))
        }
        var planners: [PlannerSpec] = []
        var specs: [[String: String]] = []
        for a in try root.field("algorithms").array() {
            try a.checkKeys(["name", "label", "mode", "alpha", "beta", "gamma"])
            let nameNode = try a.field("name")
            let name = try nameNode.string()
            guard let planner = algorithmNames[name], plannerNames.contains(planner) else {
                throw nameNode.error(.unknownName,
                    "names an unknown algorithm '\(name)'; known: \(algorithmNames.keys.sorted().joined(separator: ", "))")
            }
            var options: [String: Double] = [:]
            if let mode = try a.optional("mode") {
                switch try mode.string() {
                case "max": options["weighted"] = 0
                case "weighted", "weighted_sum": options["weighted"] = 1
                default: throw mode.error(.invalidValue, "must be 'max' or 'weighted', got '\(try mode.string())'")
                }
            }
            for key in ["alpha", "beta", "gamma"] {
                if let v = try a.optional(key) { options[key] = try v.double() }
            }
            let label = try a.string("label", default: name)
            guard !planners.contains(where: { $0.label == label }) else {
                throw nameNode.error(.inconsistent, "repeats the label '\(label)'; give one a distinct 'label'")
            }
            planners.append(PlannerSpec(name: planner, label: label, options: options))
            var spec = ["name": name]
            for (k, v) in try a.object() { spec[k] = "\(v)" }
            specs.append(spec)
        }
        let sequence = try root.int("sequence_length", min: 1, max: SimulationSettings.maxPromptLength)
        let schedule: (@Sendable (Cluster, UInt64, Int) throws -> any ClusterSchedule)? =
            states.isEmpty ? nil : { @Sendable [states] c, _, _ in ExplicitSchedule(cluster: c, states: states) }
        let scenario = Scenario(
            name: (root.file as NSString).lastPathComponent, shape: shape, costModelKind: .reference,
            referenceSequenceLength: sequence,
            referenceIncrementSequence: try root.bool("increment_sequence", default: false),
            cluster: .explicit(cluster), dynamics: schedule,
            settings: SimulationSettings(
                promptLength: sequence, tokens: steps, replanInterval: 1, replanOnViolation: true, recordPlacements: true),
            planners: planners, seeds: [0])
        return ReferenceScenario(scenario: scenario, specs: specs)
    }

    /// The result JSON of §9.4 for `report` (which must keep its runs).
    public func resultJSON(_ report: SimulationReport) throws -> Data {
        let cm = try scenario.makeCostModel()
        let layout = cm.layout
        let cluster = try scenario.makeCluster(seed: 0)
        var components: [String: Any] = [:]
        let first = TokenPosition(promptLength: scenario.settings.promptLength, generated: 0)
        for b in 0..<layout.count {
            let d = cm.demand(of: b, at: first)
            components[layout.name(of: b)] = [
                "memory_gb": d.memory.gigabytes, "flops": d.flops.value, "cache_gb": d.state.gigabytes,
            ]
        }
        var algorithms: [String: Any] = [:]
        for (spec, plannerSpec) in zip(specs, scenario.planners) {
            guard let run = report.runs?.first(where: { $0.planner == plannerSpec.label }) else { continue }
            var steps: [Any] = []
            for r in run.records {
                let position = TokenPosition(promptLength: scenario.settings.promptLength, generated: r.token)
                var assignment: [String: Any] = [:]
                var usage: [String: Any] = [:]
                if let p = r.placement {
                    var flops = Array(repeating: 0.0, count: cluster.count)
                    for b in 0..<layout.count {
                        assignment[layout.name(of: b)] = cluster.devices[p[b]].id
                        flops[p[b]] += cm.demand(of: b, at: position).flops.value
                    }
                    for j in 0..<cluster.count where r.memory[j] > 0 || flops[j] > 0 {
                        usage[cluster.devices[j].id] = ["memory_used_gb": r.memory[j] / Bytes.perGigabyte, "compute_used": flops[j]]
                    }
                }
                let s = (cm as? ReferenceCostModel)?.sequenceLength(at: position) ?? Double(scenario.settings.promptLength)
                steps.append([
                    "step": r.token, "sequence_length": Int(s), "feasible": r.feasible,
                    "latency_s": r.feasible && r.inferenceLatency.isFinite ? r.inferenceLatency as Any : NSNull(),
                    "migration_delay_s": r.migrationDelay, "comm_time_s": r.communication,
                    "data_gb": r.networkBytes / Bytes.perGigabyte, "migrations": r.migrations,
                    "error": r.error as Any? ?? NSNull(), "assignment": assignment, "cache_assignment": [String: Any](),
                    "device_usage": usage, "wall_s": r.planSeconds,
                ] as [String: Any])
            }
            algorithms[plannerSpec.label] = ["spec": spec, "steps": steps]
        }
        let object: [String: Any] = ["simulator": "headway", "components_step0": components, "algorithms": algorithms]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
