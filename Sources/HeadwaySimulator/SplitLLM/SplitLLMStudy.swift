import Foundation
import HeadwayCore
public import HeadwayPlanner

/// Configuration of the SplitLLM throughput study.
public struct SplitLLMStudyConfiguration: Hashable, Sendable, Codable {
    public var simulation: SplitLLMSimulationConfiguration
    /// Strategy names (`SplitLLMPlanner.Strategy`). Must include `dp`, `server-only` and `greedy`.
    public var planners: [String]
    /// If set, the headline run's arrival rate is this multiple of server-only's saturation rate (overrides
    /// `simulation.arrivalRate`; the rate used is written back into the result's configuration).
    public var loadFactor: Double?
    /// Sweep arrival rates, as multiples of server-only's saturation rate.
    public var sweep: [Double]
    /// A planner "sustains" a swept rate while at most this fraction of its accepted requests violate the SLA.
    public var violationTolerance: Double

    public init(
        simulation: SplitLLMSimulationConfiguration, planners: [String], loadFactor: Double?, sweep: [Double],
        violationTolerance: Double = 0.05
    ) {
        self.simulation = simulation
        self.planners = planners
        self.loadFactor = loadFactor
        self.sweep = sweep
        self.violationTolerance = violationTolerance
    }

    /// The default study (all numbers ours; the paper's setup was not recovered):
    /// - server: a small edge server, Jetson-AGX-Orin class (20 TFLOP/s effective FP16, 200 GB/s);
    /// - clients: phones (2 TFLOP/s, 50 GB/s, 3 GB for weights, 20/100 Mbit/s, 10 ms), laptops (5 TFLOP/s, 100 GB/s,
    ///   8 GB, 100/300 Mbit/s, 3 ms), Raspberry-Pi-5-class boards (50 GFLOP/s, 10 GB/s, 4 GB, 50/100 Mbit/s, 2 ms);
    /// - requests: SmolLM2-135M chat, Llama-3.2-1B chat and summarisation, Llama-3-8B chat and long-prompt
    ///   classification, each at SLA factors 1.2, 1.5 and 2.0 of its server-only latency;
    /// - 2000 requests per run, seed 2024, headline load 0.9× server-only saturation, sweep 0.25×–3×.
    public static let `default`: SplitLLMStudyConfiguration = {
        let server = SplitLLMDevice(
            name: "edge-server", compute: FLOPsPerSecond(gigaflops: 20_000), memoryBandwidth: BytesPerSecond(200e9))
        let clients = [
            SplitLLMClientClass(
                name: "phone",
                device: SplitLLMDevice(
                    name: "phone", compute: FLOPsPerSecond(gigaflops: 2_000), memoryBandwidth: BytesPerSecond(50e9),
                    memory: Bytes(gigabytes: 3)),
                link: SplitLLMLink(uplinkMbps: 20, downlinkMbps: 100, latencyMilliseconds: 10), weight: 0.4),
            SplitLLMClientClass(
                name: "laptop",
                device: SplitLLMDevice(
                    name: "laptop", compute: FLOPsPerSecond(gigaflops: 5_000), memoryBandwidth: BytesPerSecond(100e9),
                    memory: Bytes(gigabytes: 8)),
                link: SplitLLMLink(uplinkMbps: 100, downlinkMbps: 300, latencyMilliseconds: 3), weight: 0.3),
            SplitLLMClientClass(
                name: "raspberry-pi",
                device: SplitLLMDevice(
                    name: "raspberry-pi", compute: FLOPsPerSecond(gigaflops: 50), memoryBandwidth: BytesPerSecond(10e9),
                    memory: Bytes(gigabytes: 4)),
                link: SplitLLMLink(uplinkMbps: 50, downlinkMbps: 100, latencyMilliseconds: 2), weight: 0.3),
        ]
        let workloads: [(String, String, Int, Int)] = [
            ("smol-chat", "smollm2-135m", 256, 64),
            ("1b-chat", "llama-3.2-1b", 512, 128),
            ("1b-summarise", "llama-3.2-1b", 2048, 64),
            ("8b-chat", "llama-3-8b", 512, 128),
            ("8b-classify", "llama-3-8b", 1024, 4),
        ]
        var types: [SplitLLMRequestType] = []
        for (name, model, n, m) in workloads {
            for f in [1.2, 1.5, 2.0] {
                types.append(SplitLLMRequestType(
                    name: "\(name)@\(f)x", model: model, promptLength: n, outputLength: m, sla: .factor(f)))
            }
        }
        let sim = SplitLLMSimulationConfiguration(
            requestTypes: types, clientClasses: clients, server: server, arrivalRate: 1, requestCount: 2000, seed: 2024)
        return SplitLLMStudyConfiguration(
            simulation: sim, planners: ["server-only", "greedy", "greedy-ratio", "single-cut", "dp", "exact"],
            loadFactor: 0.9, sweep: [0.25, 0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0])
    }()
}

