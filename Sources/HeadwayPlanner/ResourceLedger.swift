public import HeadwayCore

/// Capacity still free on each device during one planning pass: memory (after the controller's fixed share) and,
/// for cost models with a per-step compute budget (the reference model), FLOPs.
public struct ResourceLedger: Sendable {
    public private(set) var freeMemory: [Double]
    public private(set) var freeFLOPs: [Double]
    public let enforcesComputeBudget: Bool
    public let online: [Bool]

    public init(request: PlanningRequest) {
        let state = request.state
        var memory = state.memory.map(\.value)
        memory[state.cluster.controller] -= request.costModel.controllerMemory(at: request.position).value
        freeMemory = memory
        enforcesComputeBudget = request.costModel is ReferenceCostModel
        freeFLOPs = enforcesComputeBudget ? state.compute.map(\.value) : Array(repeating: .infinity, count: state.count)
        online = state.online
    }

    /// Whether `demand` fits on `device` with what is still free.
    @inlinable public func canHost(_ demand: BlockDemand, on device: Int) -> Bool {
        online[device] && demand.memory.value <= freeMemory[device] && demand.flops.value <= freeFLOPs[device]
    }

    public mutating func host(_ demand: BlockDemand, on device: Int) {
        freeMemory[device] -= demand.memory.value
        if enforcesComputeBudget { freeFLOPs[device] -= demand.flops.value }
    }

    public mutating func release(_ demand: BlockDemand, on device: Int) {
        freeMemory[device] += demand.memory.value
        if enforcesComputeBudget { freeFLOPs[device] += demand.flops.value }
    }
}
