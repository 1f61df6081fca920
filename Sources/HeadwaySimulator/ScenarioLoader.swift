public import Foundation
public import HeadwayCore

/// Reads scenario files (JSON or YAML; see docs/scenarios.md) into `Scenario`s, with errors that name the file, the
/// field and the value. Files in the neutral format of the authors' simulator (reference-simulator.md §9.3) are
/// recognised and read by `ReferenceScenario`.
public struct ScenarioLoader: Sendable {
    /// Planner names accepted in `planners`.
    public var plannerNames: Set<String>
    /// Resolves `model: {gguf: PATH}` (set by a module that can read GGUF headers).
    public var ggufShape: (@Sendable (String) throws -> ModelShape)?

    public init(plannerNames: Set<String>, ggufShape: (@Sendable (String) throws -> ModelShape)? = nil) {
        self.plannerNames = plannerNames
        self.ggufShape = ggufShape
    }

    /// Parses JSON or YAML text (a scenario or any other input file of the CLI) into Foundation values, within the
    /// limits of `ScenarioText` (size, nesting, alias expansion).
    /// - Throws: `CoreError.Code.malformed` naming `file`.
    public static func parseValue(_ text: String, file: String) throws -> Any? {
        try ScenarioText.parse(text, file: file)
    }

    /// Parses JSON or YAML text into a tree.
    static func parse(_ text: String, file: String) throws -> ScenarioNode {
        let value = try ScenarioText.parse(text, file: file)
        guard let value, value is [String: Any] else {
            throw CoreError(.malformed, "\(file): the top level must be a mapping of fields")
        }
        return ScenarioNode(value, file: file)
    }

    public func load(path: String) throws -> Scenario {
        let text = try ScenarioText.readText(path, "scenario file")
        return try load(text: text, file: path)
    }

    public func load(text: String, file: String) throws -> Scenario {
        let root = try Self.parse(text, file: file)
        if ReferenceScenario.matches(root) {
            return try ReferenceScenario.read(root, plannerNames: plannerNames).scenario
        }
        return try read(root, baseDirectory: (file as NSString).deletingLastPathComponent)
    }

    static let topLevelKeys: Set<String> = [
        "name", "description", "model", "cost_model", "cluster", "dynamics", "prompt_length", "tokens",
        "replan_interval", "replan_on_violation", "planners", "seeds", "seed", "repetitions",
    ]

    func read(_ root: ScenarioNode, baseDirectory: String) throws -> Scenario {
        try root.checkKeys(Self.topLevelKeys)
        let shape = try readModel(try root.field("model"), baseDirectory: baseDirectory)
        let clusterNode = try root.field("cluster")
        let cluster: ClusterSource
        if let g = try clusterNode.optional("generate") {
            try clusterNode.checkKeys(["generate"])
            let generator = try ScenarioDynamics.generator(g)
            let file = root.file
            cluster = .generated { seed in try generator.make(seed: seed, source: "\(file): cluster.generate") }
        } else {
            cluster = .explicit(try readCluster(clusterNode))
        }
        var scenario = Scenario(
            name: try root.string("name", default: (root.file as NSString).lastPathComponent),
            shape: shape,
            cluster: cluster,
            settings: SimulationSettings(
                promptLength: try root.int("prompt_length", min: 0, max: SimulationSettings.maxPromptLength, default: 128),
                tokens: try root.int("tokens", min: 1, max: SimulationSettings.maxTokens),
                replanInterval: try root.int("replan_interval", min: 1, default: 1),
                replanOnViolation: try root.bool("replan_on_violation", default: true)),
            planners: try readPlanners(try root.field("planners")),
            seeds: try readSeeds(root))
        if let cost = try root.optional("cost_model") { try readCostModel(cost, into: &scenario) }
        if let dynamics = try root.optional("dynamics") {
            scenario.dynamics = try ScenarioDynamics.read(dynamics, baseDirectory: baseDirectory)
        }
        return scenario
    }

