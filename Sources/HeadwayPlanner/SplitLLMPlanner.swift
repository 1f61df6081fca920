public import HeadwayCore

/// SplitLLM (Mudvari, Jiang, Tassiulas, arXiv 2410.10759) as a planner: for one request, put each unit on the client
/// or the server so that the **server's work is least** while the end-to-end latency stays within the SLA Λ.
/// Locations may switch back and forth along the chain. The reconstruction is in the project notes
/// (research/baselines.md §1); the choices that are ours are in the comments of `SplitLLMRequest` and `SplitLLMTimeDP`.
///
/// It does not conform to `Planner`: that protocol places blocks on a multi-device cluster for one decode step,
/// while SplitLLM decides one two-sided split per request over its whole lifetime (prefill and all decode steps).
///
/// Strategies:
/// - `dp`: the time-discretised DP (`timeSteps` ticks over Λ, times rounded up: never violates the SLA it accepts).
/// - `exact`: the Pareto-label oracle, no rounding (optimal for the real-valued instance).
/// - `server-only`: every unit on the server (the workload reference).
/// - `greedy` (G1, greedy prefix offload): from all-server, move units 0, 1, 2, … to the client while the split still
///   meets the SLA (and the client memory cap); stop at the first move that does not. One cut (plus the wrap).
/// - `greedy-ratio` (G2): from all-server, repeatedly move the server unit with the largest
///   `serverWork / Δlatency` (moves that do not add latency first, largest work first) among moves that keep the SLA and
///   memory; stop when no move saves work feasibly.
/// - `single-cut`: the best of the K+1 prefix splits (units 0..<k on the client).
/// G1 and G2 start from all-server, so they reject a request whose server-only latency misses the SLA.
public struct SplitLLMPlanner: Sendable, Hashable {
    public enum Strategy: String, CaseIterable, Sendable, Codable, Hashable {
        case dp
        case exact
        case serverOnly = "server-only"
        case greedy
        case greedyRatio = "greedy-ratio"
        case singleCut = "single-cut"

