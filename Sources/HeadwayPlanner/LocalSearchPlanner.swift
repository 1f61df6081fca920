import HeadwayCore

/// Headway's own planner (CLI name `headway`). Every block, layer by layer and attention blocks first, goes to the
/// device that increases the objective the least given the blocks already placed; then a local search moves single
/// blocks to their best device and, when no move helps, swaps pairs of blocks on different devices, while the
/// objective improves (at most `maxRounds` rounds).
///
/// The objective weighs a migration's one-time delay against its per-token gain over a horizon of H tokens:
/// per-token latency + migration delay / H, i.e. the time of the next H tokens divided by H. H is the number of
/// tokens still to generate (`PlanningRequest.remainingTokens`), capped at `historyMultiple` (default 10) × the
/// expected tokens until the cluster next changes (`PlanningRequest.tokensPerChange`, from the cluster's history)
/// unless `useHistory` is off, and at `horizonTokens` when set. The multiple is there because not every change undoes
/// a move's gain (a departed device comes back, a slowdown hits one link); where the cluster changes every token
/// (bandwidth resampled per token) the cap keeps H near 10 and the planner does not chase noise; 1 (the paper's myopic rule: one token's latency + the migration) when `myopic` is on or
/// the request gives no remaining tokens. The plan
/// reports the true migration delay; H is in its notes (`horizon_tokens`). With H > 1 and a previous placement the
/// planner also plans afresh and keeps whichever result has the lower amortized objective (`fresh_start` in notes).
/// Memory (and, in the reference model, the compute budget) is respected throughout. Supports `DecodeCostModel` and
/// `ReferenceCostModel`.
public struct LocalSearchPlanner: Planner {
    public let name = "headway"
    /// Upper bound on improvement rounds (each: a pass of moves over all blocks, or a pass of swaps).
    public var maxRounds: Int
    /// Whether to try pairwise swaps when no single move improves.
    public var swaps: Bool
    /// The paper's myopic rule: a migration is weighed against one token's latency (H = 1).
    public var myopic: Bool
    /// Upper bound on the horizon H, tokens (nil: all the tokens still to generate).
    public var horizonTokens: Int?
    /// Cap H at `historyMultiple` × the expected tokens until the cluster next changes, when the request gives it.
    public var useHistory: Bool
    public var historyMultiple: Double

    public init(
        maxRounds: Int = 50, swaps: Bool = true, myopic: Bool = false, horizonTokens: Int? = nil, useHistory: Bool = true,
        historyMultiple: Double = 10
    ) {
        self.historyMultiple = historyMultiple
        self.maxRounds = maxRounds
        self.swaps = swaps
        self.myopic = myopic
        self.horizonTokens = horizonTokens
        self.useHistory = useHistory
    }

    /// The horizon H (tokens) this planner amortizes a migration over for `request`.
    public func horizon(for request: PlanningRequest) -> Int {
        if myopic { return 1 }
        var h = max(request.remainingTokens ?? 1, 1)
        if useHistory, let expected = request.tokensPerChange, expected.isFinite {
            h = min(h, max(1, Int(min(expected * historyMultiple, 1e9).rounded(.down))))
        }
        return min(h, horizonTokens ?? h)
    }

    /// - Throws: `.unsupported` for other cost models; `.infeasible` when no placement within memory was found.
    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        let h = horizon(for: request)
        let tables = try LocalSearchTables(request: request, migrationWeight: 1 / Double(h))
        var found = LocalSearchCore.solve(tables, maxRounds: maxRounds, swaps: swaps)
        var fresh = false
        // With a horizon, also plan afresh (as if nothing were placed) and take that placement, searched on from, when
        // it beats the search from the previous one on the amortized objective: a placement far better for the
        // tokens left is never out of reach because the moves to it look dear one at a time.
        if h > 1, request.previous != nil {
            var bare = request
            bare.previous = nil
            if let f = LocalSearchCore.solve(try LocalSearchTables(request: bare), maxRounds: maxRounds, swaps: swaps) {
                var state = LocalSearchState(tables: tables, devices: f.devices)
                if state.isFeasible && state.objective < (found?.objective ?? .infinity) {
                    let improved = LocalSearchCore.improve(&state, maxRounds: maxRounds, swaps: swaps)
                    if improved.objective < (found?.objective ?? .infinity) {
                        found = improved
                        fresh = true
                    }
                }
            }
        }
        guard let r = found else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        var notes: [String: Double] = [
            "rounds": Double(r.rounds), "moves": Double(r.moves), "swaps": Double(r.swaps), "objective_s": r.objective,
            "constructed": r.constructed ? 1 : 0, "horizon_tokens": Double(h), "fresh_start": fresh ? 1 : 0,
        ]
        let state = LocalSearchState(tables: tables, devices: r.devices)
        guard state.isFeasible else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        notes["feasible"] = 1
        return Plan(placement: Placement(devices: r.devices), request: request, notes: notes)
    }
}
