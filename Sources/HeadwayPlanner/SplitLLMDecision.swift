public import HeadwayCore

/// What a SplitLLM strategy decided for one request. A request whose SLA no split meets (or none the strategy can
/// find) is reported with `accepted == false` and a `reason`, never dropped.
public struct SplitDecision: Hashable, Sendable, Codable {
    /// Strategy name (`dp`, `exact`, `server-only`, `greedy`, `greedy-ratio`, `single-cut`).
    public var planner: String
    public var accepted: Bool
    /// Why the request was rejected (nil when accepted).
    public var reason: String?
    /// Side of every unit (`embedding`, `L0`…, `lm_head`); empty when rejected.
    public var assignment: [SplitLLMSide]
    /// End-to-end latency of the split, without queueing (nil when rejected).
    public var latency: Seconds?
    /// Server work of the split (FLOPs; nil when rejected).
    public var serverWork: FLOPs?
    /// Unloaded server busy time of the split (nil when rejected).
    public var serverTime: Seconds?
    /// Weights the client holds (nil when rejected).
    public var clientWeights: Bytes?
    /// Client/server switches, ends and wrap included (nil when rejected).
    public var switches: Int?
    public var sla: Seconds

    /// An accepted split, with its costs evaluated on `costs`.
    public init(planner: String, assignment: [SplitLLMSide], costs: SplitLLMCosts, sla: Seconds) {
        self.planner = planner
        accepted = true
        reason = nil
        self.assignment = assignment
        latency = costs.latency(of: assignment)
        serverWork = costs.serverWork(of: assignment)
        serverTime = costs.serverTime(of: assignment)
        clientWeights = costs.clientWeights(of: assignment)
        switches = costs.switches(of: assignment)
        self.sla = sla
    }

    /// A rejection.
    public init(planner: String, rejectedBecause reason: String, sla: Seconds) {
        self.planner = planner
        accepted = false
        self.reason = reason
        assignment = []
        latency = nil
        serverWork = nil
        serverTime = nil
        clientWeights = nil
        switches = nil
        self.sla = sla
    }

    /// Units on the client.
    public var clientUnitCount: Int { assignment.filter { $0 == .client }.count }
    /// `CCSS…` rendering (empty when rejected).
    public var pattern: String { assignment.splitLLMPattern }
}
