import HeadwayCore
import HeadwayPlanner
import Testing

/// Small instances for the layer-based baselines: 2–4 heterogeneous devices on a full mesh with uneven links.
enum LayeredFixtures {
    static func cluster(seed: UInt64, devices n: Int, memoryMB: ClosedRange<Double> = 4000...8000) throws -> Cluster {
        var rng = SplitMix(state: seed)
        let devices = (0..<n).map { k in
            Device(id: "d\(k)", memory: Bytes(megabytes: rng.uniform(memoryMB.lowerBound, memoryMB.upperBound)),
                   compute: FLOPsPerSecond(gigaflops: rng.uniform(5, 50)),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: rng.uniform(2, 50)))
        }
        var links: [Link] = []
        for i in 0..<n { for j in (i + 1)..<n {
            links.append(Link(a: "d\(i)", b: "d\(j)", bandwidth: BytesPerSecond(gigabitsPerSecond: rng.uniform(0.2, 10)),
                              latency: Seconds(milliseconds: rng.uniform(0, 3))))
        } }
        return try Cluster(devices: devices, links: links)
    }

    static func shape(layers: Int, heads: Int = 4, kvHeads: Int = 4, dim: Int = 1024) -> ModelShape {
        ModelShape(name: "test-\(layers)", layerCount: layers, modelDim: dim, headCount: heads, kvHeadCount: kvHeads,
                   ffnDim: 2 * dim, gatedFFN: true, vocabSize: 1000, weightBytes: 2)
    }

    /// Every unit → device assignment with unit 0 on the controller (device 0).
    static func assignments(units: Int, devices n: Int) -> [[Int]] {
        var all: [[Int]] = [[0]]
        for _ in 1..<units { all = all.flatMap { a in (0..<n).map { a + [$0] } } }
        return all
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-12) }
}

@Suite struct EdgeShardPlannerTests {
    /// Decode multi-layer (1–5 layers), decode single-layer chain and reference single-layer, 2–4 devices, ample memory.
    static func requests() throws -> [(String, PlanningRequest)] {
        var out: [(String, PlanningRequest)] = []
        for seed in UInt64(1)...12 {
            let n = 2 + Int(seed % 3)
            let layers = 1 + Int(seed % 5)
            let cluster = try LayeredFixtures.cluster(seed: seed, devices: n)
            let position = TokenPosition(promptLength: 256, generated: Int(seed) * 7)
            out.append(("decode L\(layers) n\(n) s\(seed)", PlanningRequest(
                costModel: DecodeCostModel(shape: LayeredFixtures.shape(layers: layers, kvHeads: seed % 2 == 0 ? 2 : 4)),
                state: cluster.nominalState, position: position)))
            if seed <= 4 {
                out.append(("reference L1 n\(n) s\(seed)", PlanningRequest(
                    costModel: ReferenceCostModel(shape: .reference(name: "r", heads: 4, dim: 256), sequenceLength: 64),
                    state: cluster.nominalState.with(compute: cluster.devices.map { _ in FLOPsPerSecond(1e15) }),
                    position: TokenPosition(promptLength: 64, generated: Int(seed)))))
            }
        }
        return out
    }

    @Test func latencyDPEqualsBruteForceAndTheCostModel() throws {
        for (label, request) in try Self.requests() {
            let chain = EdgeShardChain(request: request, sizing: request.position)
            let n = request.state.count
            var best = Double.infinity
            for a in LayeredFixtures.assignments(units: chain.units.count, devices: n) {
                let placement = chain.placement(of: a, blockCount: request.layout.count)
                let e = request.costModel.evaluate(placement, on: request.state, at: request.position)
                guard e.isFeasible else { continue }
                #expect(LayeredFixtures.close(chain.latency(of: a), e.latency.value), "\(label) \(a)")
                best = min(best, e.latency.value)
            }
            let plan = try EdgeShardPlanner().plan(request)
            let predicted = plan.notes["predicted_latency_s"]!
            #expect(LayeredFixtures.close(predicted, plan.evaluation.latency.value), "\(label): DP \(predicted) vs evaluate \(plan.evaluation.latency.value)")
            #expect(LayeredFixtures.close(predicted, best), "\(label): DP \(predicted) vs brute force \(best)")
            #expect(plan.evaluation.isFeasible)
            // The first unit sits on the controller.
            #expect(chain.blocks[0].allSatisfy { plan.placement[$0] == request.state.cluster.controller })
        }
    }

