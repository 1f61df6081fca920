/// Mean, 95th percentile and maximum of a sample (and its size).
public struct SmallScaleSummary: Codable, Sendable, Hashable {
    public var mean: Double
    public var p95: Double
    public var max: Double
    public var count: Int

    public init(_ values: [Double]) {
        let s = Summary(values)
        mean = s.count > 0 ? s.mean : 0
        p95 = s.count > 0 ? s.p95 : 0
        max = s.count > 0 ? s.max : 0
        count = s.count
    }
}

/// Ratios to the optimum and decision times of every planner over a group of instances.
public struct SmallScaleGroup: Codable, Sendable, Hashable {
    public var model: String
    public var instances: Int
    public var ratiosToOptimal: [String: SmallScaleSummary]
    public var decisionTimeMs: [String: SmallScaleSummary]
    /// Instances where the planner found no feasible placement (it is then dropped for the later positions).
    public var failures: [String: Int]

    enum CodingKeys: String, CodingKey {
        case model, instances, failures
        case ratiosToOptimal = "ratios_to_optimal"
        case decisionTimeMs = "decision_time_ms"
    }
}

/// The study's result. JSON: `{"devices": [3,4,5], "instances_per_size": 50, "cost_model": "decode",
/// "ratios_to_optimal": {planner: {"mean", "p95", "max", "count"}}, "decision_time_ms": {...}, "failures": {...},
/// "by_devices": {"3": group, ...}, "multi_layer": group, ...}`.
public struct SmallScaleStudyResult: Codable, Sendable, Hashable {
    public var devices: [Int]
    public var instancesPerSize: Int
    public var costModel: String
    public var positions: [Int]
    public var seed: UInt64
    public var model: String
    /// Planner names in report order.
    public var planners: [String]
    public var ratiosToOptimal: [String: SmallScaleSummary]
    public var decisionTimeMs: [String: SmallScaleSummary]
    public var failures: [String: Int]
    public var byDevices: [String: SmallScaleGroup]
    public var multiLayer: SmallScaleGroup?

    enum CodingKeys: String, CodingKey {
        case devices, positions, seed, model, planners, failures
        case instancesPerSize = "instances_per_size"
        case costModel = "cost_model"
        case ratiosToOptimal = "ratios_to_optimal"
        case decisionTimeMs = "decision_time_ms"
        case byDevices = "by_devices"
        case multiLayer = "multi_layer"
    }
}

/// Collects ratios and times per planner.
struct SmallScaleAccumulator {
    var planners: [String]
    var ratios: [String: [Double]] = [:]
    var times: [String: [Double]] = [:]
    var failures: [String: Int] = [:]

    init(planners: [String]) {
        self.planners = planners
        for p in planners {
            ratios[p] = []
            times[p] = []
            failures[p] = 0
        }
    }

    mutating func add(_ planner: String, ratio: Double, milliseconds: Double) {
        ratios[planner, default: []].append(ratio)
        times[planner, default: []].append(milliseconds)
    }

    mutating func fail(_ planner: String) { failures[planner, default: 0] += 1 }

    mutating func merge(_ other: SmallScaleAccumulator) {
        for (k, v) in other.ratios { ratios[k, default: []] += v }
        for (k, v) in other.times { times[k, default: []] += v }
        for (k, v) in other.failures { failures[k, default: 0] += v }
    }

    func group(instances: Int, model: String) -> SmallScaleGroup {
        SmallScaleGroup(
            model: model, instances: instances, ratiosToOptimal: ratios.mapValues { SmallScaleSummary($0) },
            decisionTimeMs: times.mapValues { SmallScaleSummary($0) }, failures: failures)
    }
}
