import HeadwayCore

/// The reference simulator's static baseline (reference-simulator.md §4.4): the greedy placement at the first
/// decision, then that placement for ever. Being pure, it reads "ever" from the request: when `request.previous` is
/// set it is returned unchanged (no migration), even if it no longer fits; the plan's evaluation then reports the
/// violations. With no previous placement it behaves exactly like `GreedyPlanner`.
public struct StaticPlanner: Planner {
    public let name = "static"
    public init() {}

    public func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        try PlacementChecks.validatePrevious(request)
        if let previous = request.previous { return Plan(placement: previous, request: request) }
        return Plan(placement: try GreedyPlanner.place(request, planner: name), request: request)
    }
}
