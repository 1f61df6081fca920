import HeadwayCore
import HeadwayPlanner
import Testing

/// SplitMix64, local to these tests so random instances are the same on every run.
private struct SplitLLMTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random instance. With `integral`, every time is an integer (sums are exact in Double).
private func randomCosts(units k: Int, rng: inout SplitLLMTestRandom, integral: Bool, wrap: Bool = true) -> SplitLLMCosts {
    func time(_ hi: Double) -> Seconds {
        integral ? Seconds(Double(Int.random(in: 0...Int(hi), using: &rng))) : Seconds(Double.random(in: 0...hi, using: &rng))
    }
    let units = (0..<k).map { i in
        SplitLLMUnitCost(
            name: "u\(i)", clientTime: time(12), serverTime: time(4),
            serverWork: FLOPs(Double(Int.random(in: 0...20, using: &rng))),
            clientWeights: Bytes(Double(Int.random(in: 0...10, using: &rng))))
    }
    return SplitLLMCosts(
        units: units, upload: (0..<(k - 1)).map { _ in time(6) }, download: (0..<(k - 1)).map { _ in time(6) },
        inputUpload: time(3), wrapUpload: wrap ? time(5) : .zero, wrapDownload: wrap ? time(5) : .zero,
        resultDownload: time(3))
}

/// Every assignment of `k` units (2^k of them).
private func allAssignments(_ k: Int) -> [[SplitLLMSide]] {
    (0..<(1 << k)).map { mask in (0..<k).map { mask >> $0 & 1 == 1 ? .server : .client } }
}

/// Least server work over all assignments that pass `ok`, or nil.
private func bruteForce(_ c: SplitLLMCosts, _ ok: ([SplitLLMSide]) -> Bool) -> Double? {
    var best: Double? = nil
    for a in allAssignments(c.count) where ok(a) {
        let w = c.serverWork(of: a).value
        if best == nil || w < best! { best = w }
    }
    return best
}

