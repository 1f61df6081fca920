public import HeadwayCore
public import HeadwayEngine

/// How a coordinator runs a sequence.
public struct CoordinatorOptions: Sendable {
    /// Planner name (`PlannerRegistry`).
    public var planner = "headway"
    /// Re-plan from live measurements every this many generated tokens (0: plan once).
    public var replanEvery = 0
    /// Move at least one attention block every this many tokens (0: only as planned), for tests and demos.
    public var forceMigrationEvery = 0
    public var contextLength = 2048
    public var cacheFormat = KVCacheFormat.standard
    /// Use this placement instead of planning (tests, benchmarks); re-planning may still move away from it.
    public var fixedPlacement: Placement?
    /// Seconds to wait for any reply before declaring a worker unresponsive.
    public var timeout = 30.0
    /// Whether the coordinator's own device may hold blocks (it always holds the embedding and LM head).
    public var coordinatorHoldsBlocks = true
    /// Pre-copy stages before a move gives up (Llumnix's default is 3).
    public var maxStages = 3
    /// A final copy of at most this many positions is short enough to switch.
    public var finalStagePositions = 16
    /// Send the attention fan's activations in the receiving product's Q8 form (`Q8Rows`) where that is exact: a
    /// layer's normalized input to a worker of the coordinator's kernel set, and head outputs (any kernel set) to
    /// the projection. Off: everything in F32 (for comparisons).
    public var quantizedActivations = true
    /// Progress lines (worker joined, plan, migration...).
    public var log: @Sendable (String) -> Void = { _ in }
    public init() {}
}