/// One point of the throughput-vs-arrival-rate sweep.
public struct SplitLLMSweepPoint: Hashable, Sendable, Codable {
    public var planner: String
    public var arrivalRate: Double
    public var throughputRps: Double
    public var slaViolationFraction: Double
    public var p95Latency: Double
}

/// One planner's decision for one (request type, client class).
public struct SplitLLMDecisionRow: Hashable, Sendable, Codable {
    public var requestType: String
    public var client: String
    public var planner: String
    public var accepted: Bool
    /// `C`/`S` per unit (embedding, layers, LM head).
    public var pattern: String
    public var serverWork: Double
    public var latency: Double
    public var sla: Double
    /// Server work relative to server-only for this request.
    public var workFraction: Double
}

/// A number that may be undefined; always encoded (as JSON `null` when undefined), so the key is never missing.
public struct SplitLLMOptionalNumber: Hashable, Sendable, Codable {
    public var value: Double?
    public init(_ value: Double?) { self.value = value }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        value = c.decodeNil() ? nil : try c.decode(Double.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// The study's result; encodes to the JSON the CLI prints.
public struct SplitLLMStudyResult: Hashable, Sendable, Codable {
    public var configuration: SplitLLMStudyConfiguration
    /// 1 − E[W_dp] / E[W_server-only] over the request mix (planning level, independent of queueing).
    public var serverWorkloadReduction: Double
    /// The same reduction for greedy prefix offload (G1) and for every planner.
    public var greedyWorkloadReduction: Double
    public var workloadReduction: [String: Double]
    /// Relative gain of the DP over greedy on that metric: reduction_dp / reduction_greedy − 1 (nil if greedy removes
    /// nothing).
    public var improvementOverGreedy: SplitLLMOptionalNumber
    /// 1 − E[W_dp] / E[W_greedy]: the server work the DP saves over greedy.
    public var workloadSavingOverGreedy: Double
    /// Saturation-rate gain (capacity / E[W]) of the DP over greedy and over server-only.
    public var throughputGainOverGreedy: Double
    public var throughputGainOverServerOnly: Double
    /// Accepted requests whose split misses the SLA on an idle server, per planner (the DP: always 0).
    public var slaViolations: [String: Int]
    /// Accepted requests that miss the SLA once server queueing is added, per planner.
    public var slaViolationsUnderLoad: [String: Int]
    public var rejected: [String: Int]
    public var throughputRps: [String: Double]
    public var maxSustainableRps: [String: Double]
    /// Largest swept arrival rate at which the planner keeps violations within the tolerance (0 if none).
    public var slaCapacityRps: [String: Double]
    /// Expected server work per request (FLOPs) per planner, and per request type per planner.
    public var meanServerWork: [String: Double]
    public var meanServerWorkByType: [String: [String: Double]]
    public var planners: [SplitLLMPlannerOutcome]
    public var sweep: [SplitLLMSweepPoint]
    public var decisions: [SplitLLMDecisionRow]

    /// Pretty-printed JSON with snake_case keys.
    public func json() throws -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}

/// The SplitLLM study: decisions, workload, and a simulated throughput and SLA study per planner.
public enum SplitLLMStudy {
    public static func run(_ configuration: SplitLLMStudyConfiguration = .default) throws(PlannerError) -> SplitLLMStudyResult {
        var config = configuration
        let strategies = try config.planners.map { name throws(PlannerError) in try SplitLLMPlanner.Strategy(named: name) }
        for needed in [SplitLLMPlanner.Strategy.dp, .serverOnly, .greedy] where !strategies.contains(needed) {
            throw PlannerError(.invalidArgument, "SplitLLM study: planners must include '\(needed.rawValue)', got \(config.planners)")
        }
        guard config.violationTolerance >= 0 else {
            throw PlannerError(.invalidArgument, "SplitLLM study: violation tolerance must be ≥ 0, got \(config.violationTolerance)")
        }
        let probe = try SplitLLMServerSimulation(config.simulation)
        let planners = strategies.map { SplitLLMPlanner($0, timeSteps: config.simulation.timeSteps) }
        var decisions: [String: [[SplitDecision]]] = [:]
        var expected: [String: Double] = [:]
        for p in planners {
            let d = try probe.decisions(p)
            decisions[p.name] = d
            expected[p.name] = probe.expectedServerWork(d)
        }
        let capacity = config.simulation.server.compute.value
        let serverOnlyWork = expected["server-only"]!
        let saturation = capacity / serverOnlyWork
        if let f = config.loadFactor {
            guard f > 0, f.isFinite else {
                throw PlannerError(.invalidArgument, "SplitLLM study: load factor must be positive, got \(f)")
            }
            config.simulation.arrivalRate = f * saturation
        }
        let sim = try SplitLLMServerSimulation(config.simulation)

        var outcomes: [SplitLLMPlannerOutcome] = []
        var sweep: [SplitLLMSweepPoint] = []
        var slaCapacity: [String: Double] = [:]
        for p in planners {
            let d = decisions[p.name]!
            outcomes.append(try sim.run(decisions: d, planner: p.name, arrivalRate: config.simulation.arrivalRate))
            var sustained = 0.0
            for m in config.sweep {
                let o = try sim.run(decisions: d, planner: p.name, arrivalRate: m * saturation)
                let fraction = o.accepted > 0 ? Double(o.slaViolationsUnderLoad) / Double(o.accepted) : 0
                sweep.append(SplitLLMSweepPoint(
                    planner: p.name, arrivalRate: o.arrivalRate, throughputRps: o.throughputRps,
                    slaViolationFraction: fraction, p95Latency: o.latency.p95))
                if fraction <= config.violationTolerance { sustained = max(sustained, o.arrivalRate) }
            }
            slaCapacity[p.name] = sustained
        }

        var rows: [SplitLLMDecisionRow] = []
        var byType: [String: [String: Double]] = [:]
        let serverOnly = decisions["server-only"]!
        for (t, type) in config.simulation.requestTypes.enumerated() {
            var perPlanner: [String: Double] = [:]
            for p in planners {
                var w = 0.0, total = 0.0
                for (c, client) in config.simulation.clientClasses.enumerated() {
                    let d = decisions[p.name]![t][c]
                    let reference = serverOnly[t][c].serverWork?.value ?? 0
                    let work = d.serverWork?.value ?? 0
                    let weight = client.weight
                    w += weight * work
                    total += weight
                    rows.append(SplitLLMDecisionRow(
                        requestType: type.name, client: client.name, planner: p.name, accepted: d.accepted,
                        pattern: d.pattern, serverWork: work, latency: d.latency?.value ?? 0, sla: d.sla.value,
                        workFraction: reference > 0 ? work / reference : 0))
                }
                perPlanner[p.name] = w / total
            }
            byType[type.name] = perPlanner
        }

        func reduction(_ name: String) -> Double { 1 - expected[name]! / serverOnlyWork }
        /// Saturation-rate gain `W_ref / W − 1` (capped when the DP leaves the server no work).
        func gain(_ reference: Double, _ w: Double) -> Double { w > 0 ? reference / w - 1 : .greatestFiniteMagnitude }
        let dpReduction = reduction("dp")
        let greedyReduction = reduction("greedy")
        return SplitLLMStudyResult(
            configuration: config,
            serverWorkloadReduction: dpReduction,
            greedyWorkloadReduction: greedyReduction,
            workloadReduction: Dictionary(uniqueKeysWithValues: planners.map { ($0.name, reduction($0.name)) }),
            improvementOverGreedy: SplitLLMOptionalNumber(greedyReduction > 1e-12 ? dpReduction / greedyReduction - 1 : nil),
            workloadSavingOverGreedy: 1 - expected["dp"]! / expected["greedy"]!,
            throughputGainOverGreedy: gain(expected["greedy"]!, expected["dp"]!),
            throughputGainOverServerOnly: gain(serverOnlyWork, expected["dp"]!),
            slaViolations: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.planner, $0.slaViolations) }),
            slaViolationsUnderLoad: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.planner, $0.slaViolationsUnderLoad) }),
            rejected: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.planner, $0.rejected) }),
            throughputRps: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.planner, $0.throughputRps) }),
            maxSustainableRps: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.planner, $0.maxSustainableRps) }),
            slaCapacityRps: slaCapacity,
            meanServerWork: expected,
            meanServerWorkByType: byType,
            planners: outcomes, sweep: sweep, decisions: rows)
    }
}
