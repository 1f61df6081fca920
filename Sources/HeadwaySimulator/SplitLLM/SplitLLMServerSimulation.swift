import Foundation
import HeadwayCore
public import HeadwayPlanner

/// Latency percentiles (nearest rank) of completed requests, in seconds.
public struct SplitLLMLatencySummary: Hashable, Sendable, Codable {
    public var mean: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public init(_ samples: [Double]) {
        let s = samples.sorted()
        func rank(_ q: Double) -> Double {
            guard !s.isEmpty else { return 0 }
            return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
        }
        mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
    }
}

/// What one planner achieves in one simulated run.
public struct SplitLLMPlannerOutcome: Hashable, Sendable, Codable {
    public var planner: String
    public var arrivalRate: Double
    /// Requests that arrived.
    public var requests: Int
    public var accepted: Int
    /// Requests whose SLA the planner could not meet even without queueing (not served, reported here).
    public var rejected: Int
    /// Accepted requests that finished within the simulated horizon (the last arrival).
    public var completedInHorizon: Int
    /// Accepted requests whose own split misses their SLA even on an idle server (the planner broke its promise;
    /// 0 for every planner that checks the SLA, the DP included).
    public var slaViolations: Int
    /// Accepted requests whose latency **with queueing** exceeded their SLA (the planner accepted them assuming none).
    public var slaViolationsUnderLoad: Int
    /// Completed requests per second over the horizon.
    public var throughputRps: Double
    /// `capacity / E[server work per request]` over the mix: the arrival rate at which the server saturates.
    public var maxSustainableRps: Double
    /// Server FLOPs of all accepted requests in the run, and per arrived request.
    public var totalServerWork: Double
    public var meanServerWork: Double
    /// Offered load (arrival rate × mean work / capacity).
    public var utilisation: Double
    /// End-to-end latency with queueing, and without (the planner's own estimate).
    public var latency: SplitLLMLatencySummary
    public var unloadedLatency: SplitLLMLatencySummary
}

/// Server-side simulation of SplitLLM under a Poisson request stream.
///
/// Model (ours; the paper's evaluation setup was not recovered):
/// - Arrivals: a Poisson process (exponential gaps from a seeded xoshiro256** stream); each arrival draws a request
///   type and a client class from the mix. The draws are the same for every planner and every arrival rate (common
///   random numbers: gaps are unit exponentials divided by the rate).
/// - Each planner decides once per (type, client class); decisions are pure, so this is the same as per request.
/// - A rejected request is not served and counted in `rejected`.
/// - The server is a **processor-sharing** server of capacity `server.compute` FLOP/s with per-request rate caps: an
///   accepted request's server work W is one job that enters at its arrival and can run at most at `W / S₀` (S₀ = its
///   unloaded server time from the roofline, e.g. bandwidth-bound decode), so alone it takes exactly S₀; concurrent
///   jobs share the capacity max-min fairly (water-filling), as a batching server would. The request's client compute
///   and transfers (latency − S₀) do not contend and are added to its server sojourn time. Interleaving the server
///   segments with client segments is not modelled; the job is contiguous (a simplification: it does not change the
///   capacity, only the shape of queueing delay).
/// - An accepted request whose simulated latency exceeds its SLA counts as an SLA violation caused by queueing.
/// - Throughput: requests completed by the last arrival, divided by that time; and the workload bound
///   `capacity / E[W]` from the mix probabilities (`maxSustainableRps`).
public struct SplitLLMServerSimulation: Sendable {
    public let configuration: SplitLLMSimulationConfiguration
    /// Requests per (type, client class), SLA resolved.
    public let requests: [[SplitLLMRequest]]
    private let arrivals: [(gap: Double, type: Int, client: Int)]

    public init(_ configuration: SplitLLMSimulationConfiguration) throws(PlannerError) {
        try configuration.validate()
        self.configuration = configuration
        var rs: [[SplitLLMRequest]] = []
        for t in configuration.requestTypes.indices {
            var row: [SplitLLMRequest] = []
            for c in configuration.clientClasses.indices { row.append(try configuration.request(type: t, client: c)) }
            rs.append(row)
        }
        requests = rs
        var rng = SeededGenerator(seed: configuration.seed)
        let typeWeights = configuration.requestTypes.map(\.weight)
        let clientWeights = configuration.clientClasses.map(\.weight)
        arrivals = (0..<configuration.requestCount).map { _ in
            let gap = rng.exponential(mean: 1)
            return (gap, pick(typeWeights, &rng), pick(clientWeights, &rng))
        }
    }

    /// The planner's decision for every (type, client class).
    public func decisions(_ planner: SplitLLMPlanner) throws(PlannerError) -> [[SplitDecision]] {
        var out: [[SplitDecision]] = []
        for row in requests {
            var r: [SplitDecision] = []
            for req in row { r.append(try planner.decide(req)) }
            out.append(r)
        }
        return out
    }

