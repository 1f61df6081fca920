import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// A device leaves mid-run: no step is skipped, planners that place once restart and pay for it, and the headway
/// planner's horizon decides whether a move pays back.
@Suite struct DepartureTests {
    /// Controller 0 and three equal workers on a 1 Gbit/s mesh; worker 1 leaves at token 20 and never returns.
    static func schedule(leaveAt: Int = 20, tokens: Int = 60) -> ExplicitSchedule {
        let devices = (0..<4).map {
            Device(id: "d\($0)", memory: Bytes(gigabytes: 2), compute: FLOPsPerSecond(gigaflops: 20),
                memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 10))
        }
        var links: [Link] = []
        for i in 0..<4 {
            for j in (i + 1)..<4 {
                links.append(Link(a: "d\(i)", b: "d\(j)", bandwidth: BytesPerSecond(gigabitsPerSecond: 1), latency: Seconds(0.001)))
            }
        }
        let cluster = try! Cluster(devices: devices, links: links)
        let up = cluster.nominalState
        let down = up.with(online: [true, false, true, true])
        return ExplicitSchedule(cluster: cluster, states: (0..<tokens).map { $0 < leaveAt ? up : down })
    }

    static let model = DecodeCostModel(shape: .smolLM2_135M)
    static let settings = SimulationSettings(promptLength: 64, tokens: 60, replanInterval: 10)

    @Test func placedOncePlannersRestartAndPay() throws {
        let schedule = Self.schedule()
        for name in ["round-robin", "static"] {
            let planner = try PlannerRegistry.planner(named: name)
            let run = Simulator.run(planner: planner, costModel: Self.model, schedule: schedule, settings: Self.settings)
            #expect(run.infeasibleSteps == 0, "\(name): every step runs")
            if name == "static" {
                // Static puts everything on the controller: the departure does not touch it.
                #expect(run.restarts == 0)
                continue
            }
            // Round-robin re-plans at 20 and moves off the departed device (no restart needed)...
            #expect(run.restarts == 0)
        }
        // ...but a planner that keeps its placement (planned once) with blocks on the departed device must restart.
        let roundRobin = try PlannerRegistry.planner(named: "round-robin")
        let first = try roundRobin.plan(PlanningRequest(
            costModel: Self.model, state: schedule.state(at: 0), position: TokenPosition(promptLength: 64, generated: 0)))
        let keeper = KeepFirst(placement: first.placement)
        let run = Simulator.run(planner: keeper, costModel: Self.model, schedule: schedule, settings: Self.settings)
        #expect(run.restarts == 1)
        #expect(run.infeasibleSteps == 0)
        let r = run.records[20]
        #expect(r.restarted && r.feasible)
        // The restart re-prefills prompt + 20 generated tokens under the new placement: at least that prefill.
        let state = schedule.state(at: 20)
        let fresh = try keeper.plan(PlanningRequest(
            costModel: Self.model, state: state, position: TokenPosition(promptLength: 64, generated: 20)))
        let prefill = Self.model.prefillLatency(fresh.placement, on: state, promptLength: 84)!.value
        #expect(r.restartDelay >= prefill)
        #expect(r.latency >= r.inferenceLatency + prefill)
        // total_time_s includes it.
        let sum = run.records.reduce(run.prefillLatency!) { $0 + $1.latency }
        #expect(abs(run.totalLatency - sum) <= 1e-9 * sum && run.totalLatency.isFinite)
        let report = PlannerReport(planner: "keeper", runs: [run])
        #expect(report.restarts == 1 && abs(report.totalTime - sum) <= 1e-9 * sum)
    }

    @Test func withoutRestartsTheFailureIsCounted() throws {
        var settings = Self.settings
        settings.restartOnDeparture = false
        let schedule = Self.schedule()
        let first = try PlannerRegistry.planner(named: "round-robin").plan(PlanningRequest(
            costModel: Self.model, state: schedule.state(at: 0), position: TokenPosition(promptLength: 64, generated: 0)))
        let run = Simulator.run(
            planner: KeepFirst(placement: first.placement), costModel: Self.model, schedule: schedule, settings: settings)
        #expect(run.infeasibleSteps == 40)
        #expect(run.totalLatency == .infinity)
        #expect(PlannerReport(planner: "k", runs: [run]).totalTime == .infinity)
    }

    @Test func horizonIsTheTokensLeftCappedByTheChangeHistoryAndMyopicIsOne() throws {
        let planner = LocalSearchPlanner()
        let state = Self.schedule().state(at: 0)
        var r = PlanningRequest(costModel: Self.model, state: state, position: TokenPosition(promptLength: 64, generated: 0))
        #expect(planner.horizon(for: r) == 1)
        r.remainingTokens = 500
        #expect(planner.horizon(for: r) == 500)
        #expect(LocalSearchPlanner(horizonTokens: 50).horizon(for: r) == 50)
        // History: 10 × the expected tokens between cluster changes caps it (`history: 0` lifts the cap).
        r.tokensPerChange = 20
        #expect(planner.horizon(for: r) == 200)
        #expect(LocalSearchPlanner(historyMultiple: nil).horizon(for: r) == 500)
        #expect(LocalSearchPlanner(historyMultiple: 1).horizon(for: r) == 20)
        r.tokensPerChange = 1
        #expect(planner.horizon(for: r) == 10)
        let uncapped = try #require(try PlannerRegistry.planner(named: "headway", options: ["history": 0]) as? LocalSearchPlanner)
        #expect(uncapped.horizon(for: r) == 500)
        #expect(LocalSearchPlanner(myopic: true).horizon(for: r) == 1)
        #expect(try PlannerRegistry.planner(named: "headway", options: ["myopic": 1]) is LocalSearchPlanner)
        let earlier = try #require(try PlannerRegistry.planner(
            named: "headway", options: ["forecast": 0, "margin": 0, "history": 1]) as? LocalSearchPlanner)
        #expect(earlier.historyMultiple == 10 && !earlier.forecast && earlier.margin == 0)
        let defaults = try #require(try PlannerRegistry.planner(named: "headway") as? LocalSearchPlanner)
        #expect(defaults.historyMultiple == 10 && defaults.forecast && defaults.margin == LocalSearchPlanner.defaultMargin)
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["myopic": 2]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["horizon_tokens": 0.5]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["history_multiple": 0.5]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["history": 3]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["forecast": 0.5]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["margin": 1]) }
        #expect(throws: PlannerError.self) { try PlannerRegistry.planner(named: "headway", options: ["margin": -0.1]) }
    }

    /// Over many tokens a move that a one-token comparison rejects pays back: with the horizon the planner takes it
    /// and the run is faster overall; it never pays more migration than the myopic rule's run gains back.
    @Test func horizonMovesWhenItPaysBack() throws {
        let schedule = Self.schedule(leaveAt: 1000)
        let state = schedule.state(at: 0)
        // Start from everything on the controller (what a departure often leaves behind) with 400 tokens to go.
        let start = Placement(blockCount: Self.model.layout.count, allOn: 0)
        let position = TokenPosition(promptLength: 64, generated: 0)
        let stay = Self.model.evaluate(start, on: state, at: position).latency.value
        let myopic = try LocalSearchPlanner(myopic: true).plan(PlanningRequest(
            costModel: Self.model, state: state, position: position, previous: start, remainingTokens: 400))
        let far = try LocalSearchPlanner().plan(PlanningRequest(
            costModel: Self.model, state: state, position: position, previous: start, remainingTokens: 400))
        let myopicCost = 400 * myopic.evaluation.latency.value + myopic.migrationDelay.value
        let farCost = 400 * far.evaluation.latency.value + far.migrationDelay.value
        #expect(farCost <= myopicCost * (1 + 1e-9), "over 400 tokens: horizon \(farCost) s, myopic \(myopicCost) s")
        #expect(farCost <= 400 * stay * (1 + 1e-9))
    }
}