    @Test func throughputDPEqualsBruteForceOverOrderedShards() throws {
        for (label, request) in try Self.requests() {
            let chain = EdgeShardChain(request: request, sizing: request.position)
            var best = Double.infinity
            for a in LayeredFixtures.assignments(units: chain.units.count, devices: request.state.count) {
                // One contiguous shard per device.
                var seen: Set<Int> = []
                var valid = true
                for (u, j) in a.enumerated() where u == 0 || a[u - 1] != j {
                    if !seen.insert(j).inserted { valid = false }
                }
                guard valid, chain.fits(a) else { continue }
                best = min(best, chain.bottleneck(of: a))
            }
            let planner = try PlannerRegistry.planner(named: "edgeshard", options: ["objective": 1])
            let plan = try planner.plan(request)
            #expect(LayeredFixtures.close(plan.notes["bottleneck_s"]!, best), "\(label): DP \(plan.notes["bottleneck_s"]!) vs brute \(best)")
            #expect(plan.evaluation.isFeasible)
        }
    }

    /// Memory binds: the fastest device holds only part of the model. The DP's placement fits, is no better than the
    /// best feasible assignment, and its prediction still matches the cost model.
    @Test func tightMemoryPlacementsFitAndAreNeverBelowTheOptimum() throws {
        var binding = 0
        for seed in UInt64(20)...40 {
            let n = 2 + Int(seed % 3)
            let layers = 2 + Int(seed % 4)
            let cm = DecodeCostModel(shape: LayeredFixtures.shape(layers: layers))
            let position = TokenPosition(promptLength: 128, generated: 0)
            let layer = (0..<cm.layout.blocksPerLayer).reduce(0.0) { $0 + cm.demand(of: $1, at: position).memory.value }
            let fixed = cm.controllerMemory(at: position).value
            let cluster = try LayeredFixtures.cluster(seed: seed, devices: n, memoryMB: 1...2)
            // Every device holds 1–3 layers; the controller also its fixed share.
            var rng = SplitMix(state: seed)
            let memory = (0..<n).map { j in Bytes((j == 0 ? fixed : 0) + layer * Double(rng.int(1...3)) + 1000) }
            let request = PlanningRequest(costModel: cm, state: cluster.nominalState.with(memory: memory), position: position)
            let chain = EdgeShardChain(request: request, sizing: position)
            var best = Double.infinity
            var unconstrained = Double.infinity
            for a in LayeredFixtures.assignments(units: layers, devices: n) {
                let latency = chain.latency(of: a)
                unconstrained = min(unconstrained, latency)
                if chain.fits(a) { best = min(best, latency) }
            }
            if best > unconstrained { binding += 1 }
            do {
                let plan = try EdgeShardPlanner().plan(request)
                #expect(plan.evaluation.isFeasible, "seed \(seed): \(plan.evaluation.violations)")
                #expect(plan.evaluation.latency.value >= best * (1 - 1e-9), "seed \(seed)")
                #expect(LayeredFixtures.close(plan.notes["predicted_latency_s"]!, plan.evaluation.latency.value))
            } catch {
                #expect(error.code == .infeasible)
            }
        }
        #expect(binding >= 5, "memory bound in only \(binding) instances")
    }

