import HeadwayCore

/// Headway's own planner (CLI name `headway`). Every block, layer by layer and attention blocks first, goes to the
/// device that increases the objective the least given the blocks already placed; then a local search moves single
/// blocks to their best device and, when no move helps, swaps pairs of blocks on different devices, while the
/// objective improves (at most `maxRounds` rounds).
///
/// **Re-planning that pays back its moves.** A move's migration is paid once, its gain every token. The objective is
/// the forecast time of the next H tokens per token: per-token latency under the cluster's speeds forecast over those
/// H tokens (`CapacityForecast`, from the history the request carries: a capacity whose history rejects a random walk
/// regresses to its mean, one that holds keeps its value) plus migration delay / H. The horizon H is the tokens still
/// to generate (`PlanningRequest.remainingTokens`), capped at `historyMultiple` (default 10) × the expected tokens
/// until the cluster next changes (`PlanningRequest.tokensPerChange`, from its history; nil: no cap) and at
/// `horizonTokens` when set. Then the rule that makes a move pay back: **the planner moves only when the new placement
/// cuts the forecast time of the next H tokens, migration included, by more than `margin` (default 2%) against
/// staying put**; otherwise it keeps the previous placement (notes: `held`). A placement that no longer fits (a device
/// left, memory ran out) is always replaced. With H = 1 (a request without the tokens left) there is no margin.
///
/// `myopic` is the paper's rule: H = 1, today's speeds, no margin (one token's latency + the migration). With H > 1 and
/// a previous placement the planner also plans afresh and keeps whichever result has the lower objective
/// (`fresh_start` in notes), so a placement far better for the tokens left is never out of reach. The plan reports the
/// true latency (today's speeds) and migration delay; its notes carry `horizon_tokens`, `forecast` (1 when the speeds
/// were forecast), `held` and `saving_s` (forecast per-token saving of the move taken or declined, migration included).
/// Memory (and, in the reference model, the compute budget) is respected throughout. Supports `DecodeCostModel` and
/// `ReferenceCostModel`.
public struct LocalSearchPlanner: Planner {
    public let name = "headway"
    /// Upper bound on improvement rounds (each: a pass of moves over all blocks, or a pass of swaps).
    public var maxRounds: Int
    /// Whether to try pairwise swaps when no single move improves.
    public var swaps: Bool
    /// The paper's myopic rule: a migration is weighed against one token's latency (H = 1, no forecast, no margin).
    public var myopic: Bool
    /// Upper bound on the horizon H, tokens (nil: no fixed cap).
    public var horizonTokens: Int?
    /// Cap H at `historyMultiple` × the expected tokens until the cluster next changes, when the request gives it
    /// (nil: no such cap). Not every change undoes a move's gain (a departed device comes back, a slowdown hits one
    /// link), hence a multiple; 1 or 3 leave the churn study's placements stuck after departures (docs/cost-models.md).
    public var historyMultiple: Double?
    /// Weigh latencies under the speeds forecast over the horizon (when the request carries a `CapacityForecast`).
    public var forecast: Bool
    /// Fraction of the forecast per-token time the new placement must save, migration included, to be taken.
    public var margin: Double

    /// Default margin: 2% of the forecast time of the horizon (see docs/cost-models.md for how it was chosen).
    public static let defaultMargin = 0.02

    public init(
        maxRounds: Int = 50, swaps: Bool = true, myopic: Bool = false, horizonTokens: Int? = nil,
        historyMultiple: Double? = 10, forecast: Bool = true, margin: Double = LocalSearchPlanner.defaultMargin
    ) {
        self.maxRounds = maxRounds
        self.swaps = swaps
        self.myopic = myopic
        self.horizonTokens = horizonTokens
        self.historyMultiple = historyMultiple
        self.forecast = forecast
        self.margin = margin
    }

    /// The horizon H (tokens) this planner weighs a migration against for `request`.
    public func horizon(for request: PlanningRequest) -> Int {
        if myopic { return 1 }
        var h = max(request.remainingTokens ?? 1, 1)
        if let k = historyMultiple, let expected = request.tokensPerChange, expected.isFinite {
            h = min(h, max(1, Int(min(expected * k, 1e9).rounded(.down))))
        }
        return max(1, min(h, horizonTokens ?? h))
    }

    /// - Throws: `.unsupported` for other cost models; `.infeasible` when no placement within memory was found.
    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        let h = horizon(for: request)
        let timing = !myopic && forecast && h > 1 ? request.forecast?.forecast(request.state, horizon: h) : nil
        let tables = try LocalSearchTables(request: request, migrationWeight: 1 / Double(h), timing: timing)
        var found = LocalSearchCore.solve(tables, maxRounds: maxRounds, swaps: swaps)
        var fresh = false
        // With a horizon, also plan afresh (as if nothing were placed) and take that placement, searched on from, when
        // it beats the search from the previous one on the amortized objective: a placement far better for the
        // tokens left is never out of reach because the moves to it look dear one at a time.
        if h > 1, request.previous != nil {
            var bare = request
            bare.previous = nil
            let bareTables = try LocalSearchTables(request: bare, timing: timing)
            if let f = LocalSearchCore.solve(bareTables, maxRounds: maxRounds, swaps: swaps) {
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
        guard var r = found else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        // Move only when it pays back with a margin: the forecast time of the next H tokens (migration included) must
        // drop by more than `margin` of staying put's. With H = 1 (the myopic rule, or a request without the tokens
        // left) the objective is the paper's and is minimized as it is.
        var held = false
        var saving = 0.0
        if let previous = request.previous, previous.devices.count == r.devices.count {
            let stay = LocalSearchState(tables: tables, devices: previous.devices)
            if stay.isFeasible {
                saving = stay.objective - r.objective
                if r.devices != previous.devices, h > 1, saving <= margin * stay.objective {
                    r = LocalSearchCore.Result(
                        devices: previous.devices, objective: stay.objective, rounds: r.rounds, moves: 0, swaps: 0,
                        constructed: false)
                    held = true
                    fresh = false
                }
            }
        }
        var notes: [String: Double] = [
            "rounds": Double(r.rounds), "moves": Double(r.moves), "swaps": Double(r.swaps), "objective_s": r.objective,
            "constructed": r.constructed ? 1 : 0, "horizon_tokens": Double(h), "fresh_start": fresh ? 1 : 0,
            "forecast": timing == nil ? 0 : 1, "held": held ? 1 : 0, "saving_s": saving,
        ]
        let state = LocalSearchState(tables: tables, devices: r.devices)
        guard state.isFeasible else {
            throw PlannerError(.infeasible, "headway: no placement of the \(request.layout.count) blocks fits the devices' memory")
        }
        notes["feasible"] = 1
        return Plan(placement: Placement(devices: r.devices), request: request, notes: notes)
    }
}

