public import HeadwayCore

/// The paper's resource-aware partitioning algorithm (paper.md §3, "Algorithm 1"), implemented as the paper
/// describes it, not as the authors' simulator does it (which scores against nominal capacity and therefore puts every
/// block on one device). Every choice the paper leaves open is fixed here:
///
/// **Order.** Layer by layer; within a layer the attention blocks (one per K/V group, with its cache) by decreasing
/// memory (stable: group index on ties), then the projection, then the FFN.
///
/// **Score.** For block i and device j, over the capacity *still free in this pass*:
/// `S(i,j) = max(memory, compute, comm)` (paper mode) or `α·compute + β·memory + γ·comm` (weighted-sum mode), where
/// - `memory = m_i / M_j`: the block's resident memory (weights, K/V cache, buffers; `CostModel.demand`) over the
///   memory still free on j (`ResourceLedger`: the state's memory minus the controller's fixed share minus the blocks
///   already placed in this pass);
/// - `compute = (Q_j + e_ij) / T`: e_ij is the block's execution time on j (`CostModel.executionTime`; FLOPs over
///   compute, and for the decode model the max with bytes read over memory bandwidth), Q_j the execution time already
///   queued on j in the same phase (the attention blocks of the same layer on j; projection and FFN are alone in their
///   phase, Q_j = 0);
/// - `comm = (K_j + c_ij) / T`: c_ij is the transfer time the block adds given where its producers and consumers sit
///   (`BlockDataFlow` gives the volumes of each cost model; a transfer costs path latency + bytes / bandwidth, the
///   latency only where the cost model charges it). Consumers not yet placed are *anticipated* at the layer's anchor:
///   the device holding the layer's input (the controller for layer 0, else the previous layer's FFN device).
///   An attention block adds the layer input sent from the anchor (once per device and layer) and its output sent to
///   the anchor (the message latency once per device and layer, the bytes per block); K_j is what the layer's
///   attention blocks already placed on j added. The projection's comm is the gather of the head outputs from where
///   they were placed (parallel: the slowest device's message, plus the residual from the anchor under the decode
///   model; serialised: the sum, under the reference model) plus its output to the anchor. The FFN's comm is the
///   projection output it receives, plus the return to the controller after the last layer (decode model).
/// - `T` is the per-layer time budget: `Options.budget`, or by default the time one layer takes when the fastest
///   online device runs all blocks (Σ_i e_ij over the model / layers, minimised over j), times `budgetScale`.
///
/// **Feasibility.** j is feasible for i iff the ledger can host the block there (online, memory, and the per-step FLOP
/// budget under the reference model), j is not excluded for i by backtracking, and `S(i,j) ≤ 1`. The lowest feasible
/// score wins; ties go to the first device in list order. Because Q_j and K_j grow as a device fills, parallel
/// attention blocks spread over devices while that pays.
///
/// **Migration** (the paper: blocks move "taking the migration cost into account", so that inference plus migration
/// delay stays low). A block whose previous device can still hold it (online, memory, not excluded) stays there
/// unless the estimated gain of the best device, `T · (max(compute, comm) at the previous device − the same at the
/// best device)` (the block's phase time saved), exceeds the cost model's `migrationDelay` of moving that block alone.
/// This holds even when the previous device's time terms exceed the budget: T is our choice, and letting it force
/// moves made the planner ship ~100 MB FFN blocks for a few ms of gain (`forceOverBudgetMoves` restores that rule;
/// docs/cost-models.md gives its measured effect).
///
/// **Verification and backtracking.** When a block has no feasible device and some device could hold it but scores
/// above 1 (time terms over budget), the budget is treated as soft: T is doubled and the pass restarts (at most
/// `maxBudgetDoublings` times). When no device can hold it (memory or FLOP budget), the search backjumps: it undoes
/// placements from the most recent one until undoing a block frees room for the conflicting block on that block's
/// device, excludes that device for that block and continues with its next-best device. A complete placement is
/// verified with the cost model's full `evaluate`; a violation undoes back to the last block placed on the violating
/// device and excludes it there. The search stops after `maxIterations` block choices or `timeLimit`; when a cap is
/// hit the best feasible placement found is returned — the previous placement if it is still feasible — else
/// `.infeasible`. With no caps hit, the result is deterministic (same request, same plan).
///
/// **Cost.** Demands and execution times are computed once per call (one row per distinct demand); the pass keeps
/// per-device running sums in flat arrays, so a pass costs O(blocks × devices) score evaluations plus one full
/// evaluation for verification.
public struct ResourceAwarePlanner: Planner {
    public let name = "resource-aware"
    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Tuning of the resource-aware planner.
    public struct Options: Sendable, Hashable {
        public enum Scoring: Sendable, Hashable {
            /// The paper's `max(memory, compute, comm)`.
            case max
            /// `α·compute + β·memory + γ·comm` (the authors' defaults are α 0.4, β 0.3, γ 0.3).
            case weightedSum(alpha: Double, beta: Double, gamma: Double)
        }
        public var scoring: Scoring
        /// Per-layer time budget T; nil derives it from the request (see the type's documentation).
        public var budget: Seconds?
        /// Cap on block choices (each scores one block on every device), restarts and backtracks included.
        public var maxIterations: Int
        /// Cap on wall-clock time of one call. Only when it binds can two identical requests give different plans.
        public var timeLimit: Seconds
        /// How many times the time budget may be doubled when no placement meets it.
        public var maxBudgetDoublings: Int
        /// Multiplier on the automatic budget T (ignored when `budget` is set); the studies report 1, 2 and 4.
        public var budgetScale: Double
        /// Move a block off a previous device whose score exceeds 1 whatever the migration costs (our earlier rule).
        public var forceOverBudgetMoves: Bool

