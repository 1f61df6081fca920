public import HeadwayCore

/// Galaxy (Ye et al., INFOCOM 2024; baselines.md §3) as a planner, adapted to block granularity.
///
/// - **Group.** Online devices are ranked by the time one whole layer takes on them (fastest first; ties: lower
///   index). For every k = 1...`maxGroup` the top k form a candidate group; the planner keeps the group whose placement
///   has the least predicted latency under `GalaxyCostModel` (collectives included). The group is chosen once.
/// - **Attention (heads / K/V groups).** Per layer, each attention block goes to the group member whose finish time
///   (blocks already there + 1) × its time per block is least among the members that can still hold it
///   (`ResourceLedger`): the min–max allocation that Galaxy's capability-proportional split approximates, repaired
///   for memory by skipping members that are full.
/// - **FFN.** Our blocks cannot split one FFN over devices, so the FFN of each layer (with the projection, Galaxy's
///   row-parallel W_O and connective step) goes to one member: the one that runs it fastest among those that can
///   still hold it (memory repair spills later layers to the next-fastest). This favours Galaxy: a round-robin over
///   the members would put some FFNs on slow devices. The collective communication Galaxy's tensor parallelism adds is
///   charged by `GalaxyCostModel`; `splitFFN` credits the ideal FFN split as a what-if.
/// - **Memory** at the current length (default) or at `kvTokens` tokens, as for EdgeShard.
/// - **Once.** With `request.previous` the previous placement is returned (re-planned only with `replanOnOverflow`
///   when it no longer fits). Every plan is evaluated with `GalaxyCostModel` wrapping the request's cost model, so a
///   simulator that takes the plan's evaluation at each re-planning step charges the collectives
///   (`notes["collective_s"]`).
public struct GalaxyPlanner: Planner {
    public let name = "galaxy"
    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    public struct Options: Sendable, Hashable {
        /// Largest group considered; 0 = every online device.
        public var maxGroup: Int
        public var kvTokens: Int
        public var replanOnOverflow: Bool
        public var allReducesPerLayer: Int
        public var splitFFN: Bool

        public init(maxGroup: Int = 0, kvTokens: Int = 0, replanOnOverflow: Bool = false, allReducesPerLayer: Int = 1,
                    splitFFN: Bool = false) {
            self.maxGroup = maxGroup
            self.kvTokens = kvTokens
            self.replanOnOverflow = replanOnOverflow
            self.allReducesPerLayer = allReducesPerLayer
            self.splitFFN = splitFFN
        }

        /// Keys: `max_group` (0 = all), `kv_tokens` (0 = current length), `replan_on_overflow` (0/1),
        /// `all_reduces_per_layer` (0...4), `split_ffn` (0/1).
        public init(_ values: [String: Double]) throws(PlannerError) {
            let v = try LayeredOptions(planner: "galaxy", values,
                known: ["max_group", "kv_tokens", "replan_on_overflow", "all_reduces_per_layer", "split_ffn"])
            self.init(
                maxGroup: try v.integer("max_group", default: 0, in: 0...100_000),
                kvTokens: try v.integer("kv_tokens", default: 0, in: 0...100_000_000),
                replanOnOverflow: try v.flag("replan_on_overflow"),
                allReducesPerLayer: try v.integer("all_reduces_per_layer", default: 1, in: 0...4),
                splitFFN: try v.flag("split_ffn"))
        }
    }