@Suite struct SplitLLMPlannerTests {
    @Test func exactOracleEqualsBruteForceOnSmallModels() throws {
        var rng = SplitLLMTestRandom(seed: 1)
        var feasible = 0, infeasible = 0
        for trial in 0..<150 {
            let k = 1 + trial % 12
            let c = randomCosts(units: k, rng: &rng, integral: trial % 2 == 0)
            let sla = Seconds(Double.random(in: 5...(12 * Double(k) + 10), using: &rng))
            let useCap = trial % 3 == 0
            let cap = useCap ? Bytes(Double(Int.random(in: 0...(5 * k), using: &rng))) : nil
            let expected = bruteForce(c) { a in
                c.latency(of: a) <= sla && (cap == nil || c.clientWeights(of: a) <= cap!)
            }
            let d = try SplitLLMPlanner(.exact).decide(c, sla: sla, clientMemory: cap)
            #expect(d.accepted == (expected != nil), "trial \(trial)")
            if let expected {
                feasible += 1
                #expect(d.serverWork?.value == expected, "trial \(trial): oracle \(String(describing: d.serverWork)) vs brute \(expected)")
                #expect(d.latency! <= sla)
                if let cap { #expect(d.clientWeights! <= cap) }
            } else {
                infeasible += 1
                #expect(d.reason != nil)
            }
        }
        #expect(feasible > 30 && infeasible > 5, "instances should mix feasible (\(feasible)) and infeasible (\(infeasible))")
    }

    @Test func discretisedDPEqualsBruteForceOnTheRoundedInstance() throws {
        var rng = SplitLLMTestRandom(seed: 2)
        var accepted = 0
        for trial in 0..<150 {
            let k = 1 + trial % 12
            let c = randomCosts(units: k, rng: &rng, integral: false)
            let sla = Seconds(Double.random(in: 5...(12 * Double(k) + 10), using: &rng))
            let steps = [7, 50, 333][trial % 3]
            let quantum = sla.value / Double(steps)
            let cap: Bytes? = trial % 4 == 0 ? Bytes(Double(Int.random(in: 1...(5 * k), using: &rng))) : nil
            let memorySteps = 16
            func memoryTicks(_ a: [SplitLLMSide]) -> Int {
                // A cap that all units fit under together cannot bind, and the DP ignores it.
                guard let cap, c.units.reduce(0.0, { $0 + $1.clientWeights.value }) > cap.value else { return 0 }
                var total = 0
                for i in 0..<k where a[i] == .client {
                    let w = c.units[i].clientWeights.value
                    if w > 0 { total += Int((w / (cap.value / Double(memorySteps))).rounded(.up)) }
                }
                return total
            }
            let expected = bruteForce(c) { a in
                c.latencyTicks(of: a, quantum: quantum) <= steps && memoryTicks(a) <= memorySteps
            }
            let d = try SplitLLMPlanner(.dp, timeSteps: steps, memorySteps: memorySteps).decide(c, sla: sla, clientMemory: cap)
            #expect(d.accepted == (expected != nil), "trial \(trial)")
            guard let expected, d.accepted else { continue }
            accepted += 1
            #expect(abs(d.serverWork!.value - expected) <= 1e-9, "trial \(trial): dp \(d.serverWork!.value) vs brute \(expected)")
            // Rounding up: the accepted split fits in ticks, so its true latency is within the SLA.
            #expect(c.latencyTicks(of: d.assignment, quantum: quantum) <= steps)
            #expect(d.latency! <= sla, "trial \(trial): latency \(d.latency!) over SLA \(sla)")
            if let cap { #expect(d.clientWeights! <= cap) }
        }
        #expect(accepted > 30)
    }

    @Test func roundingUpNeverBeatsTheExactOptimumAndMatchesItOnTheTickGrid() throws {
        var rng = SplitLLMTestRandom(seed: 3)
        for trial in 0..<120 {
            let k = 2 + trial % 11
            let c = randomCosts(units: k, rng: &rng, integral: true)
            let slaTicks = Int.random(in: 10...(10 * k + 20), using: &rng)
            let sla = Seconds(Double(slaTicks))
            let exact = try SplitLLMPlanner(.exact).decide(c, sla: sla)
            // Coarse grid: rounding can only lose splits, never gain work below the exact optimum.
            let coarse = try SplitLLMPlanner(.dp, timeSteps: max(1, slaTicks / 3)).decide(c, sla: sla)
            if coarse.accepted {
                #expect(exact.accepted)
                #expect(coarse.serverWork!.value >= exact.serverWork!.value)
                #expect(coarse.latency! <= sla)
            }
            // Integer costs and Δ = 1: nothing is rounded, so the DP is exact.
            let grid = try SplitLLMPlanner(.dp, timeSteps: slaTicks).decide(c, sla: sla)
            #expect(grid.accepted == exact.accepted, "trial \(trial)")
            if grid.accepted { #expect(grid.serverWork == exact.serverWork, "trial \(trial)") }
        }
    }

    @Test func baselinesNeverBeatTheOptimum() throws {
        var rng = SplitLLMTestRandom(seed: 4)
        var strictGains = 0
        for trial in 0..<150 {
            let k = 2 + trial % 11
            let c = randomCosts(units: k, rng: &rng, integral: false)
            let sla = Seconds(Double.random(in: 10...(12 * Double(k) + 10), using: &rng))
            let steps = 400
            let exact = try SplitLLMPlanner(.exact).decide(c, sla: sla)
            let dp = try SplitLLMPlanner(.dp, timeSteps: steps).decide(c, sla: sla)
            for s in [SplitLLMPlanner.Strategy.serverOnly, .greedy, .greedyRatio, .singleCut] {
                let b = try SplitLLMPlanner(s).decide(c, sla: sla)
                guard b.accepted else { continue }
                #expect(b.latency! <= sla, "\(s) accepted a split over the SLA")
                #expect(exact.accepted && exact.serverWork!.value <= b.serverWork!.value, "trial \(trial): \(s) beat exact")
                // The DP only sees splits that fit in rounded ticks; against those it is never beaten.
                if c.latencyTicks(of: b.assignment, quantum: sla.value / Double(steps)) <= steps {
                    #expect(dp.accepted && dp.serverWork!.value <= b.serverWork!.value + 1e-9, "trial \(trial): \(s) beat dp")
                    if s == .greedy && dp.serverWork!.value < b.serverWork!.value - 1e-9 { strictGains += 1 }
                }
            }
        }
        #expect(strictGains > 10, "the DP should often strictly beat greedy prefix offload, did \(strictGains) times")
    }

    @Test func findsMultiSwitchSplitsASingleCutCannot() throws {
        func unit(_ name: String, _ client: Double, _ work: Double) -> SplitLLMUnitCost {
            SplitLLMUnitCost(name: name, clientTime: Seconds(client), serverTime: Seconds(1), serverWork: FLOPs(work))
        }
        let c = SplitLLMCosts(
            units: [unit("a", 1, 0), unit("b", 1, 10), unit("c", 100, 1), unit("d", 1, 10), unit("e", 1, 1)],
            upload: Array(repeating: Seconds(1), count: 4), download: Array(repeating: Seconds(1), count: 4),
            inputUpload: Seconds(1), resultDownload: Seconds(1))
        let sla = Seconds(10)
        for s in [SplitLLMPlanner.Strategy.dp, .exact] {
            let d = try SplitLLMPlanner(s, timeSteps: 10).decide(c, sla: sla)
            #expect(d.pattern == "CCSCC", "\(s) chose \(d.pattern)")
            #expect(d.serverWork == FLOPs(1) && d.latency == Seconds(7) && d.switches == 2)
        }
        let cut = try SplitLLMPlanner(.singleCut).decide(c, sla: sla)
        #expect(cut.serverWork == FLOPs(12))
        let greedy = try SplitLLMPlanner(.greedy).decide(c, sla: sla)
        #expect(greedy.pattern == "CCSSS" && greedy.serverWork == FLOPs(12))
    }

    @Test func unmeetableSLAIsReportedByEveryStrategy() throws {
        var rng = SplitLLMTestRandom(seed: 5)
        let c = randomCosts(units: 6, rng: &rng, integral: true)
        let tiny = Seconds(1e-6)
        // Give every unit a positive time so no split fits in a microsecond.
        var slow = c
        for i in slow.units.indices {
            slow.units[i].clientTime = slow.units[i].clientTime + Seconds(1)
            slow.units[i].serverTime = slow.units[i].serverTime + Seconds(1)
        }
        for s in SplitLLMPlanner.Strategy.allCases {
            let d = try SplitLLMPlanner(s).decide(slow, sla: tiny)
            #expect(!d.accepted && d.assignment.isEmpty && d.latency == nil && d.planner == s.rawValue)
            #expect(d.reason?.contains("SLA") == true, "\(s): \(String(describing: d.reason))")
        }
    }

    @Test func memoryCapKeepsClientWeightsWithinIt() throws {
        let c = SplitLLMCosts(
            units: (0..<4).map {
                SplitLLMUnitCost(name: "u\($0)", clientTime: Seconds(1), serverTime: Seconds(1), serverWork: FLOPs(5),
                    clientWeights: Bytes(10))
            },
            upload: Array(repeating: Seconds(0), count: 3), download: Array(repeating: Seconds(0), count: 3),
            inputUpload: Seconds(0), resultDownload: Seconds(0))
        for s in [SplitLLMPlanner.Strategy.dp, .exact, .greedy, .greedyRatio, .singleCut] {
            let unlimited = try SplitLLMPlanner(s).decide(c, sla: Seconds(100))
            #expect(unlimited.serverWork == FLOPs(0), "\(s)")
            let capped = try SplitLLMPlanner(s).decide(c, sla: Seconds(100), clientMemory: Bytes(25))
            #expect(capped.clientWeights! <= Bytes(25) && capped.serverWork == FLOPs(10), "\(s): \(capped.pattern)")
            let none = try SplitLLMPlanner(s).decide(c, sla: Seconds(100), clientMemory: Bytes(0))
            #expect(none.pattern == "SSSS", "\(s)")
        }
    }

    @Test func malformedInputsThrowNamingTheValue() {
        let c = SplitLLMCosts(
            units: [SplitLLMUnitCost(name: "x", clientTime: Seconds(-1), serverTime: Seconds(1), serverWork: FLOPs(1))],
            upload: [], download: [], inputUpload: .zero, resultDownload: .zero)
        do {
            _ = try SplitLLMPlanner(.dp).decide(c, sla: Seconds(1))
            Issue.record("negative time accepted")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("clientTime") && error.message.contains("-1"))
        }
        var ok = c
        ok.units[0].clientTime = Seconds(1)
        #expect(throws: PlannerError.self) { try SplitLLMPlanner(.dp).decide(ok, sla: Seconds(0)) }
        #expect(throws: PlannerError.self) { try SplitLLMPlanner(.dp, timeSteps: 0).decide(ok, sla: Seconds(1)) }
        do {
            _ = try SplitLLMPlanner.Strategy(named: "optimal")
            Issue.record("unknown name accepted")
        } catch {
            #expect(error.message.contains("optimal") && error.message.contains("greedy-ratio"))
        }
        #expect((try? SplitLLMPlanner.Strategy(named: "Greedy")) == .greedy)
    }
}
