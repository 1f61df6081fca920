public import HeadwayCore
public import HeadwayPlanner

/// The paper's small-scale comparison against the exact optimum: for 3, 4 and 5 devices, seeded random clusters
/// (log-normal memory and compute 5–50 GFLOP/s, full mesh of 1–10 Gbit/s links), one decoder layer, decisions at
/// several token positions, each one re-planned from the planner's own previous placement so that migration counts.
/// Every planner's objective (latency + migration) is divided by the proven optimum of the very same request.
/// A multi-layer case (decode: SmolLM2-135M truncated to `multiLayerLayers`; reference: SMALL likewise) is reported
/// separately.
public enum SmallScaleStudy {
    public struct Configuration: Sendable, Codable, Hashable {
        public var devices: [Int]
        public var instancesPerSize: Int
        public var costModel: CostModelKind
        /// Generated-token positions of the successive decisions (the first without a previous placement).
        public var positions: [Int]
        public var seed: UInt64
        /// Instances of the multi-layer case per device count (0: skip it).
        public var multiLayerInstances: Int
        public var multiLayerLayers: Int
        /// Planner names as on the CLI; `exact` is always run (it defines the optimum).
        public var planners: [String]

        public init(
            devices: [Int] = [3, 4, 5], instancesPerSize: Int = 50, costModel: CostModelKind = .decode,
            positions: [Int] = [0, 100, 500], seed: UInt64 = 2025, multiLayerInstances: Int = 10, multiLayerLayers: Int = 2,
            planners: [String] = SmallScaleStudy.plannerNames
        ) {
            self.devices = devices
            self.instancesPerSize = instancesPerSize
            self.costModel = costModel
            self.positions = positions
            self.seed = seed
            self.multiLayerInstances = multiLayerInstances
            self.multiLayerLayers = multiLayerLayers
            self.planners = planners
        }
    }

    /// Planners of the study, in report order. `resource-aware-2T` and `-4T` are the paper's algorithm with twice and
    /// four times our default per-layer budget T (the paper gives no value).
    public static let plannerNames = [
        "exact", "headway", "resource-aware", "resource-aware-2T", "resource-aware-4T", "greedy", "round-robin", "static",
    ]

    /// The planner for a name: a registry name, or a resource-aware variant `resource-aware[-forced][-<k>T]`: budget
    /// k times our default T, and with `-forced` over-budget scores force moves whatever they cost (our earlier
    /// migration rule). `exact` runs without a time limit here: the study needs proven optima.
    public static func planner(named name: String) throws(PlannerError) -> any Planner {
        switch name {
        case "exact", "exact-optimal", "exact_optimal": return ExactPlanner()
        default:
            if name.hasPrefix("resource-aware-") {
                var rest = name.dropFirst("resource-aware-".count)
                var options = ResourceAwarePlanner.Options()
                if rest.hasPrefix("forced") {
                    options.forceOverBudgetMoves = true
                    rest = rest.dropFirst("forced".count)
                    if rest.hasPrefix("-") { rest = rest.dropFirst() }
                }
                if rest.hasSuffix("T"), let k = Double(rest.dropLast()), k > 0, k <= 1e6 {
                    options.budgetScale = k
                    rest = ""
                }
                if rest.isEmpty { return ResourceAwarePlanner(options: options) }
            }
            return try PlannerRegistry.planner(named: name)
        }
    }

