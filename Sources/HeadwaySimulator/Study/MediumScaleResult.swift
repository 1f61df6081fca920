import Foundation
import HeadwayCore

/// What the medium-scale study found, per planner, over all seeds. Memory figures are GiB (1024³ bytes). Curves hold
/// one value per generated token; `null` (nil) where no seed has a feasible step at that token.
public struct MediumScaleResult: Sendable, Codable {
    public struct PlannerResult: Sendable, Codable {
        /// Mean and 95th percentile of per-token latency (inference + migration) over all feasible steps of all seeds.
        public var meanLatency: Double?
        public var p95Latency: Double?
        /// Mean latency relative to the first planner of the study (resource-aware, or headway when registered).
        public var latencyRatio: Double?
        /// Largest memory used on any device, any token, any seed; and the mean over seeds of each seed's largest.
        public var peakMemoryGB: Double
        public var meanPeakMemoryGB: Double
        /// Steps where the placement in force did not fit (out of memory) or no placement was found, all seeds.
        public var oomSteps: Int
        /// Seeds with at least one such step, and the mean token of the first one over those seeds.
        public var oomSeeds: Int
        public var meanFirstOOMToken: Double?
        public var migrations: Int
        public var migrationDelay: Double
        /// Migration bytes over links, summed over every step and seed, and divided by the seeds: GB (10^9) per seed.
        public var migrationGBPerSeed: Double = 0
        /// Mean over seeds of the latency of every feasible decode step (OOM steps produce no token and add nothing),
        /// and the mean number of such steps: a total over fewer tokens is not comparable, see `commonTotalLatency`.
        public var totalLatency: Double
        public var tokensProduced: Double
        /// Totals over equal token counts: per seed, the tokens both this planner and the first planner of the study
        /// produced (mean count over seeds), this planner's latency summed over them (mean over seeds), and its ratio
        /// to the first planner's sum over the same tokens.
        public var commonTokens: Double
        public var commonTotalLatency: Double
        public var commonTotalRatio: Double?
        /// Mean prompt prefill latency over seeds (time to first token; not in the curves or the total).
        public var meanPrefill: Double?
        public var latencyCurve: [Double?]
        public var cumulativeLatencyCurve: [Double]
        /// Mean over seeds of the largest per-device memory at each token.
        public var peakMemoryCurveGB: [Double]
        /// Largest memory per device index (0 = controller) over tokens and seeds.
        public var peakMemoryPerDeviceGB: [Double]
        /// Seeds out of memory at each token.
        public var oomCurve: [Int]

        enum CodingKeys: String, CodingKey {
            case migrations
            case meanLatency = "mean_latency_s"
            case p95Latency = "p95_latency_s"
            case latencyRatio = "latency_ratio"
            case peakMemoryGB = "peak_memory_gb"
            case meanPeakMemoryGB = "mean_peak_memory_gb"
            case oomSteps = "oom_steps"
            case oomSeeds = "oom_seeds"
            case meanFirstOOMToken = "mean_first_oom_token"
            case migrationDelay = "migration_delay_s"
            case migrationGBPerSeed = "migration_gb_per_seed"
            case totalLatency = "total_latency_s"
            case tokensProduced = "tokens_produced"
            case commonTokens = "common_tokens"
            case commonTotalLatency = "common_total_latency_s"
            case commonTotalRatio = "common_total_ratio"
            case meanPrefill = "mean_prefill_s"
            case latencyCurve = "latency_curve_s"
            case cumulativeLatencyCurve = "cumulative_latency_curve_s"
            case peakMemoryCurveGB = "peak_memory_curve_gb"
            case peakMemoryPerDeviceGB = "peak_memory_per_device_gb"
            case oomCurve = "oom_curve"
        }
    }

    public var model: String
    public var devices: Int
    public var tokens: Int
    public var promptLength: Int
    public var seeds: [UInt64]
    /// Planner labels in study order (JSON objects are unordered).
    public var plannerOrder: [String]
    public var planners: [String: PlannerResult]
    /// Wall-clock seconds the study took.
    public var runSeconds: Double
    /// Scored with `DecodeCostModel.serializedSends`.
    public var serializedSends: Bool

    enum CodingKeys: String, CodingKey {
        case model, devices, tokens, seeds, planners
        case promptLength = "prompt_length"
        case plannerOrder = "planner_order"
        case runSeconds = "run_seconds"
        case serializedSends = "serialized_sends"
    }

