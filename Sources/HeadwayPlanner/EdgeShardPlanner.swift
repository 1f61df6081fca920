public import HeadwayCore

/// EdgeShard (Zhang et al., arXiv 2405.14371; baselines.md §2) as a planner: the model is cut into contiguous ranges
/// of layers ("shards"), each on one device of a chosen subset, the first range on the controller (EdgeShard's source
/// device). A range becomes a `Placement` by putting every block of its layers (attention groups with their K/V
/// caches, projection, FFN) on the range's device. For a single-layer model the chain [attention, projection, FFN]
/// takes the place of layers (`EdgeShardChain`).
///
/// - **Objective.** `.latency` (default; the latency-optimal DP, for per-token comparisons) or `.throughput` (the
///   pipeline-bottleneck DP over a candidate set of at most `throughputDevices` devices: the controller and the
///   devices that run the whole chain fastest). Both DPs use the cost model's demands, execution times and transfers,
///   so the latency DP's prediction equals `evaluate` of its placement (`Plan.notes["predicted_latency_s"]`).
/// - **Memory.** Checked at planning time with every unit's demand at the current length (default, `kvTokens = 0`:
///   what EdgeShard's offline profiling sees, which lets the K/V cache overflow later) or at a context of
///   `kvTokens` tokens (room reserved for the cache up to that length).
/// - **Once.** EdgeShard plans offline and keeps its partition: with `request.previous` set the previous placement is
///   returned unchanged (like `StaticPlanner`), so when the growing cache overflows a device the simulator records
///   the step as infeasible. With `replanOnOverflow` it re-runs the DP when the placement in force no longer fits, and
///   the plan carries the migration that costs.
public struct EdgeShardPlanner: Planner {
    public let name = "edgeshard"
    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    public struct Options: Sendable, Hashable {
        public enum Objective: Sendable, Hashable { case latency, throughput }
        public var objective: Objective
        /// Context length (tokens) the K/V caches are sized for at planning time; 0 = the current length.
        public var kvTokens: Int
        /// Re-plan when the placement in force no longer fits, instead of keeping it.
        public var replanOnOverflow: Bool
        /// Candidate devices of the throughput DP (exponential in this number).
        public var throughputDevices: Int

        public init(objective: Objective = .latency, kvTokens: Int = 0, replanOnOverflow: Bool = false, throughputDevices: Int = 8) {
            self.objective = objective
            self.kvTokens = kvTokens
            self.replanOnOverflow = replanOnOverflow
            self.throughputDevices = throughputDevices
        }

        /// Keys: `objective` (0 = latency, 1 = throughput), `kv_tokens` (0 = current length), `replan_on_overflow`
        /// (0/1), `throughput_devices` (1...16).
        public init(_ values: [String: Double]) throws(PlannerError) {
            let v = try LayeredOptions(planner: "edgeshard", values,
                known: ["objective", "kv_tokens", "replan_on_overflow", "throughput_devices"])
            self.init(
                objective: try v.flag("objective") ? .throughput : .latency,
                kvTokens: try v.integer("kv_tokens", default: 0, in: 0...100_000_000),
                replanOnOverflow: try v.flag("replan_on_overflow"),
                throughputDevices: try v.integer("throughput_devices", default: 8, in: 1...16))
        }
    }

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        if let previous = request.previous {
            let keep = !options.replanOnOverflow
                || request.costModel.evaluate(previous, on: request.state, at: request.position).isFeasible
            if keep { return Plan(placement: previous, request: request) }
        }
        let solution = try partition(request)
        let chain = EdgeShardChain(request: request, sizing: sizingPosition(request))
        let placement = chain.placement(of: solution.assignment, blockCount: request.layout.count)
        return Plan(placement: placement, request: request, notes: [
            "predicted_latency_s": solution.latency,
            "bottleneck_s": solution.bottleneck,
            "stages": Double(Self.stages(of: solution.assignment)),
            "devices_used": Double(Set(solution.assignment).count),
            "replanned": request.previous == nil ? 0 : 1,
        ])
    }

    /// The DP's answer for `request` (ignores `request.previous`).
    /// - Throws: `.infeasible` when no partition fits.
    public func partition(_ request: PlanningRequest) throws(PlannerError) -> EdgeShardDP.Solution {
        let chain = EdgeShardChain(request: request, sizing: sizingPosition(request))
        let solution: EdgeShardDP.Solution?
        switch options.objective {
        case .latency:
            solution = EdgeShardDP.latency(chain)
        case .throughput:
            solution = EdgeShardDP.throughput(chain, candidates: Self.candidates(chain, count: options.throughputDevices))
        }
        guard let solution else {
            let total = chain.memory.reduce(0, +)
            let free = chain.freeMemory.indices.filter { chain.online[$0] }.reduce(0.0) { $0 + max(chain.freeMemory[$1], 0) }
            throw PlannerError(.infeasible,
                "edgeshard: no contiguous partition of the \(chain.units.count) units of '\(request.costModel.shape.name)' "
                    + "fits (units need \(Bytes(total)) sized at \(sizingPosition(request).contextLength) tokens, "
                    + "online devices have \(Bytes(free)) free; the first unit \(chain.units[0]) needs "
                    + "\(Bytes(chain.memory[0])) on the controller, which has \(Bytes(max(chain.freeMemory[chain.controller], 0))))")
        }
        return solution
    }

    /// Where memory is checked: the request's position, or one whose context holds `kvTokens` tokens.
    public func sizingPosition(_ request: PlanningRequest) -> TokenPosition {
        let p = request.position
        guard options.kvTokens > 0 else { return p }
        return TokenPosition(promptLength: p.promptLength, generated: max(p.generated, options.kvTokens - p.promptLength - 1))
    }

    /// The controller first, then the online devices that run the whole chain fastest (ties: lower index).
    static func candidates(_ chain: EdgeShardChain, count: Int) -> [Int] {
        let others = (0..<chain.deviceCount).filter { $0 != chain.controller && chain.online[$0] }
        let total = others.map { j in (0..<chain.units.count).reduce(0.0) { $0 + chain.time($1, on: j) } }
        let ranked = others.indices.sorted { total[$0] != total[$1] ? total[$0] < total[$1] : others[$0] < others[$1] }
        return [chain.controller] + ranked.prefix(max(count - 1, 0)).map { others[$0] }
    }

    static func stages(of assignment: [Int]) -> Int {
        zip(assignment, assignment.dropFirst()).reduce(assignment.isEmpty ? 0 : 1) { $0 + ($1.0 != $1.1 ? 1 : 0) }
    }
}

/// Option parsing shared by the layer-based baselines (EdgeShard, Galaxy).
struct LayeredOptions {
    let planner: String
    let values: [String: Double]

    init(planner: String, _ values: [String: Double], known: Set<String>) throws(PlannerError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw PlannerError(.invalidArgument,
                "\(planner): unknown option '\(key)'; known: \(known.sorted().joined(separator: ", "))")
        }
        self.planner = planner
        self.values = values
    }

    func flag(_ key: String) throws(PlannerError) -> Bool {
        guard let v = values[key] else { return false }
        guard v == 0 || v == 1 else { throw PlannerError(.invalidArgument, "\(planner): option '\(key)' must be 0 or 1, got \(v)") }
        return v == 1
    }

    func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(PlannerError) -> Int {
        guard let v = values[key] else { return fallback }
        guard v.isFinite, v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            throw PlannerError(.invalidArgument,
                "\(planner): option '\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        return Int(v)
    }
}
