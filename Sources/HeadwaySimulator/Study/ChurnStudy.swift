import Foundation
public import HeadwayCore
public import HeadwayPlanner

/// How the planners cope with a cluster that changes under them: devices leave and come back, links slow down 10x
/// and recover, background load drifts. Every planner runs on the same schedule per seed; every step counts (a
/// planner that cannot move off a departed device restarts the sequence and pays for it).
///
/// **Setting** (ours): Llama-3.2-1B (Q4_0-free F16 preset of the default scenario) on 8 devices drawn from the
/// typical edge mix, a full mesh of 0.1–1 Gbit/s links with 1–5 ms latency; a 256-token prompt, 400 generated
/// tokens, a re-plan every 10 tokens (and at once when the placement breaks); weights served by the controller.
/// Per seed: two scheduled departures (a random worker leaves at a token in 40..<300 and rejoins 40–120 tokens
/// later), random churn (each worker leaves with probability 0.002 per token, away 40 tokens on average), three
/// link slowdowns (a random link at 1/10 of its bandwidth for 20–80 tokens), mean-reverting background compute load
/// (mean 0.2) and a bandwidth random walk.
public enum ChurnStudy {
    public struct Configuration: Sendable {
        public var shape: ModelShape
        public var deviceCount: Int
        public var promptLength: Int
        public var tokens: Int
        public var replanInterval: Int
        public var seeds: [UInt64]
        public var planners: [PlannerSpec]
        /// Scheduled departures per seed (each followed by a rejoin).
        public var departures: Int
        /// Link slowdowns per seed.
        public var slowdowns: Int
        /// Factor a slowed link's bandwidth is divided by.
        public var slowdownFactor: Double
        public var churn: Churn

        public init(
            shape: ModelShape = .llama3_2_1B, deviceCount: Int = 8, promptLength: Int = 256, tokens: Int = 400,
            replanInterval: Int = 10, seeds: [UInt64] = Array(1...10), planners: [PlannerSpec] = ChurnStudy.planners,
            departures: Int = 2, slowdowns: Int = 3, slowdownFactor: Double = 10,
            churn: Churn = Churn(leaveProbability: 0.002, meanOfflineTokens: 40)
        ) {
            self.shape = shape
            self.deviceCount = deviceCount
            self.promptLength = promptLength
            self.tokens = tokens
            self.replanInterval = replanInterval
            self.seeds = seeds
            self.planners = planners
            self.departures = departures
            self.slowdowns = slowdowns
            self.slowdownFactor = slowdownFactor
            self.churn = churn
        }

        public static var `default`: Configuration { Configuration() }
        /// For tests: 200 tokens, 4 seeds.
        public static var quick: Configuration { Configuration(tokens: 200, seeds: [1, 2, 3, 4]) }
    }

    /// Every planner; headway also with its earlier rule (today's speeds taken to hold, no margin: `headway-no-forecast`;
    /// the same over all the tokens left: `headway-remaining`) and with the paper's myopic rule.
    public static let planners: [PlannerSpec] = [
        PlannerSpec(name: "headway"),
        PlannerSpec(name: "headway", label: "headway-no-forecast", options: ["forecast": 0, "margin": 0]),
        PlannerSpec(name: "headway", label: "headway-remaining", options: ["forecast": 0, "margin": 0, "history": 0]),
        PlannerSpec(name: "headway", label: "headway-myopic", options: ["myopic": 1]),
        PlannerSpec(name: "resource-aware"), PlannerSpec(name: "greedy"), PlannerSpec(name: "round-robin"),
        PlannerSpec(name: "static"), PlannerSpec(name: "edgeshard"), PlannerSpec(name: "galaxy"),
    ]

    /// Something that happened to the cluster, for the report.
    public struct Event: Sendable, Codable, Hashable {
        public var token: Int
        /// `leave`, `join`, `slow` or `recover`.
        public var kind: String
        /// A device id, or a link as `a–b`.
        public var subject: String
    }

    /// A link slowed by a factor over tokens [start, end).
    public struct Slowdown: Sendable, Hashable {
        public var link: Int
        public var start: Int
        public var end: Int
        public var factor: Double
    }

    /// The cluster of a seed.
    public static func cluster(_ c: Configuration, seed: UInt64) throws -> Cluster {
        let network = NetworkSpec(
            topology: .fullMesh, bandwidthGbps: UniformRange(0.1, 1), latencyMs: UniformRange(1, 5))
        return try ClusterGenerator.realistic(deviceCount: c.deviceCount, network: network)
            .make(seed: seed, source: "churn cluster")
    }

