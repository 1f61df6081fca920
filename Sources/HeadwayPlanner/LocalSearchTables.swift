import HeadwayCore

/// What the headway planner looks up while it searches: the placement-independent cost tables of `ExactCostTables`
/// (latency terms, demands, free memory) and the migration charges of every block to every device
/// (`MigrationTables`, per block kind and previous device, so building them costs O(kinds · devices²) charges).
struct LocalSearchTables {
    /// Latency terms, demands, memory and migration.
    let base: ExactCostTables
    let previous: [Int]?
    /// Per block and target device: delay of moving the block there alone (0 for its previous device).
    let migration: [Double]
    let migrationTables: MigrationTables
    /// Online devices, ascending.
    let usableDevices: [Int]

    init(_ tables: ExactCostTables) {
        base = tables
        previous = tables.previous
        migration = tables.migration
        migrationTables = tables.migrationTables
        usableDevices = (0..<tables.n).filter { tables.usable[$0] }
    }

    /// - Parameter timing: the state the latency terms use (nil: the request's; see `ExactCostTables`).
    init(request: PlanningRequest, migrationWeight: Double = 1, timing: ClusterState? = nil) throws(PlannerError) {
        self.init(try ExactCostTables(request: request, migrationWeight: migrationWeight, timing: timing))
    }
}