    /// A case built so that the DP packs both layers on the fast controller with a few KB to spare: planned once, the
    /// placement is kept while the K/V caches grow, and the cost model reports the overflow a few tokens later.
    static func tightCase() throws -> (DecodeCostModel, Cluster, TokenPosition) {
        let cm = DecodeCostModel(shape: LayeredFixtures.shape(layers: 2, heads: 4, kvHeads: 4, dim: 256))
        let start = TokenPosition(promptLength: 1000, generated: 0)
        let needed = cm.memoryUsed(by: Placement(blockCount: cm.layout.count, allOn: 0), on: try LayeredFixtures.cluster(seed: 1, devices: 2).nominalState, at: start)[0]
        let devices = [
            Device(id: "fast", memory: needed + Bytes(5000), compute: FLOPsPerSecond(gigaflops: 50),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 50)),
            Device(id: "slow", memory: Bytes(gigabytes: 4), compute: FLOPsPerSecond(gigaflops: 5),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 2)),
        ]
        let cluster = try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: 1), latency: Seconds(milliseconds: 1))
        return (cm, cluster, start)
    }

    /// Steps the planner token by token as the simulator does (previous placement passed back each step).
    static func run(_ planner: any Planner, _ cm: DecodeCostModel, _ cluster: Cluster, tokens: Int) throws
        -> (feasible: [Bool], placements: [Placement], migrations: Int)
    {
        var previous: Placement?
        var feasible: [Bool] = []
        var placements: [Placement] = []
        var migrations = 0
        for t in 0..<tokens {
            let request = PlanningRequest(costModel: cm, state: cluster.nominalState,
                                          position: TokenPosition(promptLength: 1000, generated: t), previous: previous)
            let plan = try planner.plan(request)
            migrations += plan.migrated.count
            previous = plan.placement
            placements.append(plan.placement)
            feasible.append(plan.evaluation.isFeasible)
        }
        return (feasible, placements, migrations)
    }

    @Test func plannedOnceTheGrowingCacheOverflowsLater() throws {
        let (cm, cluster, start) = try Self.tightCase()
        let first = try EdgeShardPlanner().plan(PlanningRequest(costModel: cm, state: cluster.nominalState, position: start))
        #expect(first.placement == Placement(blockCount: cm.layout.count, allOn: 0), "the DP should pack the fast device")
        let once = try Self.run(EdgeShardPlanner(), cm, cluster, tokens: 12)
        #expect(once.feasible.first == true)
        #expect(once.feasible.contains(false), "no overflow recorded")
        let firstOOM = once.feasible.firstIndex(of: false)!
        #expect(firstOOM > 0 && once.feasible[firstOOM...].allSatisfy { !$0 }, "overflow persists once reached")
        #expect(Set(once.placements).count == 1 && once.migrations == 0, "planned once: never moves")

        // Sizing the caches for the whole run keeps the run feasible (the DP leaves room or uses the slow device).
        let reserved = try Self.run(EdgeShardPlanner(options: .init(kvTokens: 1000 + 12)), cm, cluster, tokens: 12)
        #expect(reserved.feasible.allSatisfy { $0 })

        // Re-planning on overflow moves a layer away when the cache no longer fits, paying the migration.
        let replanning = try Self.run(try PlannerRegistry.planner(named: "edgeshard", options: ["replan_on_overflow": 1]), cm, cluster, tokens: 12)
        #expect(replanning.feasible.allSatisfy { $0 })
        #expect(replanning.migrations > 0)
        #expect(Array(replanning.placements[..<firstOOM]) == Array(once.placements[..<firstOOM]))
    }

    @Test func returnsThePreviousPlacementUnchanged() throws {
        let cluster = try LayeredFixtures.cluster(seed: 3, devices: 3)
        let cm = DecodeCostModel(shape: LayeredFixtures.shape(layers: 4))
        let arbitrary = Placement(devices: (0..<cm.layout.count).map { $0 % 3 })
        let slowed = cluster.nominalState.with(compute: cluster.devices.map { $0.compute * 0.1 })
        let plan = try EdgeShardPlanner().plan(PlanningRequest(
            costModel: cm, state: slowed, position: TokenPosition(promptLength: 10, generated: 5), previous: arbitrary))
        #expect(plan.placement == arbitrary && plan.migrated.isEmpty && plan.migrationDelay == .zero)
    }

    @Test func optionsAreValidated() {
        for bad: [String: Double] in [["objective": 2], ["kv_tokens": -1], ["replan_on_overflow": 0.5], ["throughput_devices": 40], ["alpha": 1]] {
            #expect(throws: PlannerError.self) { _ = try PlannerRegistry.planner(named: "edgeshard", options: bad) }
        }
    }

    @Test func infeasibleWhenTheControllerCannotHoldTheFirstUnit() throws {
        let cluster = try LayeredFixtures.cluster(seed: 5, devices: 3)
        let cm = DecodeCostModel(shape: LayeredFixtures.shape(layers: 3))
        let state = cluster.nominalState.with(memory: [Bytes(1000)] + cluster.devices.dropFirst().map(\.memory))
        do {
            _ = try EdgeShardPlanner().plan(PlanningRequest(costModel: cm, state: state, position: TokenPosition(promptLength: 8, generated: 0)))
            Issue.record("placed the first layer on a controller without room")
        } catch {
            #expect(error.code == .infeasible && error.message.contains("controller"))
        }
    }
}