    func readModel(_ node: ScenarioNode, baseDirectory: String) throws -> ModelShape {
        if let name = node.value as? String {
            do { return try ModelShape.preset(named: name) } catch let e as CoreError {
                throw node.error(.unknownName, "names no known model: \(e.message)")
            }
        }
        try node.checkKeys([
            "preset", "config", "gguf", "layers", "name", "model_dim", "heads", "kv_heads", "head_dim", "ffn_dim",
            "vocab_size", "gated_ffn", "tied_embeddings", "weight_bytes", "kv_cache_bytes", "activation_bytes",
        ])
        var shape: ModelShape
        if let preset = try node.optional("preset") {
            let name = try preset.string()
            guard let m = ModelShape.presets[name.lowercased()] else {
                throw preset.error(.unknownName,
                    "names no known model '\(name)'; known: \(ModelShape.presetNames.joined(separator: ", "))")
            }
            shape = m
        } else if let config = try node.optional("config") {
            let path = Self.resolve(try config.string(), baseDirectory)
            let data = try ScenarioText.readFile(path, "\(config.file): field '\(config.path)'")
            shape = try ModelShape(huggingFaceConfig: data, source: path)
        } else if let gguf = try node.optional("gguf") {
            guard let ggufShape else { throw gguf.error(.unsupported, "GGUF models cannot be read here") }
            shape = try ggufShape(Self.resolve(try gguf.string(), baseDirectory))
        } else {
            shape = ModelShape(
                name: try node.string("name", default: "custom"), layerCount: try node.int("layers", min: 1),
                modelDim: try node.int("model_dim", min: 1), headCount: try node.int("heads", min: 1),
                kvHeadCount: try node.int("kv_heads", min: 1, default: try node.int("heads", min: 1)),
                headDim: try node.optional("head_dim")?.int(), ffnDim: try node.int("ffn_dim", min: 1),
                gatedFFN: try node.bool("gated_ffn", default: true), vocabSize: try node.int("vocab_size", min: 1),
                tiedEmbeddings: try node.bool("tied_embeddings", default: false),
                weightBytes: try node.double("weight_bytes", above: 0, default: 2),
                kvCacheBytes: try node.double("kv_cache_bytes", above: 0, default: 2),
                activationBytes: try node.double("activation_bytes", above: 0, default: 4))
        }
        if let layers = try node.optional("layers"), node.has("preset") || node.has("config") || node.has("gguf") {
            let l = try layers.int()
            guard l >= 1 else { throw layers.error(.invalidValue, "must be >= 1, got \(l)") }
            shape.layerCount = l
        }
        try shape.validate(source: "\(node.file): model")
        return shape
    }

    func readCostModel(_ node: ScenarioNode, into scenario: inout Scenario) throws {
        if let name = node.value as? String {
            guard let kind = CostModelKind(rawValue: name) else {
                throw node.error(.unknownName, "must be 'decode' or 'reference', got '\(name)'")
            }
            scenario.costModelKind = kind
            return
        }
        try node.checkKeys(["kind", "weights_preloaded", "weights", "sequence_length", "increment_sequence", "ffn_flops_factor"])
        let kindNode = try node.field("kind")
        guard let kind = CostModelKind(rawValue: try kindNode.string()) else {
            throw kindNode.error(.unknownName, "must be 'decode' or 'reference', got '\(try kindNode.string())'")
        }
        scenario.costModelKind = kind
        scenario.weightsPreloaded = try node.bool("weights_preloaded", default: false)
        if let w = try node.optional("weights") {
            if node.has("weights_preloaded") {
                throw w.error(.invalidValue, "give either 'weights' or 'weights_preloaded', not both")
            }
            if let name = w.value as? String {
                switch name {
                case "controller": scenario.weights = .controller
                case "local": scenario.weights = .localCopy(gigabytesPerSecond: nil)
                default: throw w.error(.unknownName, "must be 'controller', 'local', {holder: <device id>} or {local_gbs: <GB/s>}, got '\(name)'")
                }
            } else {
                try w.checkKeys(["holder", "local_gbs"])
                if w.has("holder") && w.has("local_gbs") {
                    throw w.error(.invalidValue, "give either 'holder' or 'local_gbs', not both")
                }
                if w.has("holder") {
                    scenario.weights = .holder(try w.string("holder"))
                } else {
                    scenario.weights = .localCopy(gigabytesPerSecond: try w.double("local_gbs", above: 0))
                }
            }
        }
        if let s = try node.optional("sequence_length") {
            let v = try s.int()
            guard (1...SimulationSettings.maxPromptLength).contains(v) else {
                throw s.error(.invalidValue, "must be in 1...\(SimulationSettings.maxPromptLength), got \(v)")
            }
            scenario.referenceSequenceLength = v
        }
        scenario.referenceIncrementSequence = try node.bool("increment_sequence", default: false)
        scenario.referenceFFNFactor = try node.double("ffn_flops_factor", above: 0, default: 0.8)
    }

