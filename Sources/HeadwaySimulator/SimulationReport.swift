public import HeadwayCore

/// One planner's results over every seed of a scenario.
public struct PlannerReport: Sendable, Codable {
    public var planner: String
    /// Per-token latency (inference + migration) over all feasible steps of all seeds, seconds.
    public var latency: Summary
    /// Mean per-token latency of each seed; its `ci95_half_width` is the confidence interval across seeds.
    public var meanLatencyAcrossSeeds: Summary
    /// Prompt prefill latency per seed, seconds (time to first token, before the first decode step).
    public var prefill: Summary
    /// Steps where the placement in force broke a constraint or the planner found none (out of memory), all seeds.
    public var infeasibleSteps: Int
    /// Mean over seeds of the time to generate every token: prefill plus every step, migrations, rebuilds and
    /// restarts included; +inf when some seed could not go on (a step with no feasible placement), seconds.
    public var totalTime: Double
    /// The same, per seed.
    public var totalTimePerSeed: [Double]
    /// Sequences restarted (a device holding blocks left and the planner could not move them), all seeds.
    public var restarts: Int
    /// Weight bytes read locally by migrations (not in `migrationBytes`, which counts bytes crossing links).
    public var migrationLocalBytes: Double
    public var migrations: Int
    public var migrationBytes: Double
    public var migrationDelay: Double
    /// Largest memory any device used, bytes, and per device (max over tokens and seeds).
    public var peakMemory: Double
    public var peakMemoryPerDevice: [Double]
    /// Mean busy fraction per device.
    public var utilization: [Double]
    /// Planner decision time at re-planning steps, milliseconds.
    public var planTimeMilliseconds: Summary
    /// Mean latency at each token across seeds (feasible steps only; NaN where none), seconds.
    public var latencyCurve: [Double]
    /// Cumulative latency (prefill + all steps so far) averaged across seeds, seconds.
    public var cumulativeLatencyCurve: [Double]
    /// Mean of the largest per-device memory at each token, bytes.
    public var peakMemoryCurve: [Double]
    /// Tokens at which some seed's step failed, and at which some seed restarted the sequence.
    public var failedTokens: [Int]
    public var restartTokens: [Int]

    enum CodingKeys: String, CodingKey {
        case planner, latency, prefill, migrations, utilization
        case meanLatencyAcrossSeeds = "mean_latency_across_seeds"
        case infeasibleSteps = "infeasible_steps"
        case totalTime = "total_time_s"
        case totalTimePerSeed = "total_time_per_seed_s"
        case restarts
        case migrationLocalBytes = "migration_local_bytes"
        case migrationBytes = "migration_bytes"
        case migrationDelay = "migration_delay_s"
        case peakMemory = "peak_memory_bytes"
        case peakMemoryPerDevice = "peak_memory_per_device_bytes"
        case planTimeMilliseconds = "plan_time_ms"
        case latencyCurve = "latency_curve_s"
        case cumulativeLatencyCurve = "cumulative_latency_curve_s"
        case peakMemoryCurve = "peak_memory_curve_bytes"
        case failedTokens = "failed_tokens"
        case restartTokens = "restart_tokens"
    }

    public init(planner: String, runs: [PlannerRun]) {
        self.planner = planner
        latency = Summary(runs.flatMap(\.feasibleLatencies))
        meanLatencyAcrossSeeds = Summary(runs.map { Summary($0.feasibleLatencies).mean })
        prefill = Summary(runs.compactMap(\.prefillLatency))
        infeasibleSteps = runs.reduce(0) { $0 + $1.infeasibleSteps }
        totalTimePerSeed = runs.map(\.totalLatency)
        totalTime = totalTimePerSeed.isEmpty ? .nan : totalTimePerSeed.reduce(0, +) / Double(totalTimePerSeed.count)
        restarts = runs.reduce(0) { $0 + $1.restarts }
        migrationLocalBytes = runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationLocalBytes } }
        migrations = runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrations } }
        migrationBytes = runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationBytes } }
        migrationDelay = runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationDelay } }
        let devices = runs.first?.records.first?.memory.count ?? 0
        var peak = Array(repeating: 0.0, count: devices)
        var busy = Array(repeating: 0.0, count: devices)
        var steps = 0
        for run in runs {
            for r in run.records {
                for j in 0..<min(devices, r.memory.count) {
                    peak[j] = max(peak[j], r.memory[j])
                    busy[j] += r.utilization[j]
                }
                steps += 1
            }
        }
        peakMemoryPerDevice = peak
        peakMemory = peak.max() ?? 0
        utilization = busy.map { steps > 0 ? $0 / Double(steps) : 0 }
        planTimeMilliseconds = Summary(runs.flatMap { $0.records.filter(\.replanned).map { $0.planSeconds * 1000 } })
        let tokens = runs.map(\.records.count).max() ?? 0
        var curve: [Double] = []
        var cumulative: [Double] = []
        var memoryCurve: [Double] = []
        var sums = runs.map { $0.prefillLatency ?? 0 }
        for t in 0..<tokens {
            let values = runs.compactMap { t < $0.records.count && $0.records[t].feasible ? $0.records[t].latency : nil }
            curve.append(values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count))
            for i in runs.indices where t < runs[i].records.count {
                let r = runs[i].records[t]
                sums[i] += r.feasible ? r.latency : .infinity
            }
            cumulative.append(sums.reduce(0, +) / Double(max(sums.count, 1)))
            let peaks = runs.compactMap { t < $0.records.count ? $0.records[t].memory.max() : nil }
            memoryCurve.append(peaks.isEmpty ? 0 : peaks.reduce(0, +) / Double(peaks.count))
        }
        latencyCurve = curve
        failedTokens = (0..<tokens).filter { t in runs.contains { t < $0.records.count && !$0.records[t].feasible } }
        restartTokens = (0..<tokens).filter { t in runs.contains { t < $0.records.count && $0.records[t].restarted } }
        cumulativeLatencyCurve = cumulative
        peakMemoryCurve = memoryCurve
    }
}

/// The result of a scenario: one report per planner, and optionally every run.
public struct SimulationReport: Sendable, Codable {
    public var scenario: String
    public var model: String
    public var costModel: String
    public var devices: [String]
    public var promptLength: Int
    public var tokens: Int
    public var replanInterval: Int
    public var seeds: [UInt64]
    public var planners: [PlannerReport]
    public var runs: [PlannerRun]?

    enum CodingKeys: String, CodingKey {
        case scenario, model, devices, tokens, seeds, planners, runs
        case costModel = "cost_model"
        case promptLength = "prompt_length"
        case replanInterval = "replan_interval"
    }
}
