/// Planners by the names used on the CLI and in scenario files. Names are case-insensitive and `_` equals `-`
/// (`resource_aware` = `resource-aware`).
public enum PlannerRegistry {
    /// Canonical names of the registered planners.
    public static var names: [String] {
        ["edgeshard", "exact", "galaxy", "greedy", "headway", "resource-aware", "round-robin", "static"]
    }

    /// - Parameter options: planner options (`resource-aware`, `edgeshard`, `galaxy`; see their `Options`).
    /// - Throws: `.invalidArgument` for an unknown name or option.
    public static func planner(named name: String, options: [String: Double] = [:]) throws(PlannerError) -> any Planner {
        let key = name.lowercased().replacingUnderscores()
        switch key {
        case "resource-aware":
            return ResourceAwarePlanner(options: try ResourceAwarePlanner.Options(options))
        case "edgeshard":
            return EdgeShardPlanner(options: try EdgeShardPlanner.Options(options))
        case "galaxy":
            return GalaxyPlanner(options: try GalaxyPlanner.Options(options))
        case "exact", "exact-optimal":
            try reject(options, except: ["time_limit_s", "node_limit"], planner: "exact")
            let seconds = options["time_limit_s"] ?? 60
            guard seconds > 0, seconds.isFinite else {
                throw PlannerError(.invalidArgument, "exact: option 'time_limit_s' must be > 0, got \(seconds)")
            }
            let nodes = options["node_limit"].map { Int(max(1, min($0, 1e15))) }
            return ExactPlanner(timeLimit: .milliseconds(Int64(seconds * 1000)), nodeLimit: nodes)
        case "headway":
            try reject(
                options, except: ["max_rounds", "swaps", "myopic", "horizon_tokens", "history", "history_multiple", "forecast", "margin"],
                planner: "headway")
            let rounds = options["max_rounds"] ?? 50
            guard rounds >= 0, rounds <= 1e6 else {
                throw PlannerError(.invalidArgument, "headway: option 'max_rounds' must be in 0...1000000, got \(rounds)")
            }
            for flag in ["myopic", "history", "forecast"] {
                if let m = options[flag], m != 0, m != 1 {
                    throw PlannerError(.invalidArgument, "headway: option '\(flag)' must be 0 or 1, got \(m)")
                }
            }
            var cap: Int?
            if let h = options["horizon_tokens"] {
                guard h >= 1, h <= 1e9, h == h.rounded() else {
                    throw PlannerError(.invalidArgument, "headway: option 'horizon_tokens' must be an integer in 1...1000000000, got \(h)")
                }
                cap = Int(h)
            }
            let margin = options["margin"] ?? LocalSearchPlanner.defaultMargin
            guard margin >= 0, margin < 1 else {
                throw PlannerError(.invalidArgument, "headway: option 'margin' must be in [0, 1), got \(margin)")
            }
            // `history: 1` (default) caps the horizon at `history_multiple` (default 10) × the expected tokens between
            // cluster changes; `history: 0` lifts the cap (H = all the tokens left).
            let multiple = try historyMultiple(options["history_multiple"])
            let history = (options["history"] ?? 1) == 1
            return LocalSearchPlanner(
                maxRounds: Int(rounds), swaps: (options["swaps"] ?? 1) != 0, myopic: (options["myopic"] ?? 0) == 1,
                horizonTokens: cap, historyMultiple: history ? multiple : nil,
                forecast: (options["forecast"] ?? 1) == 1, margin: margin)
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

private func historyMultiple(_ value: Double?) throws(PlannerError) -> Double {
    guard let value else { return 10 }
    guard value >= 1, value <= 1e6 else {
        throw PlannerError(.invalidArgument, "headway: option 'history_multiple' must be in 1...1000000, got \(value)")
    }
    return value
}

/// Throws `.invalidArgument` naming the first option not in `allowed`.
private func reject(_ options: [String: Double], except allowed: Set<String>, planner: String) throws(PlannerError) {
    if let extra = options.keys.sorted().first(where: { !allowed.contains($0) }) {
        throw PlannerError(.invalidArgument,
            "\(planner): unknown option '\(extra)'; known: \(allowed.sorted().joined(separator: ", "))")
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