        public init(
            scoring: Scoring = .max, budget: Seconds? = nil, maxIterations: Int = 50_000,
            timeLimit: Seconds = Seconds(0.05), maxBudgetDoublings: Int = 64, budgetScale: Double = 1,
            forceOverBudgetMoves: Bool = false
        ) {
            self.budgetScale = budgetScale
            self.forceOverBudgetMoves = forceOverBudgetMoves
            self.scoring = scoring
            self.budget = budget
            self.maxIterations = maxIterations
            self.timeLimit = timeLimit
            self.maxBudgetDoublings = maxBudgetDoublings
        }

        /// Keys (as on the CLI): `weighted` (1 = weighted-sum scoring), `alpha`, `beta`, `gamma`, `budget` (seconds;
        /// 0 = automatic), `budget_scale` (multiplier on the automatic budget), `force_over_budget_moves` (0/1),
        /// `max_iterations`, `time_limit` (seconds), `max_budget_doublings`.
        public init(_ values: [String: Double]) throws(PlannerError) {
            self.init()
            let known: Set<String> = [
                "weighted", "alpha", "beta", "gamma", "budget", "max_iterations", "time_limit", "max_budget_doublings",
                "budget_scale", "force_over_budget_moves",
            ]
            for key in values.keys.sorted() where !known.contains(key) {
                throw PlannerError(.invalidArgument,
                    "resource-aware: unknown option '\(key)'; known: \(known.sorted().joined(separator: ", "))")
            }
            func value(_ key: String, _ fallback: Double, _ valid: (Double) -> Bool, _ rule: String) throws(PlannerError) -> Double {
                guard let v = values[key] else { return fallback }
                guard v.isFinite, valid(v) else {
                    throw PlannerError(.invalidArgument, "resource-aware: option '\(key)' must be \(rule), got \(v)")
                }
                return v
            }
            let weighted = try value("weighted", 0, { $0 == 0 || $0 == 1 }, "0 or 1")
            let alpha = try value("alpha", 0.4, { $0 >= 0 }, ">= 0")
            let beta = try value("beta", 0.3, { $0 >= 0 }, ">= 0")
            let gamma = try value("gamma", 0.3, { $0 >= 0 }, ">= 0")
            if weighted == 1 {
                scoring = .weightedSum(alpha: alpha, beta: beta, gamma: gamma)
            } else if values["alpha"] != nil || values["beta"] != nil || values["gamma"] != nil {
                throw PlannerError(.invalidArgument, "resource-aware: options 'alpha', 'beta', 'gamma' need 'weighted' = 1")
            }
            let budget = try value("budget", 0, { $0 >= 0 }, ">= 0 seconds")
            self.budget = budget > 0 ? Seconds(budget) : nil
            maxIterations = Int(try value("max_iterations", Double(maxIterations), { $0 >= 1 && $0 <= 1e12 }, "in 1...1e12"))
            timeLimit = Seconds(try value("time_limit", timeLimit.value, { $0 > 0 }, "> 0 seconds"))
            budgetScale = try value("budget_scale", 1, { $0 > 0 && $0 <= 1e6 }, "in (0, 1e6]")
            forceOverBudgetMoves = try value("force_over_budget_moves", 0, { $0 == 0 || $0 == 1 }, "0 or 1") == 1
            maxBudgetDoublings = Int(try value("max_budget_doublings", Double(maxBudgetDoublings), { $0 >= 0 && $0 <= 1000 }, "in 0...1000"))
        }
    }

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        var search = try ResourceAwareSearch(request: request, options: options)
        if let placement = try search.run() {
            return Plan(placement: placement, request: request, notes: search.notes(capped: false))
        }
        // Caps hit without a verified placement: the previous placement is the best feasible one known.
        if let previous = request.previous,
            request.costModel.evaluate(previous, on: request.state, at: request.position).isFeasible
        {
            return Plan(placement: previous, request: request, notes: search.notes(capped: true))
        }
        throw PlannerError(.infeasible,
            "resource-aware: the search hit its caps (\(search.iterations) iterations of \(options.maxIterations), "
                + "time limit \(options.timeLimit)) without a feasible placement")
    }
}
