import HeadwayCore

/// The reference simulator's round-robin baseline (reference-simulator.md §4.3), generalised to multi-layer models:
/// a cursor cycles over the devices in list order, starting at device 0 at every decision; blocks go in layout order
/// (per layer: attention groups, projection, FFN). Each block tries up to D devices starting at the cursor and takes
/// the first where it fits (`ResourceLedger`); the cursor advances by one after **every attempt**, successful or not.
/// Ignores `request.previous`.
public struct RoundRobinPlanner: Planner {
    public let name = "round-robin"
    public init() {}

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        var ledger = ResourceLedger(request: request)
        let cm = request.costModel
        let n = request.state.count
        var cursor = 0
        var devices = Array(repeating: 0, count: request.layout.count)
        for b in devices.indices {
            let demand = cm.demand(of: b, at: request.position)
            var chosen = -1
            for _ in 0..<n {
                let j = cursor
                cursor = (cursor + 1) % n
                if ledger.canHost(demand, on: j) {
                    chosen = j
                    break
                }
            }
            guard chosen >= 0 else {
                throw PlacementChecks.noFit(block: b, demand: demand, ledger: ledger, request: request, planner: name)
            }
            ledger.host(demand, on: chosen)
            devices[b] = chosen
        }
        return Plan(placement: Placement(devices: devices), request: request)
    }
}