    /// Expected server work per arriving request (rejected requests contribute nothing).
    public func expectedServerWork(_ decisions: [[SplitDecision]]) -> Double {
        var w = 0.0
        for t in decisions.indices {
            for c in decisions[t].indices {
                w += configuration.probability(type: t, client: c) * (decisions[t][c].serverWork?.value ?? 0)
            }
        }
        return w
    }

    /// Simulates `planner` at `arrivalRate` (default: the configuration's).
    public func run(_ planner: SplitLLMPlanner, arrivalRate: Double? = nil) throws(PlannerError) -> SplitLLMPlannerOutcome {
        try run(decisions: decisions(planner), planner: planner.name, arrivalRate: arrivalRate ?? configuration.arrivalRate)
    }

    /// Simulates precomputed decisions (what a sweep over arrival rates reuses).
    public func run(decisions: [[SplitDecision]], planner: String, arrivalRate: Double) throws(PlannerError) -> SplitLLMPlannerOutcome {
        guard arrivalRate > 0, arrivalRate.isFinite else {
            throw PlannerError(.invalidArgument, "SplitLLM simulation: arrival rate must be positive, got \(arrivalRate)")
        }
        let capacity = configuration.server.compute.value
        struct Job {
            var id: Int
            var work: Double
            var remaining: Double
            var cap: Double
        }
        var time = 0.0
        var arrivalTimes: [Double] = []
        arrivalTimes.reserveCapacity(arrivals.count)
        for a in arrivals {
            time += a.gap / arrivalRate
            arrivalTimes.append(time)
        }
        let horizon = arrivalTimes.last ?? 0
        var finish = Array(repeating: Double.nan, count: arrivals.count)
        var accepted = 0, rejected = 0
        var totalWork = 0.0
        var active: [Job] = []  // sorted by cap, ascending
        var rates: [Double] = []
        var now = 0.0
        var next = 0
        func allocate() {
            rates = Array(repeating: 0, count: active.count)
            var left = capacity
            for (i, j) in active.enumerated() {
                let share = left / Double(active.count - i)
                rates[i] = min(j.cap, share)
                left -= rates[i]
            }
        }
        while next < arrivals.count || !active.isEmpty {
            allocate()
            var dt = Double.infinity
            for (i, j) in active.enumerated() where rates[i] > 0 { dt = min(dt, j.remaining / rates[i]) }
            let toArrival = next < arrivals.count ? arrivalTimes[next] - now : .infinity
            let step = min(dt, toArrival)
            for i in active.indices { active[i].remaining -= rates[i] * step }
            now += step
            // Completions: jobs whose remaining work is (numerically) gone.
            active.removeAll { j in
                let done = j.remaining <= 1e-9 * j.work
                if done { finish[j.id] = now }
                return done
            }
            if toArrival <= dt, next < arrivals.count {
                let a = arrivals[next]
                let d = decisions[a.type][a.client]
                if d.accepted, let w = d.serverWork?.value, let s0 = d.serverTime?.value {
                    accepted += 1
                    totalWork += w
                    if w > 0 && s0 > 0 {
                        let job = Job(id: next, work: w, remaining: w, cap: w / s0)
                        let at = active.firstIndex { $0.cap > job.cap } ?? active.count
                        active.insert(job, at: at)
                    } else {
                        finish[next] = now
                    }
                } else {
                    rejected += 1
                }
                next += 1
            }
        }
        var latencies: [Double] = []
        var unloaded: [Double] = []
        var violations = 0, promiseViolations = 0, inHorizon = 0
        for (i, a) in arrivals.enumerated() {
            let d = decisions[a.type][a.client]
            guard d.accepted, let l0 = d.latency?.value, let s0 = d.serverTime?.value else { continue }
            let sojourn = finish[i] - arrivalTimes[i]
            let total = (l0 - s0) + sojourn
            latencies.append(total)
            unloaded.append(l0)
            if total > d.sla.value * (1 + 1e-9) { violations += 1 }
            if l0 > d.sla.value * (1 + 1e-9) { promiseViolations += 1 }
            if arrivalTimes[i] + total <= horizon { inHorizon += 1 }
        }
        let mean = expectedServerWork(decisions)
        return SplitLLMPlannerOutcome(
            planner: planner, arrivalRate: arrivalRate, requests: arrivals.count, accepted: accepted, rejected: rejected,
            completedInHorizon: inHorizon, slaViolations: promiseViolations, slaViolationsUnderLoad: violations,
            throughputRps: horizon > 0 ? Double(inHorizon) / horizon : 0,
            maxSustainableRps: mean > 0 ? capacity / mean : .greatestFiniteMagnitude,
            totalServerWork: totalWork, meanServerWork: totalWork / Double(arrivals.count),
            utilisation: arrivalRate * mean / capacity,
            latency: SplitLLMLatencySummary(latencies), unloadedLatency: SplitLLMLatencySummary(unloaded))
    }
}

/// An index drawn with probability proportional to `weights`.
private func pick(_ weights: [Double], _ rng: inout SeededGenerator) -> Int {
    var u = rng.nextUnit() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        if u < w { return i }
        u -= w
    }
    return weights.count - 1
}
