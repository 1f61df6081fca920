/// Mean, 95th percentile, minimum and maximum of a sample (and its size).
public struct SmallScaleSummary: Codable, Sendable, Hashable {
    public var mean: Double
    public var p95: Double
    public var min: Double
    public var max: Double
    public var count: Int

    public init(_ values: [Double]) {
        let s = Summary(values)
        mean = s.count > 0 ? s.mean : 0
        p95 = s.count > 0 ? s.p95 : 0
        min = values.min() ?? 0
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
    /// Decisions the planner was asked for (instances × positions, minus those skipped).
    public var decisions: [String: Int]
    /// Decisions where the planner found no feasible placement (it is then dropped for the instance's later positions).
    public var failures: [String: Int]
    /// Decisions not asked because the planner had failed earlier on the same instance.
    public var skipped: [String: Int]
    /// Feasible decisions left out of the ratios because the exact planner proved no optimum for that request.
    public var unscored: [String: Int]

    enum CodingKeys: String, CodingKey {
        case model, instances, failures, decisions, skipped, unscored
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
    public var decisions: [String: Int]
    public var skipped: [String: Int]
    public var unscored: [String: Int]
    public var byDevices: [String: SmallScaleGroup]
    public var multiLayer: SmallScaleGroup?

    enum CodingKeys: String, CodingKey {
        case devices, positions, seed, model, planners, failures, decisions, skipped, unscored
        case instancesPerSize = "instances_per_size"
        case costModel = "cost_model"
        case ratiosToOptimal = "ratios_to_optimal"
        case decisionTimeMs = "decision_time_ms"
        case byDevices = "by_devices"
        case multiLayer = "multi_layer"
    }
}

/// Collects ratios, times and decision counts per planner.
struct SmallScaleAccumulator {
    struct Counts {
        var decisions = 0
        var failures = 0
        var skipped = 0
        var unscored = 0
        mutating func merge(_ o: Counts) {
            decisions += o.decisions
            failures += o.failures
            skipped += o.skipped
            unscored += o.unscored
        }
    }

    var planners: [String]
    var ratios: [String: [Double]] = [:]
    var times: [String: [Double]] = [:]
    var counts: [String: Counts] = [:]

    init(planners: [String]) {
        self.planners = planners
        for p in planners {
            ratios[p] = []
            times[p] = []
            counts[p] = Counts()
        }
    }

    mutating func add(_ planner: String, ratio: Double, milliseconds: Double) {
        ratios[planner, default: []].append(ratio)
        times[planner, default: []].append(milliseconds)
    }

    mutating func count(_ planner: String, _ field: WritableKeyPath<Counts, Int>) { counts[planner, default: Counts()][keyPath: field] += 1 }

    mutating func merge(_ other: SmallScaleAccumulator) {
        for (k, v) in other.ratios { ratios[k, default: []] += v }
        for (k, v) in other.times { times[k, default: []] += v }
        for (k, v) in other.counts { counts[k, default: Counts()].merge(v) }
    }

    func group(instances: Int, model: String) -> SmallScaleGroup {
        SmallScaleGroup(
            model: model, instances: instances, ratiosToOptimal: ratios.mapValues { SmallScaleSummary($0) },
            decisionTimeMs: times.mapValues { SmallScaleSummary($0) }, decisions: counts.mapValues(\.decisions),
            failures: counts.mapValues(\.failures), skipped: counts.mapValues(\.skipped), unscored: counts.mapValues(\.unscored))
    }
}
