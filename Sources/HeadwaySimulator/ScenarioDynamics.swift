import HeadwayCore

/// Reads the `dynamics` section of a scenario into a schedule builder.
enum ScenarioDynamics {
    static func read(_ node: ScenarioNode, baseDirectory: String) throws
        -> @Sendable (Cluster, UInt64, Int) throws -> any ClusterSchedule
    {
        throw node.error(.unsupported, "is not supported yet")
    }
}