    /// Runs the study. Deterministic for a configuration except the decision times.
    public static func run(_ config: Configuration) throws -> SmallScaleStudyResult {
        let names = ["exact"] + config.planners.filter { $0 != "exact" }
        let planners = try names.map { try planner(named: $0) }
        let exact = ExactPlanner()
        var overall = SmallScaleAccumulator(planners: names)
        var bySize: [String: SmallScaleGroup] = [:]
        for n in config.devices {
            var acc = SmallScaleAccumulator(planners: names)
            for i in 0..<config.instancesPerSize {
                let seed = instanceSeed(config.seed, devices: n, index: i, multiLayer: false)
                let model = singleLayerModel(config.costModel)
                let cluster = SmallScaleInstances.feasibleCluster(
                    model: model, devices: n, seed: seed, latest: config.positions.max() ?? 0)
                runInstance(model: model, cluster: cluster, config: config, seed: seed, names: names, planners: planners,
                    exact: exact, into: &acc)
            }
            overall.merge(acc)
            bySize[String(n)] = acc.group(instances: config.instancesPerSize, model: singleLayerModel(config.costModel).shape.name)
        }
        var multi: SmallScaleGroup?
        if config.multiLayerInstances > 0 {
            var acc = SmallScaleAccumulator(planners: names)
            let model = multiLayerModel(config.costModel, layers: config.multiLayerLayers)
            for n in config.devices {
                for i in 0..<config.multiLayerInstances {
                    let seed = instanceSeed(config.seed, devices: n, index: i, multiLayer: true)
                    let cluster = SmallScaleInstances.feasibleCluster(
                    model: model, devices: n, seed: seed, latest: config.positions.max() ?? 0)
                    runInstance(model: model, cluster: cluster, config: config, seed: seed, names: names, planners: planners,
                        exact: exact, into: &acc)
                }
            }
            multi = acc.group(instances: config.multiLayerInstances * config.devices.count, model: model.shape.name)
        }
        let all = overall.group(instances: config.instancesPerSize * config.devices.count,
            model: singleLayerModel(config.costModel).shape.name)
        return SmallScaleStudyResult(
            devices: config.devices, instancesPerSize: config.instancesPerSize, costModel: config.costModel.rawValue,
            positions: config.positions, seed: config.seed, model: all.model, planners: names,
            ratiosToOptimal: all.ratiosToOptimal, decisionTimeMs: all.decisionTimeMs, failures: all.failures,
            decisions: all.decisions, skipped: all.skipped, unscored: all.unscored, byDevices: bySize, multiLayer: multi)
    }

    /// The single-layer model: reference → the SMALL preset (8 heads, s = 512); decode → Llama-3.2-1B's first layer
    /// (8 K/V groups).
    public static func singleLayerModel(_ kind: CostModelKind) -> any CostModel {
        switch kind {
        case .reference:
            return ReferenceCostModel(shape: .referenceSmall, sequenceLength: 512)
        case .decode:
            var shape = ModelShape.llama3_2_1B
            shape.layerCount = 1
            return DecodeCostModel(shape: shape)
        }
    }

    /// The multi-layer model: decode → SmolLM2-135M truncated to `layers`; reference → SMALL with `layers` layers.
    public static func multiLayerModel(_ kind: CostModelKind, layers: Int) -> any CostModel {
        switch kind {
        case .reference:
            var shape = ModelShape.referenceSmall
            shape.layerCount = layers
            return ReferenceCostModel(shape: shape, sequenceLength: 512)
        case .decode:
            var shape = ModelShape.smolLM2_135M
            shape.layerCount = layers
            return DecodeCostModel(shape: shape)
        }
    }

    static func instanceSeed(_ seed: UInt64, devices: Int, index: Int, multiLayer: Bool) -> UInt64 {
        var g = SeededGenerator(seed: seed).derived("small-scale/\(multiLayer ? "multi" : "single")/\(devices)/\(index)")
        return g.next()
    }

    /// One instance: every planner decides at each position from its own previous placement; the optimum of each
    /// request is computed by the exact planner.
    static func runInstance(
        model: any CostModel, cluster: Cluster, config: Configuration, seed: UInt64, names: [String], planners: [any Planner],
        exact: ExactPlanner, into acc: inout SmallScaleAccumulator
    ) {
        var previous: [Placement?] = Array(repeating: nil, count: planners.count)
        var failed = Array(repeating: false, count: planners.count)
        for (step, t) in config.positions.enumerated() {
            let state = SmallScaleInstances.state(cluster: cluster, seed: seed, step: step)
            let position = TokenPosition(promptLength: SmallScaleInstances.promptLength, generated: t)
            for (k, planner) in planners.enumerated() {
                guard !failed[k] else {
                    acc.count(names[k], \.skipped)
                    continue
                }
                acc.count(names[k], \.decisions)
                let request = PlanningRequest(costModel: model, state: state, position: position, previous: previous[k])
                let start = ContinuousClock.now
                let plan = try? planner.plan(request)
                let elapsed = ContinuousClock.now - start
                let ms = elapsed.inSeconds * 1e3
                guard let plan, plan.evaluation.isFeasible else {
                    acc.count(names[k], \.failures)
                    failed[k] = true
                    continue
                }
                previous[k] = plan.placement
                let optimum = k == 0 ? plan.objective.value : (try? exact.plan(request))?.objective.value
                guard let optimum, optimum > 0 else {
                    acc.count(names[k], \.unscored)
                    continue
                }
                acc.add(names[k], ratio: plan.objective.value / optimum, milliseconds: ms)
            }
        }
    }
}
