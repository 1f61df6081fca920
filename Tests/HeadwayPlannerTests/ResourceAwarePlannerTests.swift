import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct ResourceAwarePlannerTests {
    /// The fixtures' exact optima (reference-simulator.md §9.6).
    static let optima = ["g1-3-devices": 0.035826560641827314, "g2-4-devices": 0.01613867829665073]

    @Test(arguments: ["g1-3-devices", "g2-4-devices"], [0.0, 1.0])
    func withinQuarterOfTheFixtureOptimum(_ name: String, _ weighted: Double) throws {
        let c = try PlannerFixtures.referenceCase(name)
        let planner = try PlannerRegistry.planner(named: "resource_aware", options: weighted == 1 ? ["weighted": 1] : [:])
        let plan = try planner.plan(c.request())
        let optimum = try #require(Self.optima[name])
        let ratio = plan.evaluation.latency.value / optimum
        print("resource-aware \(weighted == 1 ? "weighted" : "max") \(name): \(plan.placement.devices) latency \(plan.evaluation.latency.value) ratio \(ratio)")
        #expect(plan.evaluation.isFeasible)
        #expect(ratio >= 1 - 1e-12 && ratio <= 1.25, "ratio \(ratio)")
        // Better than the authors' implementation, which puts every block on one device.
        let authors = c.entry("reference_resource_aware")["latency_s"] as! Double
        #expect(plan.evaluation.latency.value < authors)
        #expect(Set(plan.placement.devices.prefix(8)).count > 1)
    }

    @Test func spreadsAttentionOverIdenticalDevicesUnderTheDecodeModel() throws {
        let model = DecodeCostModel(shape: PlannerFixtures.wideSingleLayer)
        let cluster = try PlannerFixtures.identicalCluster(count: 3)
        let request = PlanningRequest(
            costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 2048, generated: 100))
        let plan = try ResourceAwarePlanner().plan(request)
        let heads = plan.placement.devices.prefix(8)
        #expect(Set(heads).count > 1, "heads on \(Array(heads))")
        #expect(plan.evaluation.isFeasible)
        let allOnOne = (0..<3).map {
            model.evaluate(Placement(blockCount: 10, allOn: $0), on: cluster.nominalState, at: request.position).latency
        }.min()!
        #expect(plan.evaluation.latency < allOnOne, "\(plan.evaluation.latency) vs all on one \(allOnOne)")
    }

    @Test func slowLinksKeepEverythingTogether() throws {
        // Same model, but a 10 ms link latency: spreading cannot pay, and the score's comm term sees it.
        let model = DecodeCostModel(shape: PlannerFixtures.wideSingleLayer)
        let cluster = try PlannerFixtures.identicalCluster(count: 3, latency: Seconds(milliseconds: 10))
        let request = PlanningRequest(
            costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 2048, generated: 100))
        let plan = try ResourceAwarePlanner().plan(request)
        #expect(Set(plan.placement.devices) == [cluster.controller])
    }

    /// Two devices; head_0's previous device is slightly slower than the other one.
    static func migrationCase(linkGbps: Double) throws -> (PlanningRequest, Placement) {
        let model = DecodeCostModel(shape: PlannerFixtures.wideSingleLayer)
        let devices = [
            Device(id: "fast", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 50),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 10)),
            Device(id: "slower", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 50),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 9.5)),
        ]
        let cluster = try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: linkGbps))
        // With the budget pinned, only head_0's choice matters; everything else already sits where it scores best.
        let fresh = PlanningRequest(
            costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 4096, generated: 0))
        var previous = try ResourceAwarePlanner().plan(fresh).placement
        let head = previous.devices.firstIndex(of: 0)!
        previous[head] = 1
        return (PlanningRequest(costModel: model, state: cluster.nominalState,
                                position: TokenPosition(promptLength: 4096, generated: 1), previous: previous), previous)
    }

    @Test func blockStaysWhenMigrationCostsMoreThanItGains() throws {
        let (request, previous) = try Self.migrationCase(linkGbps: 0.01)
        let plan = try ResourceAwarePlanner().plan(request)
        #expect(plan.placement == previous, "moved \(plan.migrated)")
        #expect(plan.migrated.isEmpty)
        #expect((plan.notes["migration_checks"] ?? 0) >= 1, "the migration rule was not consulted: \(plan.notes)")
        // The same request with a fast link: the cheap migration is taken.
        let (fastRequest, fastPrevious) = try Self.migrationCase(linkGbps: 100_000)
        let fast = try ResourceAwarePlanner().plan(fastRequest)
        #expect(fast.placement != fastPrevious)
        #expect(!fast.migrated.isEmpty)
        #expect(fast.objective < PlanningRequest.keepObjective(fastRequest))
    }

    @Test func overfullClusterThrowsInfeasible() throws {
        let model = DecodeCostModel(shape: .smolLM2_135M)
        let cluster = try PlannerFixtures.identicalCluster(count: 3, memoryGB: 0.03)
        let request = PlanningRequest(
            costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 128, generated: 0))
        #expect(throws: PlannerError.self) { try ResourceAwarePlanner().plan(request) }
        do { _ = try ResourceAwarePlanner().plan(request) } catch {
            #expect(error.code == .infeasible, "\(error)")
        }
        // Everything offline but the controller, which cannot hold the model.
        let offline = cluster.nominalState.with(online: [true, false, false])
        do {
            _ = try ResourceAwarePlanner().plan(request.with(state: offline))
            Issue.record("placed on offline devices")
        } catch { #expect(error.code == .infeasible, "\(error)") }
    }

    @Test func tightMemoryForcesBacktrackingAndStillFits() throws {
        // Reference SMALL at s=512: heads 0.73 MB each, projection 0.98 MB, FFN 3.9 MB; two identical devices of
        // 6.6 MB. Spreading the heads 4/4 leaves no room for the FFN anywhere, so the search must backjump; the only
        // fits put the FFN next to at most 3 heads.
        let shape = ModelShape.referenceSmall
        let model = ReferenceCostModel(shape: shape, sequenceLength: 512)
        let cluster = try Cluster.fullMesh(
            devices: (0..<2).map {
                Device(id: "d\($0)", memory: Bytes(gigabytes: 0.0066), compute: FLOPsPerSecond(1e10),
                       memoryBandwidth: BytesPerSecond(1e10))
            }, bandwidth: BytesPerSecond(gigabytesPerSecond: 10))
        let request = PlanningRequest(costModel: model, state: cluster.nominalState, position: TokenPosition(promptLength: 512, generated: 0))
        let plan = try ResourceAwarePlanner().plan(request)
        #expect(plan.evaluation.isFeasible, "\(plan.evaluation.violations)")
        #expect((plan.notes["backtracks"] ?? 0) >= 1, "\(plan.notes)")
        #expect(Set(plan.placement.devices.prefix(8)).count == 2)
        // Still parallel and better than greedy, which cannot fit everything on d0 and spills.
        let greedy = try GreedyPlanner().plan(request)
        #expect(plan.evaluation.latency < greedy.evaluation.latency, "\(plan.evaluation.latency) vs \(greedy.evaluation.latency)")
    }

    @Test(arguments: ["decode", "reference"]) func multiLayerModelsArePlaced(_ kind: String) throws {
        var shape = ModelShape.reference(name: "4-layer", heads: 8, dim: 512)
        shape.layerCount = 4
        let cm: any CostModel = kind == "decode" ? DecodeCostModel(shape: shape) : ReferenceCostModel(shape: shape, sequenceLength: 256)
        let cluster = try PlannerFixtures.identicalCluster(count: 5, memoryGB: 2)
        let request = PlanningRequest(costModel: cm, state: cluster.nominalState, position: TokenPosition(promptLength: 256, generated: 10))
        for planner in PlannerRegistry.names {
            let plan = try PlannerRegistry.planner(named: planner, options: [:]).plan(request)
            #expect(plan.placement.count == cm.layout.count)
            #expect(plan.evaluation.isFeasible, "\(planner) \(kind)")
        }
        let greedy = try GreedyPlanner().plan(request)
        let ra = try ResourceAwarePlanner().plan(request)
        #expect(ra.evaluation.latency <= greedy.evaluation.latency, "\(kind): \(ra.evaluation.latency) vs greedy \(greedy.evaluation.latency)")
    }

    @Test func optionsAreParsedAndCheckedByName() throws {
        let o = try ResourceAwarePlanner.Options(["weighted": 1, "alpha": 0.5, "beta": 0.3, "gamma": 0.2, "max_iterations": 10])
        #expect(o.scoring == .weightedSum(alpha: 0.5, beta: 0.3, gamma: 0.2))
        #expect(o.maxIterations == 10)
        for bad: [String: Double] in [["colour": 1], ["alpha": 0.5], ["time_limit": -1], ["weighted": 2]] {
            do {
                _ = try ResourceAwarePlanner.Options(bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(bad.keys.first!), "\(error.message)")
            }
        }
    }

    @Test func iterationCapFallsBackToThePreviousPlacement() throws {
        let c = try PlannerFixtures.referenceCase("g2-4-devices")
        let previous = c.placement(of: "round_robin")
        let planner = ResourceAwarePlanner(options: .init(maxIterations: 3))
        let plan = try planner.plan(c.request(previous: previous))
        #expect(plan.placement == previous)
        #expect(plan.notes["capped"] == 1)
        #expect(throws: PlannerError.self) { try planner.plan(c.request()) }
    }
}

extension PlanningRequest {
    /// Objective of keeping the previous placement.
    static func keepObjective(_ r: PlanningRequest) -> Seconds {
        r.costModel.evaluate(r.previous!, on: r.state, at: r.position).latency
    }
}
