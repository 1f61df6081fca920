public import HeadwayCore
public import HeadwayPlanner

/// How a run proceeds.
public struct SimulationSettings: Sendable, Hashable, Codable {
    /// Prompt tokens prefilled before the first decode step.
    public var promptLength: Int
    /// Tokens to generate (decode steps).
    public var tokens: Int
    /// Re-plan every `replanInterval` tokens (1 = every token, the paper's worst case for migrations).
    public var replanInterval: Int
    /// Also re-plan, between intervals, when the placement in force no longer fits (a device ran out of memory or left).
    public var replanOnViolation: Bool
    /// Keep the placement of every step in the result (for the reference result format; costly on long runs).
    public var recordPlacements: Bool
    /// When the placement in force still uses a device that is gone after the planner was asked (a planner that
    /// places once), restart the sequence: plan afresh on the devices left, load the moved blocks' weights and
    /// prefill the prompt and every token generated so far again; that step pays for all of it.
    public var restartOnDeparture: Bool = true

    public init(
        promptLength: Int, tokens: Int, replanInterval: Int = 1, replanOnViolation: Bool = true,
        recordPlacements: Bool = false
    ) {
        self.promptLength = promptLength
        self.tokens = tokens
        self.replanInterval = replanInterval
        self.replanOnViolation = replanOnViolation
        self.recordPlacements = recordPlacements
    }

    /// Most decode steps a simulation runs (2^20; every step keeps a record).
    public static let maxTokens = 1 << 20
    /// Longest prompt (2^20 tokens, past any model's context).
    public static let maxPromptLength = 1 << 20
    /// Most seeds (or repetitions) of one scenario.
    public static let maxSeeds = 10_000

    /// Checks the settings against the limits above. `source` names the file or option for the message.
    /// - Throws: `CoreError.Code.invalidValue` naming the field and the value.
    public func validate(source: String) throws {
        guard (1...Self.maxTokens).contains(tokens) else {
            throw CoreError(.invalidValue, "\(source): field 'tokens' must be in 1...\(Self.maxTokens), got \(tokens)")
        }
        guard (0...Self.maxPromptLength).contains(promptLength) else {
            throw CoreError(.invalidValue,
                "\(source): field 'prompt_length' must be in 0...\(Self.maxPromptLength), got \(promptLength)")
        }
        guard replanInterval >= 1 else {
            throw CoreError(.invalidValue, "\(source): field 'replan_interval' must be >= 1, got \(replanInterval)")
        }
    }
}

/// What happened at one decode step for one planner.
public struct TokenRecord: Sendable, Hashable, Codable {
    public var token: Int
    /// The planner was asked for a placement at this step.
    public var replanned: Bool
    /// The placement in force satisfies every constraint (memory, reachability; compute budget in the reference model).
    public var feasible: Bool
    public var inferenceLatency: Double
    public var migrationDelay: Double
    /// Inference latency plus migration delay, seconds; +inf when the step is infeasible.
    public var latency: Double
    public var communication: Double
    public var networkBytes: Double
    public var migrations: Int
    public var migrationBytes: Double
    /// Memory used per device, bytes.
    public var memory: [Double]
    /// Busy time over token latency, per device.
    public var utilization: [Double]
    /// Weight bytes read locally by this step's migration (not in `migrationBytes`, which crossed links).
    public var migrationLocalBytes: Double = 0
    /// The sequence was restarted at this step (a device holding blocks left and the planner kept them there).
    public var restarted: Bool = false
    /// Time of that restart (weight loads and the prefill of prompt + generated tokens), in `latency`.
    public var restartDelay: Double = 0
    /// The horizon (tokens) the planner weighed this step's migration against, when it says (headway).
    public var horizonTokens: Int?
    /// Wall-clock seconds the planner took at this step (0 when not re-planned).
    public var planSeconds: Double
    /// Why the step is infeasible (planner error or violated constraints).
    public var error: String?
    /// Device index of every block, when `recordPlacements` is on.
    public var placement: [Int]?

    enum CodingKeys: String, CodingKey {
        case token, replanned, feasible, error, placement, memory, utilization, migrations, restarted
        case migrationLocalBytes = "migration_local_bytes"
        case restartDelay = "restart_delay_s"
        case horizonTokens = "horizon_tokens"
        case inferenceLatency = "inference_latency_s"
        case migrationDelay = "migration_delay_s"
        case latency = "latency_s"
        case communication = "communication_s"
        case networkBytes = "network_bytes"
        case migrationBytes = "migration_bytes"
        case planSeconds = "plan_s"
    }
}

/// One planner's run over one cluster schedule.
public struct PlannerRun: Sendable, Codable {
    public var planner: String
    public var seed: UInt64
    /// Time to prefill the prompt under the first placement (nil where the cost model has no prefill).
    public var prefillLatency: Double?
    public var records: [TokenRecord]

    enum CodingKeys: String, CodingKey {
        case planner, seed, records
        case prefillLatency = "prefill_latency_s"
    }

    public var infeasibleSteps: Int { records.lazy.filter { !$0.feasible }.count }
    /// Steps where the sequence was restarted.
    public var restarts: Int { records.lazy.filter(\.restarted).count }
    public var feasibleLatencies: [Double] { records.filter(\.feasible).map(\.latency) }
    /// Time of a complete generation: prefill plus every step, migrations, rebuilds and restarts included (inf if any
    /// step is infeasible: the sequence could not go on).
    public var totalLatency: Double {
        records.reduce(prefillLatency ?? 0) { $0 + ($1.feasible ? $1.latency : .infinity) }
    }
}

