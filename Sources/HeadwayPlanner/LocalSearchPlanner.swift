import HeadwayCore

/// Headway's own planner (CLI name `headway`). Every block, layer by layer and attention blocks first, goes to the
/// device that increases the myopic objective (per-token latency + migration delay from the previous placement) the
/// least given the blocks already placed; then a local search moves single blocks to their best device and, when no
/// move helps, swaps pairs of blocks on different devices, while the objective improves (at most `maxRounds` rounds).
/// Memory (and, in the reference model, the compute budget) is respected throughout. Supports `DecodeCostModel` and
/// `ReferenceCostModel`.
public struct LocalSearchPlanner: Planner {
    public let name = "headway"
    /// Upper bound on improvement rounds (each: a pass of moves over all blocks, or a pass of swaps).
    public var maxRounds: Int
    /// Whether to try pairwise swaps when no single move improves.
    public var swaps: Bool

    public init(maxRounds: Int = 50, swaps: Bool = true) {
        self.maxRounds = maxRounds
        self.swaps = swaps
    }

    /// - Throws: `.unsupported` for other cost models; `.infeasible` when no placement within memory was found.
    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        let tables = try LocalSearchTables(request: request)
        guard let r = LocalSearchCore.solve(tables, maxRounds: maxRounds, swaps: swaps) else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        var notes: [String: Double] = [
            "rounds": Double(r.rounds), "moves": Double(r.moves), "swaps": Double(r.swaps), "objective_s": r.objective,
            "constructed": r.constructed ? 1 : 0,
        ]
        let state = LocalSearchState(tables: tables, devices: r.devices)
        guard state.isFeasible else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        notes["feasible"] = 1
        return Plan(placement: Placement(devices: r.devices), request: request, notes: notes)
    }
}
