import HeadwayCore

/// The proven per-interval optimum of the myopic objective (inference latency + migration delay from
/// `request.previous`) under memory and, in the reference model, compute-budget constraints. CLI name `exact`,
/// neutral-format name `exact_optimal`. Supports `DecodeCostModel` and `ReferenceCostModel`.
///
/// Branch and bound (`ExactSearch`): per layer the projection and FFN devices, then for each class of interchangeable
/// attention blocks (same previous device, or all of them at the first decision) how many go to each device. The
/// incumbent comes from `LocalSearchPlanner`'s heuristic. With a `timeLimit` or `nodeLimit` the search may stop early:
/// it then returns the best placement found and the proven lower bound.
///
/// `Plan.notes`: `optimal` (1 when proven), `gap` ((objective − bound) / objective), `lower_bound_s`, `nodes`,
/// `objective_s`, `incumbent_s` (the heuristic start).
public struct ExactPlanner: Planner {
    public let name = "exact"
    /// Name in the neutral result format shared with the reference simulator.
    public static let neutralName = "exact_optimal"
    /// Wall-clock limit of the search (nil: none). With a limit, the plan depends on the machine's speed.
    public var timeLimit: Duration?
    /// Limit on search nodes (nil: none); deterministic.
    public var nodeLimit: Int?

    public init(timeLimit: Duration? = nil, nodeLimit: Int? = nil) {
        self.timeLimit = timeLimit
        self.nodeLimit = nodeLimit
    }

    /// - Throws: `.unsupported` for other cost models; `.infeasible` when no placement satisfies the constraints
    ///   (or, with a limit, when none was found before it expired).
    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        let tables = try ExactCostTables(request: request)
        let start = ContinuousClock.now
        let heuristic = LocalSearchCore.solve(tables, maxRounds: 50, swaps: true)
        var search = ExactSearch(
            tables: tables, incumbent: heuristic?.devices, deadline: timeLimit.map { start + $0 },
            nodeLimit: nodeLimit ?? Int.max)
        search.run()
        guard let best = search.best else {
            throw PlannerError(.infeasible, search.aborted
                ? "exact: no feasible placement found within the limit (\(search.nodes) nodes)"
                : "exact: no placement of the \(request.layout.count) blocks satisfies the constraints")
        }
        let value = search.bestValue
        let bound = search.lowerBound
        let gap = value > 0 && value.isFinite ? max(0, (value - bound) / value) : 0
        // A stopped search is still a proof when every open subtree's bound is above the best placement found.
        let proven = !search.aborted || gap <= 1e-12
        let notes: [String: Double] = [
            "optimal": proven ? 1 : 0, "gap": proven ? 0 : gap, "lower_bound_s": bound,
            "nodes": Double(search.nodes), "objective_s": value, "incumbent_s": heuristic?.objective ?? .infinity,
        ]
        return Plan(placement: Placement(devices: best), request: request, notes: notes)
    }
}
