import Foundation
import HeadwayCore

/// Reads the `dynamics` section and `cluster.generate` of a scenario file (docs/scenarios.md) into the core's
/// `Fluctuation` and `ClusterGenerator` specs.
enum ScenarioDynamics {
    static func read(_ node: ScenarioNode, baseDirectory: String) throws
        -> @Sendable (Cluster, UInt64, Int) throws -> any ClusterSchedule
    {
        let fluctuation = try fluctuation(node, baseDirectory: baseDirectory)
        let file = node.file
        return { cluster, seed, tokens in
            try fluctuation.validate(for: cluster, source: "\(file): dynamics")
            return try ClusterTimeline(cluster: cluster, fluctuation: fluctuation, seed: seed, tokens: tokens)
        }
    }

    static func fluctuation(_ node: ScenarioNode, baseDirectory: String) throws -> Fluctuation {
        if let name = node.value as? String { return try preset(name, node) }
        try node.checkKeys([
            "preset", "compute_load", "memory_load", "memory_bandwidth_coupling", "links", "events", "churn",
            "device_trace", "link_trace",
        ])
        var f = try node.optional("preset").map { try preset(try $0.string(), $0) } ?? Fluctuation()
        if let n = try node.optional("compute_load") { f.computeLoad = try load(n) }
        if let n = try node.optional("memory_load") { f.memoryLoad = try load(n) }
        f.memoryBandwidthCoupling = try node.double("memory_bandwidth_coupling", min: 0, default: f.memoryBandwidthCoupling)
        if let n = try node.optional("links") { f.links = try links(n) }
        if let n = try node.optional("events") {
            f.events = try n.array().map { e in
                try e.checkKeys(["token", "device", "event"])
                let kind = try e.field("event")
                guard let change = MembershipEvent.Change(rawValue: try kind.string()) else {
                    throw kind.error(.invalidValue, "must be 'leave' or 'join', got '\(try kind.string())'")
                }
                return MembershipEvent(token: try e.int("token", min: 0), device: try e.string("device"), event: change)
            }
        }
        if let n = try node.optional("churn") {
            try n.checkKeys(["leave_probability", "mean_offline_tokens", "exempt"])
            f.churn = Churn(
                leaveProbability: try n.double("leave_probability", min: 0, max: 1),
                meanOfflineTokens: try n.double("mean_offline_tokens", above: 0),
                exempt: try n.optional("exempt")?.array().map { try $0.string() } ?? [])
        }
        if let n = try node.optional("device_trace") {
            let path = ScenarioLoader.resolve(try n.string(), baseDirectory)
            f.deviceTrace = try DeviceTrace(csv: try read(path, n), source: path)
        }
        if let n = try node.optional("link_trace") {
            let path = ScenarioLoader.resolve(try n.string(), baseDirectory)
            f.linkTrace = try LinkTrace(csv: try read(path, n), source: path)
        }
        return f
    }

    static func preset(_ name: String, _ node: ScenarioNode) throws -> Fluctuation {
        switch name {
        case "none": return .none
        case "paper": return .paper
        case "reference": return .reference
        default: throw node.error(.unknownName, "names an unknown dynamics preset '\(name)'; known: none, paper, reference")
        }
    }

    static func load(_ node: ScenarioNode) throws -> LoadProcess {
        if let s = node.value as? String, s == "none" { return .none }
        try node.checkKeys(["uniform", "mean_reverting"])
        if let u = try node.optional("uniform") {
            let (lo, hi) = try range(u)
            return .uniform(min: lo, max: hi)
        }
        let m = try node.field("mean_reverting")
        try m.checkKeys(["mean", "persistence", "noise", "min", "max"])
        return .meanReverting(MeanRevertingLoad(
            mean: try m.double("mean", min: 0, max: 1), persistence: try m.double("persistence", min: 0, max: 1),
            noise: try m.double("noise", min: 0), min: try m.double("min", min: 0, max: 1, default: 0),
            max: try m.double("max", min: 0, max: 1, default: 1)))
    }

    static func links(_ node: ScenarioNode) throws -> LinkFluctuation {
        if let s = node.value as? String {
            switch s {
            case "none": return .none
            case "paper": return .paper
            default: throw node.error(.unknownName, "must be 'none', 'paper' or a mapping, got '\(s)'")
            }
        }
        try node.checkKeys(["resample_uniform_gbps", "random_walk"])
        if let r = try node.optional("resample_uniform_gbps") {
            let (lo, hi) = try range(r)
            return .resampleUniform(minGbps: lo, maxGbps: hi)
        }
        let w = try node.field("random_walk")
        try w.checkKeys(["sigma", "min_fraction", "max_fraction", "reversion"])
        return .logRandomWalk(LogRandomWalk(
            sigma: try w.double("sigma", min: 0), minFraction: try w.double("min_fraction", above: 0),
            maxFraction: try w.double("max_fraction", above: 0), reversion: try w.double("reversion", min: 0, max: 1, default: 0)))
    }

