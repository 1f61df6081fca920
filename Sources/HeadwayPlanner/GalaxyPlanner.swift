import HeadwayCore

/// Galaxy (Ye et al., INFOCOM 2024; baselines.md §3) as a planner, at block granularity for attention and with its
/// tensor-parallel FFN.
///
/// - **Group.** Online devices are ranked by the time one whole layer takes on them (fastest first; ties: lower
///   index). For every k = 1...`maxGroup` the top k form a candidate group; the planner keeps the group whose placement
///   has the least latency under the request's cost model (the same model every planner is scored with). The group
///   is chosen once.
/// - **Attention (heads / K/V groups).** Per layer, each attention block goes to the group member whose finish time
///   (blocks already there + 1) × its time per block is least among the members that can still hold it
///   (`ResourceLedger`): the min–max allocation that Galaxy's capability-proportional split approximates, repaired
///   for memory by skipping members that are full.
/// - **Projection.** W_O (with the connective step) goes whole to the member that runs it fastest among those that
///   can still hold it; that member also holds the layer's residual (the FFN block's device).
/// - **FFN, split by columns** (`splitFFN`, the default, as Galaxy runs its MLP): the FFN's intermediate columns are
///   dealt in groups of `columnGroup` columns, each to the member whose finish time (groups already there + 1) × its
///   time per group is least among the members with memory left for one more group: the same min–max, memory-repaired
///   allocation. The placement records the fractions (`Placement.feedForwardSplit`), and the cost model charges the
///   scatter of the FFN input to the members and the gather of their partial sums. Cost models that cannot charge a
///   split (the reference model) get the FFN whole on the projection's member, as does `splitFFN = false`.
/// - **Memory** at the current length (default) or at `kvTokens` tokens, as for EdgeShard.
/// - **Once.** With `request.previous` the previous placement is returned (re-planned only with `replanOnOverflow`
///   when it no longer fits).
public struct GalaxyPlanner: Planner {
    public let name = "galaxy"
    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    public struct Options: Sendable, Hashable {
        /// Largest group considered; 0 = every online device.
        public var maxGroup: Int
        public var kvTokens: Int
        public var replanOnOverflow: Bool
        /// Split each FFN by columns over the group (Galaxy's MLP tensor parallelism).
        public var splitFFN: Bool
        /// Columns per unit of the FFN split.
        public var columnGroup: Int

        public init(maxGroup: Int = 0, kvTokens: Int = 0, replanOnOverflow: Bool = false, splitFFN: Bool = true,
                    columnGroup: Int = 64) {
            self.maxGroup = maxGroup
            self.kvTokens = kvTokens
            self.replanOnOverflow = replanOnOverflow
            self.splitFFN = splitFFN
            self.columnGroup = columnGroup
        }

        /// Keys: `max_group` (0 = all), `kv_tokens` (0 = current length), `replan_on_overflow` (0/1),
        /// `split_ffn` (0/1, default 1), `column_group` (columns per unit of the FFN split, default 64).
        public init(_ values: [String: Double]) throws(PlannerError) {
            let v = try LayeredOptions(planner: "galaxy", values,
                known: ["max_group", "kv_tokens", "replan_on_overflow", "split_ffn", "column_group"])
            let split = values["split_ffn"] == nil ? true : try v.flag("split_ffn")
            self.init(
                maxGroup: try v.integer("max_group", default: 0, in: 0...100_000),
                kvTokens: try v.integer("kv_tokens", default: 0, in: 0...100_000_000),
                replanOnOverflow: try v.flag("replan_on_overflow"),
                splitFFN: split,
                columnGroup: try v.integer("column_group", default: 64, in: 1...1_000_000))
        }
    }

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        if let previous = request.previous {
            let keep = !options.replanOnOverflow || request.costModel.evaluate(previous, on: request.state, at: request.position).isFeasible
            if keep { return Plan(placement: previous, request: request, notes: notes(previous, groupSize: nil)) }
        }
        let (placement, size) = try place(request)
        return Plan(placement: placement, request: request, notes: notes(placement, groupSize: size))
    }

    private func notes(_ placement: Placement, groupSize: Int?) -> [String: Double] {
        var notes: [String: Double] = ["ffn_split": placement.feedForwardSplit == nil ? 0 : 1]
        if let groupSize { notes["group_size"] = Double(groupSize) }
        return notes
    }

    /// The best placement over candidate group sizes, and that size. Scored with the request's cost model.
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
        let projection = cm.demand(of: layout.projectionIndex(layer: 0), at: request.position)
        let projectionTime = group.map { cm.executionTime(of: projection, on: $0, in: state).value }
        let split = options.splitFFN && cm.supportsFeedForwardSplit && group.count > 1
        var shares: [[ColumnShare]] = []
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
            let whole = !split
            let both = whole ? BlockDemand(
                memory: dp.memory + df.memory, flops: dp.flops + df.flops, bytesRead: dp.bytesRead + df.bytesRead,
                weights: dp.weights + df.weights, state: dp.state + df.state) : dp
            var pick = -1
            for m in group.indices where ledger.canHost(both, on: group[m]) {
                if pick < 0 || (whole ? ffnTime[m] < ffnTime[pick] : projectionTime[m] < projectionTime[pick]) { pick = m }
            }
            guard pick >= 0 else { return nil }
            ledger.host(both, on: group[pick])
            devices[p] = group[pick]
            devices[f] = group[pick]
            if split {
                // Column groups, one at a time, to the member that would finish its share first (memory permitting).
                let units = max(1, (cm.shape.ffnDim + options.columnGroup - 1) / options.columnGroup)
                let unit = Self.scaled(df, 1 / Double(units))
                var count = Array(repeating: 0, count: group.count)
                for _ in 0..<units {
                    var best = -1
                    for m in group.indices where ledger.canHost(unit, on: group[m]) {
                        if best < 0 || Double(count[m] + 1) * ffnTime[m] < Double(count[best] + 1) * ffnTime[best] { best = m }
                    }
                    guard best >= 0 else { return nil }
                    ledger.host(unit, on: group[best])
                    count[best] += 1
                }
                shares.append(group.indices.filter { count[$0] > 0 }.map {
                    ColumnShare(device: group[$0], fraction: Double(count[$0]) / Double(units))
                })
            }
        }
        return Placement(devices: devices, feedForwardSplit: split ? shares : nil)
    }

    static func scaled(_ d: BlockDemand, _ k: Double) -> BlockDemand {
        BlockDemand(memory: d.memory * k, flops: d.flops * k, bytesRead: d.bytesRead * k, weights: d.weights * k, state: d.state * k)
    }
}
