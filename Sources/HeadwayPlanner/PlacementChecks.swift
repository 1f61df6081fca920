import HeadwayCore

/// Shared request checks and error messages of the planners in this module.
enum PlacementChecks {
    /// Throws `.invalidArgument` when `request.previous` does not describe the request's model.
    static func validatePrevious(_ request: PlanningRequest) throws(PlannerError) {
        guard let previous = request.previous else { return }
        let blocks = request.layout.count
        guard previous.count == blocks else {
            throw PlannerError(.invalidArgument,
                "previous placement has \(previous.count) blocks, the model '\(request.costModel.shape.name)' has \(blocks)")
        }
        let n = request.state.count
        if let bad = previous.devices.firstIndex(where: { $0 < 0 || $0 >= n }) {
            throw PlannerError(.invalidArgument,
                "previous placement puts block \(request.layout.name(of: bad)) on device index \(previous[bad]), "
                    + "the cluster has \(n) devices")
        }
    }

    /// The `.infeasible` error for a block that fits on no online device.
    static func noFit(
        block: Int, demand: BlockDemand, ledger: ResourceLedger, request: PlanningRequest, planner: String
    ) -> PlannerError {
        var best = -1
        for j in ledger.freeMemory.indices where ledger.online[j] {
            if best < 0 || ledger.freeMemory[j] > ledger.freeMemory[best] { best = j }
        }
        let largest = best < 0
            ? "no device is online"
            : "largest free memory is \(Bytes(max(ledger.freeMemory[best], 0))) on "
                + "'\(request.state.cluster.devices[best].id)'"
        var message = "\(planner): block \(request.layout.name(of: block)) needs \(demand.memory)"
        if ledger.enforcesComputeBudget { message += " and \(demand.flops) per step" }
        return PlannerError(.infeasible, message + "; it fits on no online device (\(largest))")
    }
}