/// Token-by-token simulation: at every step, look at the cluster as it is, re-plan when due, charge inference and
/// migration, record memory and feasibility. Uses the same planners and cost model as the runtime.
public enum Simulator {
    /// Runs one planner over `schedule`.
    /// - Parameter progress: called after each step with the number of steps done.
    public static func run(
        planner: any Planner, costModel: any CostModel, schedule: any ClusterSchedule, settings: SimulationSettings,
        seed: UInt64 = 0, progress: ((Int) -> Void)? = nil
    ) -> PlannerRun {
        let clock = ContinuousClock()
        var records: [TokenRecord] = []
        records.reserveCapacity(settings.tokens)
        var current: Placement?
        var prefill: Double?
        let n = schedule.cluster.count
        var tracker = ClusterChangeTracker()
        var forecast = CapacityForecast()
        for t in 0..<settings.tokens {
            let state = schedule.state(at: t)
            tracker.observe(state)
            forecast.observe(state)
            let position = TokenPosition(promptLength: settings.promptLength, generated: t)
            var due = current == nil || t % max(settings.replanInterval, 1) == 0
            var evaluation: Evaluation? = nil
            if !due, let placement = current {
                let e = costModel.evaluate(placement, on: state, at: position)
                evaluation = e
                if settings.replanOnViolation && !e.isFeasible { due = true }
            }
            var record = TokenRecord(
                token: t, replanned: due, feasible: false, inferenceLatency: .infinity, migrationDelay: 0,
                latency: .infinity, communication: 0, networkBytes: 0, migrations: 0, migrationBytes: 0,
                memory: Array(repeating: 0, count: n), utilization: Array(repeating: 0, count: n), planSeconds: 0,
                error: nil, placement: nil)
            if due {
                var request = PlanningRequest(
                    costModel: costModel, state: state, position: position, previous: current,
                    remainingTokens: settings.tokens - t)
                request.tokensPerChange = tracker.tokensPerChange
                request.forecast = forecast
                let start = clock.now
                let result: Result<Plan, PlannerError>
                do throws(PlannerError) { result = .success(try planner.plan(request)) } catch { result = .failure(error) }
                record.planSeconds = (clock.now - start).inSeconds
                switch result {
                case .success(let plan):
                    if current == nil {
                        prefill = costModel.prefillLatency(plan.placement, on: state, promptLength: settings.promptLength)?.value
                    }
                    current = plan.placement
                    evaluation = plan.evaluation
                    record.migrationDelay = plan.migrationDelay.value
                    record.migrations = plan.migrated.count
                    record.migrationBytes = plan.migrationBytes.value
                    record.migrationLocalBytes = plan.migrationLocalBytes.value
                    record.horizonTokens = plan.notes["horizon_tokens"].map { Int($0) }
                case .failure(let error):
                    record.error = error.message
                    // The placement in force (if any) stays; the step is infeasible.
                    if let placement = current { evaluation = costModel.evaluate(placement, on: state, at: position) }
                }
            }
            // A placement that still uses a departed device after the planner was asked: restart the sequence.
            if settings.restartOnDeparture, due, let placement = current, let e = evaluation,
                e.violations.contains(where: { if case .unreachable = $0 { true } else { false } })
            {
                let request = PlanningRequest(
                    costModel: costModel, state: state, position: position, previous: nil, remainingTokens: settings.tokens - t)
                let start = clock.now
                let fresh = try? planner.plan(request)
                record.planSeconds += (clock.now - start).inSeconds
                if let fresh, fresh.evaluation.isFeasible {
                    // Nothing of the old caches is kept: the moved blocks' weights are loaded (as a migration with
                    // empty caches), then prompt + generated tokens are prefilled again under the new placement.
                    let empty = TokenPosition(promptLength: 0, generated: 0)
                    let load = costModel.migrationDelay(from: placement, to: fresh.placement, on: state, at: empty).value
                    let prefillAgain = costModel.prefillLatency(
                        fresh.placement, on: state, promptLength: settings.promptLength + t)?.value ?? 0
                    record.restarted = true
                    record.error = nil
                    record.restartDelay = load + prefillAgain
                    record.migrationDelay = 0
                    record.migrations = fresh.placement.moved(from: placement).count
                    record.migrationBytes = costModel.migrationBytes(
                        from: placement, to: fresh.placement, on: state, at: empty).value
                    record.migrationLocalBytes = costModel.migrationLocalBytes(
                        from: placement, to: fresh.placement, on: state, at: empty).value
                    current = fresh.placement
                    evaluation = fresh.evaluation
                }
            }
            if let e = evaluation {
                record.inferenceLatency = e.latency.value
                record.communication = e.communication.value
                record.networkBytes = e.networkBytes.value
                record.memory = e.memoryUsed.map(\.value)
                let total = e.latency.value + record.migrationDelay + record.restartDelay
                record.utilization = e.busy.map { total > 0 && total.isFinite ? $0.value / total : 0 }
                record.feasible = e.isFeasible && record.error == nil
                record.latency = record.feasible ? total : .infinity
                if !e.isFeasible && record.error == nil {
                    record.error = e.violations.map(\.description).joined(separator: "; ")
                }
            }
            if settings.recordPlacements { record.placement = current?.devices }
            records.append(record)
            progress?(t + 1)
        }
        return PlannerRun(planner: planner.name, seed: seed, prefillLatency: prefill, records: records)
    }
}