    /// The cost model Galaxy's plans are evaluated with (the request's, wrapped unless it already is).
    public func costModel(wrapping base: any CostModel) -> GalaxyCostModel {
        if let g = base as? GalaxyCostModel { return g }
        return GalaxyCostModel(base: base, allReducesPerLayer: options.allReducesPerLayer, splitFFN: options.splitFFN)
    }

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        var wrapped = request
        let galaxy = costModel(wrapping: request.costModel)
        wrapped.costModel = galaxy
        if let previous = request.previous {
            let keep = !options.replanOnOverflow || galaxy.evaluate(previous, on: request.state, at: request.position).isFeasible
            if keep { return plan(previous, wrapped, galaxy, groupSize: nil) }
        }
        let (placement, size) = try place(wrapped)
        return plan(placement, wrapped, galaxy, groupSize: size)
    }

    private func plan(_ placement: Placement, _ request: PlanningRequest, _ galaxy: GalaxyCostModel, groupSize: Int?) -> Plan {
        var notes = ["collective_s": galaxy.collectiveTime(placement, on: request.state, at: request.position)]
        if let groupSize { notes["group_size"] = Double(groupSize) }
        return Plan(placement: placement, request: request, notes: notes)
    }

    /// The best placement over candidate group sizes, and that size. `request.costModel` is the Galaxy cost model.
    func place(_ request: PlanningRequest) throws(PlannerError) -> (Placement, Int) {
        let cm = request.costModel
        let state = request.state
        let layout = request.layout
        let online = (0..<state.count).filter { state.online[$0] }
        let layerTime = online.map { j in
            layout.indices(ofLayer: 0).reduce(0.0) { $0 + cm.executionTime(of: cm.demand(of: $1, at: request.position), on: j, in: state).value }
        }
        let ranked = online.indices.sorted { layerTime[$0] != layerTime[$1] ? layerTime[$0] < layerTime[$1] : online[$0] < online[$1] }
            .map { online[$0] }
        let limit = options.maxGroup == 0 ? ranked.count : min(options.maxGroup, ranked.count)
        var best: (placement: Placement, latency: Double, size: Int)?
        for k in stride(from: 1, through: limit, by: 1) {
            guard let placement = assign(group: Array(ranked.prefix(k)), request) else { continue }
            let latency = cm.evaluate(placement, on: state, at: request.position).latency.value
            if best == nil || latency < best!.latency { best = (placement, latency, k) }
        }
        guard let best else {
            throw PlannerError(.infeasible,
                "galaxy: no group of the \(online.count) online devices (fastest first, up to \(limit)) holds "
                    + "'\(cm.shape.name)' with K/V caches sized at \(sizing(request).contextLength) tokens")
        }
        return (best.placement, best.size)
    }

    func sizing(_ request: PlanningRequest) -> TokenPosition {
        let p = request.position
        guard options.kvTokens > 0 else { return p }
        return TokenPosition(promptLength: p.promptLength, generated: max(p.generated, options.kvTokens - p.promptLength - 1))
    }

    /// Galaxy's split over one group, or nil when the group cannot hold the model.
    func assign(group: [Int], _ request: PlanningRequest) -> Placement? {
        let cm = request.costModel
        let state = request.state
        let layout = request.layout
        var sized = request
        sized.position = sizing(request)
        var ledger = ResourceLedger(request: sized)
        let attention = cm.demand(of: layout.attentionIndex(layer: 0, group: 0), at: request.position)
        let ffn = cm.demand(of: layout.feedForwardIndex(layer: 0), at: request.position)
        let attentionTime = group.map { cm.executionTime(of: attention, on: $0, in: state).value }
        let ffnTime = group.map { cm.executionTime(of: ffn, on: $0, in: state).value }
        var devices = Array(repeating: group[0], count: layout.count)
        for l in 0..<layout.layerCount {
            var count = Array(repeating: 0, count: group.count)
            for g in 0..<layout.groupsPerLayer {
                let b = layout.attentionIndex(layer: l, group: g)
                let demand = cm.demand(of: b, at: sized.position)
                var pick = -1
                for m in group.indices where ledger.canHost(demand, on: group[m]) {
                    if pick < 0 || Double(count[m] + 1) * attentionTime[m] < Double(count[pick] + 1) * attentionTime[pick] { pick = m }
                }
                guard pick >= 0 else { return nil }
                ledger.host(demand, on: group[pick])
                count[pick] += 1
                devices[b] = group[pick]
            }
            let p = layout.projectionIndex(layer: l)
            let f = layout.feedForwardIndex(layer: l)
            let dp = cm.demand(of: p, at: sized.position)
            let df = cm.demand(of: f, at: sized.position)
            let both = BlockDemand(
                memory: dp.memory + df.memory, flops: dp.flops + df.flops, bytesRead: dp.bytesRead + df.bytesRead,
                weights: dp.weights + df.weights, state: dp.state + df.state)
            var pick = -1
            for m in group.indices where ledger.canHost(both, on: group[m]) {
                if pick < 0 || ffnTime[m] < ffnTime[pick] { pick = m }
            }
            guard pick >= 0 else { return nil }
            ledger.host(dp, on: group[pick])
            ledger.host(df, on: group[pick])
            devices[p] = group[pick]
            devices[f] = group[pick]
        }
        return Placement(devices: devices)
    }
}

extension GalaxyPlanner: ExecutionCostModelProviding {
    public func executionCostModel(wrapping base: any CostModel) -> any CostModel { costModel(wrapping: base) }
}
