/// Planners by the names used on the CLI and in scenario files. Names are case-insensitive and `_` equals `-`
/// (`resource_aware` = `resource-aware`).
public enum PlannerRegistry {
    /// Canonical names of the registered planners.
    public static var names: [String] { ["greedy", "resource-aware", "round-robin", "static"] }

    /// - Parameter options: planner options (only `resource-aware` takes any; see `ResourceAwarePlanner.Options`).
    /// - Throws: `.invalidArgument` for an unknown name or option.
    public static func planner(named name: String, options: [String: Double] = [:]) throws(PlannerError) -> any Planner {
        let key = name.lowercased().replacingUnderscores()
        switch key {
        case "resource-aware":
            return ResourceAwarePlanner(options: try ResourceAwarePlanner.Options(options))
        case "greedy", "round-robin", "static":
            if let extra = options.keys.sorted().first {
                throw PlannerError(.invalidArgument, "\(key): takes no options, got '\(extra)'")
            }
            switch key {
            case "greedy": return GreedyPlanner()
            case "round-robin": return RoundRobinPlanner()
            default: return StaticPlanner()
            }
        default:
            throw PlannerError(.invalidArgument,
                "unknown planner '\(name)'; known: \(names.joined(separator: ", "))")
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