    func readCluster(_ node: ScenarioNode) throws -> Cluster {
        try node.checkKeys(["devices", "links", "full_mesh", "controller", "generate"])
        let deviceNodes = try node.field("devices").array()
        guard !deviceNodes.isEmpty else { throw try node.field("devices").error(.invalidValue, "must list at least one device") }
        var devices: [Device] = []
        for d in deviceNodes {
            try d.checkKeys(["id", "memory_gb", "compute_gflops", "memory_bandwidth_gbs"])
            devices.append(Device(
                id: try d.string("id"),
                memory: Bytes(gigabytes: try d.double("memory_gb", min: 0)),
                compute: FLOPsPerSecond(gigaflops: try d.double("compute_gflops", above: 0)),
                memoryBandwidth: BytesPerSecond(gigabytesPerSecond: try d.double("memory_bandwidth_gbs", above: 0, default: 20))))
        }
        let ids = Set(devices.map(\.id))
        var links: [Link] = []
        var linked = Set<[String]>()
        for l in try node.optional("links")?.array() ?? [] {
            try l.checkKeys(["a", "b", "bandwidth_gbps", "latency_ms"])
            let a = try l.field("a")
            let b = try l.field("b")
            for end in [a, b] where !ids.contains(try end.string()) {
                throw end.error(.unknownName, "names an unknown device '\(try end.string())'")
            }
            links.append(Link(
                a: try a.string(), b: try b.string(),
                bandwidth: BytesPerSecond(gigabitsPerSecond: try l.double("bandwidth_gbps", above: 0)),
                latency: Seconds(milliseconds: try l.double("latency_ms", min: 0, default: 0))))
            linked.insert([try a.string(), try b.string()].sorted())
        }
        if let mesh = try node.optional("full_mesh") {
            try mesh.checkKeys(["bandwidth_gbps", "latency_ms"])
            let bw = BytesPerSecond(gigabitsPerSecond: try mesh.double("bandwidth_gbps", above: 0))
            let latency = Seconds(milliseconds: try mesh.double("latency_ms", min: 0, default: 0))
            for i in devices.indices {
                for j in devices.indices where j > i && !linked.contains([devices[i].id, devices[j].id].sorted()) {
                    links.append(Link(a: devices[i].id, b: devices[j].id, bandwidth: bw, latency: latency))
                }
            }
        }
        var controller = 0
        if let c = try node.optional("controller") {
            let id = try c.string()
            guard let i = devices.firstIndex(where: { $0.id == id }) else {
                throw c.error(.unknownName, "names an unknown device '\(id)'")
            }
            controller = i
        }
        return try Cluster(devices: devices, links: links, controller: controller, source: "\(node.file): cluster")
    }

    func readPlanners(_ node: ScenarioNode) throws -> [PlannerSpec] {
        let list = try node.array()
        guard !list.isEmpty else { throw node.error(.invalidValue, "must name at least one planner") }
        var specs: [PlannerSpec] = []
        for p in list {
            let spec: PlannerSpec
            let nameNode: ScenarioNode
            if p.value is String {
                nameNode = p
                spec = PlannerSpec(name: try p.string())
            } else {
                nameNode = try p.field("name")
                var options: [String: Double] = [:]
                for (key, _) in try p.object() where key != "name" && key != "label" {
                    options[key] = try p.field(key).double()
                }
                spec = PlannerSpec(name: try nameNode.string(), label: try p.optional("label")?.string(), options: options)
            }
            guard plannerNames.contains(spec.name) else {
                throw nameNode.error(.unknownName,
                    "names an unknown planner '\(spec.name)'; known: \(plannerNames.sorted().joined(separator: ", "))")
            }
            guard !specs.contains(where: { $0.label == spec.label }) else {
                throw nameNode.error(.inconsistent, "repeats the planner label '\(spec.label)'; give one a distinct 'label'")
            }
            specs.append(spec)
        }
        return specs
    }

    func readSeeds(_ root: ScenarioNode) throws -> [UInt64] {
        if let seeds = try root.optional("seeds") {
            let list = try seeds.array().map { n -> UInt64 in
                let v = try n.int()
                guard v >= 0 else { throw n.error(.invalidValue, "must be >= 0, got \(v)") }
                return UInt64(v)
            }
            guard !list.isEmpty else { throw seeds.error(.invalidValue, "must list at least one seed") }
            guard list.count <= SimulationSettings.maxSeeds else {
                throw seeds.error(.invalidValue, "lists \(list.count) seeds; at most \(SimulationSettings.maxSeeds) are allowed")
            }
            return list
        }
        let first = try root.int("seed", min: 0, default: 1)
        let repetitions = try root.int("repetitions", min: 1, max: SimulationSettings.maxSeeds, default: 1)
        // Seeds are 64-bit unsigned: `seed` up to Int.max plus the repetitions always fits.
        return (0..<repetitions).map { UInt64(first) + UInt64($0) }
    }

    /// `path` relative to the scenario file's folder (absolute paths unchanged).
    static func resolve(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") || base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
    }
}

extension CoreError.Code {
    public static let unsupported = CoreError.Code("unsupported")
}