/// Plans once (its given placement) and keeps it, like static, EdgeShard and Galaxy.
struct KeepFirst: Planner {
    let name = "keep-first"
    let placement: Placement
    func plan(_ request: PlanningRequest) throws(PlannerError) -> Plan {
        if let previous = request.previous { return Plan(placement: previous, request: request) }
        if request.state.online.indices.allSatisfy({ request.state.online[$0] || !placement.devices.contains($0) }) {
            return Plan(placement: placement, request: request)
        }
        // After a departure: the same round-robin rule over the devices left.
        return try RoundRobinPlanner().plan(request)
    }
}

@Suite struct ClusterChangeTrackerTests {
    @Test func countsDeparturesAndLargeShiftsNotDrift() {
        let schedule = DepartureTests.schedule(leaveAt: 5, tokens: 20)
        var tracker = ClusterChangeTracker()
        let up = schedule.state(at: 0)
        var changes: [Int] = []
        for t in 0..<20 {
            var s = schedule.state(at: t)
            // Drift of 2x on one link (below the factor of 3) from token 8 on; a 10x slowdown from 12 on.
            var bw = s.linkBandwidth
            if t >= 8 { bw[0] = BytesPerSecond(bw[0].value / 2) }
            if t >= 12 { bw[0] = BytesPerSecond(up.linkBandwidth[0].value / 10) }
            s = s.with(linkBandwidth: bw)
            if tracker.observe(s) { changes.append(t) }
        }
        // The departure at 5 and the slowdown at 12 (10x against the state at 5; the 2x drift alone does not count).
        #expect(changes == [5, 12])
        #expect(tracker.changes == 2 && tracker.observed == 20)
        #expect(abs(tracker.tokensPerChange - 20.0 / 3) < 1e-12)
        var calm = ClusterChangeTracker()
        for _ in 0..<50 { calm.observe(up) }
        #expect(calm.tokensPerChange == 50)
    }
}