        /// Looks a strategy up by its CLI name.
        public init(named name: String) throws(PlannerError) {
            guard let s = Strategy(rawValue: name.lowercased()) else {
                throw PlannerError(.invalidArgument,
                    "unknown SplitLLM planner '\(name)'; known: \(Strategy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = s
        }
    }

    public var strategy: Strategy
    /// Ticks over the SLA for `dp` (Δ = Λ / timeSteps).
    public var timeSteps: Int
    /// Quanta over the client memory cap for `dp` when a cap is given.
    public var memorySteps: Int

    public init(_ strategy: Strategy = .dp, timeSteps: Int = 4000, memorySteps: Int = 128) {
        self.strategy = strategy
        self.timeSteps = timeSteps
        self.memorySteps = memorySteps
    }

    public var name: String { strategy.rawValue }

    /// Decides a split for `request` (its client's `memory`, if any, is the memory cap).
    public func decide(_ request: SplitLLMRequest) throws(PlannerError) -> SplitDecision {
        try decide(request.costs(), sla: request.sla, clientMemory: request.client.memory)
    }

    /// Decides a split for an instance. Throws `.invalidArgument` for malformed costs, SLA or options; an SLA that no
    /// split meets is a rejection in the returned decision, not an error.
    public func decide(_ costs: SplitLLMCosts, sla: Seconds, clientMemory: Bytes? = nil) throws(PlannerError) -> SplitDecision {
        try costs.validate()
        guard sla.value > 0, sla.value.isFinite else {
            throw PlannerError(.invalidArgument, "SplitLLM: SLA must be positive and finite, got \(sla.value) s")
        }
        guard timeSteps >= 1, timeSteps <= 10_000_000 else {
            throw PlannerError(.invalidArgument, "SplitLLM: timeSteps must be in 1...10000000, got \(timeSteps)")
        }
        guard memorySteps >= 1, memorySteps <= 100_000 else {
            throw PlannerError(.invalidArgument, "SplitLLM: memorySteps must be in 1...100000, got \(memorySteps)")
        }
        if let m = clientMemory, !(m.value >= 0) {
            throw PlannerError(.invalidArgument, "SplitLLM: client memory cap must be non-negative, got \(m.value)")
        }
        let cap = clientMemory?.value ?? .infinity
        func fits(_ a: [SplitLLMSide]) -> Bool {
            costs.latency(of: a).value <= sla.value && costs.clientWeights(of: a).value <= cap
        }
        let allServer = Array(repeating: SplitLLMSide.server, count: costs.count)
        let serverOnlyLatency = costs.latency(of: allServer)
        func reject(_ why: String) -> SplitDecision {
            SplitDecision(planner: name, rejectedBecause: why, sla: sla)
        }
        let capText = clientMemory.map { " and client memory cap \($0)" } ?? ""

        let found: [SplitLLMSide]?
        switch strategy {
        case .dp:
            found = SplitLLMTimeDP.solve(costs, sla: sla, memoryCap: clientMemory, timeSteps: timeSteps, memorySteps: memorySteps)
            if found == nil {
                return reject("no split meets the SLA \(sla)\(capText) at \(timeSteps) time steps "
                    + "(server-only latency \(serverOnlyLatency))")
            }
        case .exact:
            found = SplitLLMParetoDP.solve(costs, sla: sla, memoryCap: clientMemory)
            if found == nil {
                return reject("no split meets the SLA \(sla)\(capText) (server-only latency \(serverOnlyLatency))")
            }
        case .serverOnly, .greedy, .greedyRatio:
            guard fits(allServer) else {
                return reject("server-only latency \(serverOnlyLatency) exceeds the SLA \(sla); \(name) starts from server-only")
            }
            switch strategy {
            case .greedy: found = greedyPrefix(costs, fits: fits)
            case .greedyRatio: found = greedyRatio(costs, fits: fits)
            default: found = allServer
            }
        case .singleCut:
            found = bestSingleCut(costs, fits: fits)
            if found == nil { return reject("no prefix split meets the SLA \(sla)\(capText)") }
        }
        guard let assignment = found else { return reject("no split found") }
        return SplitDecision(planner: name, assignment: assignment, costs: costs, sla: sla)
    }

    // MARK: Baselines

    /// G1: grow the client prefix while it fits; stop at the first misfit.
    func greedyPrefix(_ c: SplitLLMCosts, fits: ([SplitLLMSide]) -> Bool) -> [SplitLLMSide] {
        var a = Array(repeating: SplitLLMSide.server, count: c.count)
        var best = a
        for i in 0..<c.count {
            a[i] = .client
            guard fits(a) else { break }
            best = a
        }
        return best
    }

    /// G2: repeatedly take the feasible move with the best work saved per latency added.
    func greedyRatio(_ c: SplitLLMCosts, fits: ([SplitLLMSide]) -> Bool) -> [SplitLLMSide] {
        var a = Array(repeating: SplitLLMSide.server, count: c.count)
        while true {
            let now = c.latency(of: a).value
            var chosen: Int? = nil
            var chosenFree = false
            var chosenScore = -Double.infinity
            for i in 0..<c.count where a[i] == .server {
                let w = c.units[i].serverWork.value
                guard w > 0 else { continue }
                var b = a
                b[i] = .client
                guard fits(b) else { continue }
                let added = c.latency(of: b).value - now
                let free = added <= 0
                let score = free ? w : w / added
                if (free && !chosenFree) || (free == chosenFree && score > chosenScore) {
                    chosen = i
                    chosenFree = free
                    chosenScore = score
                }
            }
            guard let i = chosen else { return a }
            a[i] = .client
        }
    }

    /// The least-work feasible prefix split, or nil.
    func bestSingleCut(_ c: SplitLLMCosts, fits: ([SplitLLMSide]) -> Bool) -> [SplitLLMSide]? {
        var best: [SplitLLMSide]? = nil
        var bestWork = Double.infinity
        for k in 0...c.count {
            let a = (0..<c.count).map { $0 < k ? SplitLLMSide.client : .server }
            guard fits(a) else { continue }
            let w = c.serverWork(of: a).value
            if w < bestWork {
                best = a
                bestWork = w
            }
        }
        return best
    }
}