    /// The dynamics of a seed: background load, bandwidth walk, scheduled departures and rejoins, random churn.
    static func fluctuation(_ c: Configuration, cluster: Cluster, seed: UInt64) -> Fluctuation {
        var rng = SeededGenerator(seed: seed).derived("churn-study/departures")
        let workers = cluster.devices.indices.filter { $0 != cluster.controller }
        var events: [MembershipEvent] = []
        for _ in 0..<c.departures where !workers.isEmpty {
            let d = workers[rng.uniformIndex(below: workers.count)]
            let leave = Int(rng.uniform(0.1, 0.75) * Double(c.tokens))
            let away = Int(rng.uniform(0.1, 0.3) * Double(c.tokens))
            events.append(MembershipEvent(token: leave, device: cluster.devices[d].id, event: .leave))
            events.append(MembershipEvent(token: leave + away, device: cluster.devices[d].id, event: .join))
        }
        return Fluctuation(
            computeLoad: .meanReverting(MeanRevertingLoad(mean: 0.2, persistence: 0.95, noise: 0.05)),
            links: .logRandomWalk(LogRandomWalk(sigma: 0.05, minFraction: 0.3, maxFraction: 1.2)),
            events: events.sorted { $0.token < $1.token }, churn: c.churn)
    }

    static func slowdowns(_ c: Configuration, cluster: Cluster, seed: UInt64) -> [Slowdown] {
        var rng = SeededGenerator(seed: seed).derived("churn-study/slowdowns")
        guard !cluster.links.isEmpty else { return [] }
        return (0..<c.slowdowns).map { _ in
            let k = rng.uniformIndex(below: cluster.links.count)
            let start = Int(rng.uniform(0, 0.85) * Double(c.tokens))
            let length = Int(rng.uniform(0.05, 0.2) * Double(c.tokens))
            return Slowdown(link: k, start: start, end: start + max(length, 1), factor: c.slowdownFactor)
        }
    }

    /// The schedule of a seed and what happens in it.
    public static func schedule(_ c: Configuration, cluster: Cluster, seed: UInt64) throws
        -> (schedule: SlowedLinksSchedule, events: [Event])
    {
        let f = fluctuation(c, cluster: cluster, seed: seed)
        try f.validate(for: cluster, source: "churn dynamics")
        let timeline = try ClusterTimeline(cluster: cluster, fluctuation: f, seed: seed, tokens: c.tokens)
        let slow = slowdowns(c, cluster: cluster, seed: seed)
        let schedule = SlowedLinksSchedule(base: timeline, slowdowns: slow, tokens: c.tokens)
        var events: [Event] = []
        for t in 0..<c.tokens {
            for d in cluster.devices.indices {
                let now = timeline.isOnline(d, at: t)
                let before = t == 0 ? true : timeline.isOnline(d, at: t - 1)
                if now != before { events.append(Event(token: t, kind: now ? "join" : "leave", subject: cluster.devices[d].id)) }
            }
        }
        for s in slow {
            let l = cluster.links[s.link]
            events.append(Event(token: s.start, kind: "slow", subject: "\(l.a)–\(l.b)"))
            if s.end < c.tokens { events.append(Event(token: s.end, kind: "recover", subject: "\(l.a)–\(l.b)")) }
        }
        return (schedule, events.sorted { ($0.token, $0.kind) < ($1.token, $1.kind) })
    }

    public static func scenario(_ c: Configuration) -> Scenario {
        Scenario(
            name: "churn: \(c.shape.name) on \(c.deviceCount) devices",
            shape: c.shape, costModelKind: .decode,
            cluster: .generated { seed in try ChurnStudy.cluster(c, seed: seed) },
            dynamics: { cluster, seed, _ in try ChurnStudy.schedule(c, cluster: cluster, seed: seed).schedule },
            settings: SimulationSettings(promptLength: c.promptLength, tokens: c.tokens, replanInterval: c.replanInterval),
            planners: c.planners, seeds: c.seeds)
    }

    public static func run(_ c: Configuration) throws -> ChurnResult {
        let clock = ContinuousClock()
        let start = clock.now
        let report = try ScenarioRunner.run(
            scenario(c), makePlanner: { try PlannerRegistry.planner(named: $0.name, options: $0.options) },
            keepRuns: true)
        var events: [UInt64: [Event]] = [:]
        for seed in c.seeds {
            events[seed] = try schedule(c, cluster: try cluster(c, seed: seed), seed: seed).events
        }
        return ChurnResult(report: report, configuration: c, events: events, runSeconds: (clock.now - start).inSeconds)
    }
}

/// A schedule with some links slowed over token ranges (on top of another schedule). States are built once.
public struct SlowedLinksSchedule: ClusterSchedule {
    public let cluster: Cluster
    private let states: [ClusterState]

    public init(base: any ClusterSchedule, slowdowns: [ChurnStudy.Slowdown], tokens: Int) {
        cluster = base.cluster
        states = (0..<max(tokens, 1)).map { t in
            let s = base.state(at: t)
            let active = slowdowns.filter { $0.start <= t && t < $0.end }
            guard !active.isEmpty else { return s }
            var bw = s.linkBandwidth
            for a in active { bw[a.link] = BytesPerSecond(bw[a.link].value / a.factor) }
            return s.with(linkBandwidth: bw)
        }
    }

    public func state(at token: Int) -> ClusterState { states[min(max(token, 0), states.count - 1)] }
}