    /// `[lo, hi]` or a single number (lo = hi).
    static func range(_ node: ScenarioNode) throws -> (Double, Double) {
        if node.value is [Any] {
            let a = try node.array()
            guard a.count == 2 else { throw node.error(.invalidValue, "must be [min, max], got \(a.count) values") }
            let lo = try a[0].double()
            let hi = try a[1].double()
            guard lo <= hi else { throw node.error(.invalidValue, "must have min <= max, got [\(lo), \(hi)]") }
            return (lo, hi)
        }
        let v = try node.double()
        return (v, v)
    }

    // MARK: cluster.generate

    static func generator(_ node: ScenarioNode) throws -> ClusterGenerator {
        try node.checkKeys([
            "kind", "devices", "memory_gb", "compute_gflops", "memory_bandwidth_gbs", "mix", "topology",
            "bandwidth_gbps", "latency_ms", "controller",
        ])
        let count = try node.int("devices", min: 1, max: Cluster.maxDevices)
        let kind = try node.string("kind", default: "paper")
        var g: ClusterGenerator
        switch kind {
        case "paper":
            var spec = LogNormalDevices()
            if let n = try node.optional("memory_gb") { spec.memoryGB = try logNormal(n) }
            if let n = try node.optional("compute_gflops") { spec.computeGFLOPs = try logNormal(n) }
            if let n = try node.optional("memory_bandwidth_gbs") { spec.memoryBandwidthGBps = try logNormal(n) }
            g = ClusterGenerator(deviceCount: count, devices: .logNormal(spec))
        case "realistic":
            var mix = DeviceMix.typicalEdge
            if let m = try node.optional("mix") {
                mix.entries = try m.array().map { e in
                    try e.checkKeys(["class", "weight"])
                    let name = try e.field("class")
                    guard let c = DeviceClass.named(try name.string()) else {
                        throw name.error(.unknownName,
                            "names an unknown device class '\(try name.string())'; known: \(DeviceClass.catalogue.map(\.name).joined(separator: ", "))")
                    }
                    return DeviceMix.Entry(c, weight: try e.double("weight", min: 0))
                }
            }
            g = ClusterGenerator(deviceCount: count, devices: .mix(mix))
        default:
            throw try node.field("kind").error(.unknownName, "must be 'paper' or 'realistic', got '\(kind)'")
        }
        if let t = try node.optional("topology") {
            if let s = t.value as? String {
                switch s {
                case "full_mesh": g.network.topology = .fullMesh
                case "star": g.network.topology = .star
                default: throw t.error(.unknownName, "must be full_mesh, star, {erdos_renyi: p} or {random_geometric: r}, got '\(s)'")
                }
            } else {
                try t.checkKeys(["erdos_renyi", "random_geometric"])
                if let p = try t.optional("erdos_renyi") {
                    g.network.topology = .erdosRenyi(edgeProbability: try p.double())
                } else {
                    g.network.topology = .randomGeometric(radius: try t.field("random_geometric").double())
                }
            }
        }
        if let b = try node.optional("bandwidth_gbps") {
            let (lo, hi) = try range(b)
            g.network.bandwidthGbps = UniformRange(lo, hi)
        }
        if let l = try node.optional("latency_ms") {
            let (lo, hi) = try range(l)
            g.network.latencyMs = UniformRange(lo, hi)
        }
        g.controller = try node.int("controller", min: 0, default: 0)
        try g.validate(source: "\(node.file): cluster.generate")
        return g
    }

    /// `{median, sigma, min, max}` or `{min, max}` (a log-normal spanning the range).
    static func logNormal(_ node: ScenarioNode) throws -> BoundedLogNormal {
        try node.checkKeys(["median", "sigma", "min", "max"])
        let lo = try node.double("min", above: 0)
        let hi = try node.double("max", above: 0)
        guard lo <= hi else { throw node.error(.invalidValue, "must have min <= max, got [\(lo), \(hi)]") }
        if node.has("median") || node.has("sigma") {
            return BoundedLogNormal(
                median: try node.double("median", above: 0), sigma: try node.double("sigma", min: 0), lower: lo, upper: hi)
        }
        return .spanning(lo, hi)
    }

    static func read(_ path: String, _ node: ScenarioNode) throws -> String {
        try ScenarioText.readText(path, "\(node.file): field '\(node.path)'")
    }
}
