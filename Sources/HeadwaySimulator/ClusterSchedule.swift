public import HeadwayCore

/// The cluster as it evolves token by token. A schedule is deterministic: `state(at:)` is a pure lookup.
public protocol ClusterSchedule: Sendable {
    var cluster: Cluster { get }
    /// The state in force while token `token` (0-based decode step) is generated.
    func state(at token: Int) -> ClusterState
}

/// A cluster that never changes.
public struct NominalSchedule: ClusterSchedule {
    public let cluster: Cluster
    private let nominal: ClusterState
    public init(cluster: Cluster) {
        self.cluster = cluster
        nominal = cluster.nominalState
    }
    public func state(at token: Int) -> ClusterState { nominal }
}

/// A schedule given step by step (the neutral reference format's per-step background); the last state holds after
/// the list ends.
public struct ExplicitSchedule: ClusterSchedule {
    public let cluster: Cluster
    public let states: [ClusterState]
    public init(cluster: Cluster, states: [ClusterState]) {
        precondition(!states.isEmpty, "an explicit schedule needs at least one state")
        self.cluster = cluster
        self.states = states
    }
    public func state(at token: Int) -> ClusterState { states[Swift.min(Swift.max(token, 0), states.count - 1)] }
}

extension ClusterTimeline: ClusterSchedule {}