    init(report: SimulationReport, configuration c: MediumScaleStudy.Configuration, runSeconds: Double) {
        model = report.model
        devices = report.devices.count
        tokens = report.tokens
        promptLength = report.promptLength
        seeds = report.seeds
        plannerOrder = report.planners.map(\.planner)
        self.runSeconds = runSeconds
        serializedSends = c.serializedSends
        let gib = Bytes.perGigabyte
        // Per seed, the latency of every token the first planner (the reference of the ratios) produced.
        let allRuns = report.runs ?? []
        var reference: [UInt64: [Double?]] = [:]
        for run in allRuns where run.planner == plannerOrder.first {
            reference[run.seed] = run.records.map { $0.feasible ? $0.latency : nil }
        }
        var results: [String: PlannerResult] = [:]
        for label in plannerOrder {
            let runs = (report.runs ?? []).filter { $0.planner == label }
            let latency = Summary(runs.flatMap(\.feasibleLatencies))
            var curve: [Double?] = []
            var cumulative: [Double] = []
            var memoryCurve: [Double] = []
            var oomCurve: [Int] = []
            var sums = Array(repeating: 0.0, count: runs.count)
            var perDevice = Array(repeating: 0.0, count: devices)
            for t in 0..<tokens {
                var values: [Double] = []
                var oom = 0
                var peak = 0.0
                for (i, run) in runs.enumerated() where t < run.records.count {
                    let r = run.records[t]
                    if r.feasible {
                        values.append(r.latency)
                        sums[i] += r.latency
                    } else {
                        oom += 1
                    }
                    peak += r.memory.max() ?? 0
                    for j in 0..<min(devices, r.memory.count) { perDevice[j] = max(perDevice[j], r.memory[j]) }
                }
                curve.append(values.isEmpty ? nil : values.reduce(0, +) / Double(values.count))
                cumulative.append(sums.reduce(0, +) / Double(max(sums.count, 1)))
                memoryCurve.append(peak / Double(max(runs.count, 1)) / gib)
                oomCurve.append(oom)
            }
            let prefill = Summary(runs.compactMap(\.prefillLatency))
            let firstOOM = runs.compactMap { $0.records.firstIndex { !$0.feasible } }
            let peaks = runs.map { $0.records.reduce(0.0) { max($0, $1.memory.max() ?? 0) } }
            let produced = Double(runs.reduce(0) { $0 + $1.records.lazy.filter(\.feasible).count }) / Double(max(runs.count, 1))
            // Totals over equal token counts: the tokens both this planner and the reference produced, per seed.
            var own = 0.0, ref = 0.0, commonCount = 0
            for run in runs {
                let r = reference[run.seed] ?? []
                for (t, record) in run.records.enumerated() where record.feasible && t < r.count {
                    guard let x = r[t] else { continue }
                    own += record.latency
                    ref += x
                    commonCount += 1
                }
            }
            let k = Double(max(runs.count, 1))
            results[label] = PlannerResult(
                meanLatency: latency.count > 0 ? latency.mean : nil, p95Latency: latency.count > 0 ? latency.p95 : nil,
                latencyRatio: nil, peakMemoryGB: (peaks.max() ?? 0) / gib,
                meanPeakMemoryGB: peaks.reduce(0, +) / Double(max(peaks.count, 1)) / gib,
                oomSteps: runs.reduce(0) { $0 + $1.infeasibleSteps }, oomSeeds: firstOOM.count,
                meanFirstOOMToken: firstOOM.isEmpty ? nil : Double(firstOOM.reduce(0, +)) / Double(firstOOM.count),
                migrations: runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrations } },
                migrationDelay: runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationDelay } },
                totalLatency: cumulative.last ?? 0, tokensProduced: produced,
                commonTokens: Double(commonCount) / k, commonTotalLatency: own / k, commonTotalRatio: ref > 0 ? own / ref : nil,
                meanPrefill: prefill.count > 0 ? prefill.mean : nil, latencyCurve: curve, cumulativeLatencyCurve: cumulative,
                peakMemoryCurveGB: memoryCurve, peakMemoryPerDeviceGB: perDevice.map { $0 / gib }, oomCurve: oomCurve)
            results[label]?.migrationGBPerSeed = runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationBytes } } / 1e9 / k
        }
        if let first = plannerOrder.first, let base = results[first]?.meanLatency {
            for label in plannerOrder {
                let ratio = results[label]?.meanLatency.map { $0 / base }
                results[label]?.latencyRatio = ratio
            }
        }
        planners = results
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}
