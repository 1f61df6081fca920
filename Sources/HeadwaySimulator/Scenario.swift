public import HeadwayCore
public import HeadwayPlanner

/// A planner to run, with its label in reports and its options.
public struct PlannerSpec: Sendable, Hashable {
    public var name: String
    public var label: String
    public var options: [String: Double]
    public init(name: String, label: String? = nil, options: [String: Double] = [:]) {
        self.name = name
        self.label = label ?? name
        self.options = options
    }
}

/// How the cluster is obtained for a seed: given explicitly, or drawn by a generator.
public enum ClusterSource: Sendable {
    case explicit(Cluster)
    /// Draws a cluster for a seed.
    case generated(@Sendable (UInt64) throws -> Cluster)
}

/// Where a scenario keeps the model file for migrations (`cost_model.weights`).
public enum WeightSourceSpec: Sendable, Hashable {
    /// The controller serves weights over the network.
    case controller
    /// The named device serves them.
    case holder(String)
    /// Every device reads its own copy, at this many GB/s (nil: its memory bandwidth).
    case localCopy(gigabytesPerSecond: Double?)
}

/// Everything a simulation needs: model, cost model, cluster and its dynamics, generation length, re-plan interval,
/// planners, seeds. Loaded from a JSON or YAML file by `ScenarioLoader`, or built in code.
public struct Scenario: Sendable {
    public var name: String
    public var shape: ModelShape
    public var costModelKind: CostModelKind
    /// DecodeCostModel: devices already keep the model file, so migrations move only K/V caches.
    public var weightsPreloaded: Bool {
        get { if case .localCopy = weights { true } else { false } }
        set { weights = newValue ? .localCopy(gigabytesPerSecond: nil) : .controller }
    }
    /// DecodeCostModel: where moved or rebuilt blocks' weights come from (the same for every planner).
    public var weights: WeightSourceSpec = .controller
    /// `DecodeCostModel.serializedSends` (a sensitivity setting of the decode model; default off).
    public var serializedSends = false
    /// ReferenceCostModel: sequence length s, whether it grows per step, FFN FLOPs factor.
    public var referenceSequenceLength: Int?
    public var referenceIncrementSequence: Bool
    public var referenceFFNFactor: Double
    public var cluster: ClusterSource
    /// Builds the schedule (dynamics) of a cluster for a seed; nil = the cluster never changes.
    public var dynamics: (@Sendable (Cluster, UInt64, Int) throws -> any ClusterSchedule)?
    public var settings: SimulationSettings
    public var planners: [PlannerSpec]
    public var seeds: [UInt64]

    public init(
        name: String, shape: ModelShape, costModelKind: CostModelKind = .decode, weightsPreloaded: Bool = false,
        referenceSequenceLength: Int? = nil, referenceIncrementSequence: Bool = false, referenceFFNFactor: Double = 0.8,
        cluster: ClusterSource, dynamics: (@Sendable (Cluster, UInt64, Int) throws -> any ClusterSchedule)? = nil,
        settings: SimulationSettings, planners: [PlannerSpec], seeds: [UInt64] = [1]
    ) {
        self.name = name
        self.shape = shape
        self.costModelKind = costModelKind
        self.weights = weightsPreloaded ? .localCopy(gigabytesPerSecond: nil) : .controller
        self.referenceSequenceLength = referenceSequenceLength
        self.referenceIncrementSequence = referenceIncrementSequence
        self.referenceFFNFactor = referenceFFNFactor
        self.cluster = cluster
        self.dynamics = dynamics
        self.settings = settings
        self.planners = planners
        self.seeds = seeds
    }

    /// The cost model the scenario names. A named weight holder is looked up in `cluster` (the controller without one).
    /// - Throws: `SimulatorError` when the holder is not a device of `cluster`.
    public func makeCostModel(cluster: Cluster? = nil) throws -> any CostModel {
        switch costModelKind {
        case .decode:
            let source: WeightSource
            switch weights {
            case .controller: source = .controller
            case .localCopy(let gbs): source = .localCopy(bandwidth: gbs.map { BytesPerSecond(gigabytesPerSecond: $0) })
            case .holder(let id):
                if let cluster {
                    guard let i = cluster.devices.firstIndex(where: { $0.id == id }) else {
                        throw CoreError(.invalidValue,
                            "\(name): cost_model.weights.holder: no device '\(id)' in the cluster; devices: "
                                + cluster.devices.map(\.id).joined(separator: ", "))
                    }
                    source = .holder(i)
                } else {
                    source = .controller
                }
            }
            var model = DecodeCostModel(shape: shape, weightSource: source)
            model.serializedSends = serializedSends
            return model
        case .reference:
            return ReferenceCostModel(
                shape: shape, sequenceLength: referenceSequenceLength ?? settings.promptLength,
                incrementSequence: referenceIncrementSequence, ffnFLOPsFactor: referenceFFNFactor)
        }
    }

    /// The cluster for a seed.
    public func makeCluster(seed: UInt64) throws -> Cluster {
        switch cluster {
        case .explicit(let c): return c
        case .generated(let make): return try make(seed)
        }
    }

    /// The cluster schedule for a seed.
    public func makeSchedule(seed: UInt64) throws -> any ClusterSchedule {
        let c = try makeCluster(seed: seed)
        if let dynamics { return try dynamics(c, seed, settings.tokens) }
        return NominalSchedule(cluster: c)
    }
}
