import HeadwayCore

/// The reference simulator's greedy baseline (reference-simulator.md §4.2), generalised to multi-layer models:
/// blocks in layout order (per layer: attention groups, projection, FFN), each to the **first device in list order**
/// where it fits with what is still free (`ResourceLedger`: memory, plus the per-step FLOP budget under the
/// reference cost model). No look-ahead, no backtracking, no regard for latency. Ignores `request.previous`.
public struct GreedyPlanner: Planner {
    public let name = "greedy"
    public init() {}

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        return Plan(placement: try Self.place(request, planner: name), request: request)
    }

    /// The greedy placement itself (also the static planner's first decision).
    static func place(_ request: PlanningRequest, planner: String) throws(PlannerError) -> Placement {
        var ledger = ResourceLedger(request: request)
        let cm = request.costModel
        let n = request.state.count
        var devices = Array(repeating: 0, count: request.layout.count)
        for b in devices.indices {
            let demand = cm.demand(of: b, at: request.position)
            guard let j = (0..<n).first(where: { ledger.canHost(demand, on: $0) }) else {
                throw PlacementChecks.noFit(block: b, demand: demand, ledger: ledger, request: request, planner: planner)
            }
            ledger.host(demand, on: j)
            devices[b] = j
        }
        return Placement(devices: devices)
    }
}
