public import HeadwayCore

/// Everything a planner may look at when it decides a placement for one interval: the model and its cost model,
/// the cluster as it is now, where generation stands, and the placement in force (nil at the first decision).
public struct PlanningRequest: Sendable {
    public var costModel: any CostModel
    public var state: ClusterState
    public var position: TokenPosition
    public var previous: Placement?
    /// Decode steps still to run, this one included, when the caller knows (the simulator does): the horizon over
    /// which a planner may weigh a migration's one-time cost against its per-token gain.
    public var remainingTokens: Int?
    /// Expected tokens until the cluster next changes, estimated from its history (`ClusterChangeTracker`), when
    /// the caller tracks it.
    public var tokensPerChange: Double?
    /// The cluster's capacities observed so far, for a forecast over the planner's horizon (`CapacityForecast`), when
    /// the caller keeps one (the simulator does). Without it a planner takes the state of now to hold.
    public var forecast: CapacityForecast?
    public init(
        costModel: any CostModel, state: ClusterState, position: TokenPosition, previous: Placement? = nil,
        remainingTokens: Int? = nil
    ) {
        self.costModel = costModel
        self.state = state
        self.position = position
        self.previous = previous
        self.remainingTokens = remainingTokens
    }
    public var layout: BlockLayout { costModel.layout }
}

/// A planner's decision and what it costs.
public struct Plan: Sendable {
    public var placement: Placement
    /// Cost of one decode step under `placement`.
    public var evaluation: Evaluation
    /// Delay of migrating from the previous placement (zero at the first decision).
    public var migrationDelay: Seconds
    /// Blocks that move.
    public var migrated: [Int]
    /// Bytes that migration sends over links.
    public var migrationBytes: Bytes
    /// Weight bytes that migration reads locally (not sent over links).
    public var migrationLocalBytes: Bytes
    /// Planner-specific notes for reports (iterations, backtracks, proven optimality gap...).
    public var notes: [String: Double]

    /// Assembles a plan by evaluating `placement` with the request's cost model.
    public init(placement: Placement, request: PlanningRequest, notes: [String: Double] = [:]) {
        self.placement = placement
        let cm = request.costModel
        evaluation = cm.evaluate(placement, on: request.state, at: request.position)
        if let previous = request.previous {
            migrated = placement.moved(from: previous)
            migrationDelay = migrated.isEmpty ? .zero
                : cm.migrationDelay(from: previous, to: placement, on: request.state, at: request.position)
            migrationBytes = migrated.isEmpty ? .zero
                : cm.migrationBytes(from: previous, to: placement, on: request.state, at: request.position)
            migrationLocalBytes = migrated.isEmpty ? .zero
                : cm.migrationLocalBytes(from: previous, to: placement, on: request.state, at: request.position)
        } else {
            migrated = []
            migrationDelay = .zero
            migrationBytes = .zero
            migrationLocalBytes = .zero
        }
        self.notes = notes
    }

    /// The myopic objective: inference latency plus migration delay.
    public var objective: Seconds { evaluation.latency + migrationDelay }
}

/// A planner is a pure function of the request: same request, same plan. Planners that place once and never move
/// (static, EdgeShard, Galaxy) return `request.previous` unchanged when there is one.
public protocol Planner: Sendable {
    /// Name as on the CLI (`resource-aware`, `greedy`, `round-robin`, `static`, `exact`, ...).
    var name: String { get }
    /// - Throws: `PlannerError` with code `.infeasible` when no placement satisfies the constraints.
    func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan
}

/// The one error type of HeadwayPlanner.
public struct PlannerError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// No placement satisfies memory (and, in the reference model, compute-budget) constraints.
        public static let infeasible = Code("infeasible")
        /// The planner does not support this model or cost model.
        public static let unsupported = Code("unsupported")
        /// Unknown planner name or bad option.
        public static let invalidArgument = Code("invalid-argument")
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(message) [\(code)]" }
}

