import HeadwayCore
import HeadwayPlanner
import Testing

/// The exact planner against enumeration of every assignment, on tiny random instances.
@Suite struct BruteForceTests {
    static func check(_ instance: ExactTestInstance) throws {
        let r = instance.request
        let brute = ExactTestInstances.bruteForce(r)
        do {
            let plan = try ExactPlanner().plan(r)
            let brute = try #require(brute, "\(instance): exact found \(plan.objective) but nothing is feasible")
            #expect(plan.evaluation.isFeasible, "\(instance)")
            #expect(ExactTestInstances.close(plan.objective.value, brute.objective),
                "\(instance): exact \(plan.objective.value) brute \(brute.objective) \(plan.placement.devices) vs \(brute.placement.devices)")
            #expect(plan.notes["optimal"] == 1)
            #expect(plan.notes["gap"] == 0)
            // The heuristic is never better than the optimum.
            if let h = try? LocalSearchPlanner().plan(r) {
                #expect(h.evaluation.isFeasible)
                #expect(h.objective.value >= brute.objective * (1 - 1e-9), "\(instance): headway below optimum")
            }
        } catch let e as PlannerError {
            #expect(e.code == .infeasible)
            #expect(brute == nil, "\(instance): exact says infeasible, brute force found \(brute!.objective)")
        }
    }

    @Test(arguments: 0..<40) func referenceSingleLayer(_ seed: Int) throws {
        let n = 2 + seed % 2
        let heads = 2 + seed % 3
        try Self.check(ExactTestInstances.reference(seed: UInt64(seed), devices: n, heads: heads, withPrevious: seed % 2 == 1))
        try Self.check(ExactTestInstances.reference(seed: UInt64(seed + 1000), devices: n, heads: heads, withPrevious: seed % 2 == 0))
    }

    @Test(arguments: 0..<40) func decodeSingleLayer(_ seed: Int) throws {
        let n = 2 + seed % 2
        let groups = 2 + seed % 3
        try Self.check(ExactTestInstances.decode(seed: UInt64(seed), devices: n, layers: 1, groups: groups, withPrevious: false))
        try Self.check(ExactTestInstances.decode(seed: UInt64(seed + 500), devices: n, layers: 1, groups: groups, withPrevious: true))
    }

    @Test(arguments: 0..<25) func decodeTwoLayers(_ seed: Int) throws {
        try Self.check(ExactTestInstances.decode(
            seed: UInt64(seed + 2000), devices: seed % 4 == 0 ? 3 : 2, layers: 2, groups: 2, withPrevious: seed % 2 == 0))
    }

    @Test(arguments: 0..<15) func referenceTwoLayers(_ seed: Int) throws {
        var i = ExactTestInstances.reference(seed: UInt64(seed + 3000), devices: 2, heads: 2, withPrevious: seed % 2 == 0)
        var shape = i.request.costModel.shape
        shape.layerCount = 2
        let model = ReferenceCostModel(shape: shape, sequenceLength: 128, incrementSequence: true)
        let previous = i.request.previous.map { Placement(devices: $0.devices + $0.devices.reversed()) }
        // Two layers need twice the room.
        let state = i.request.state.with(
            memory: i.request.state.memory.map { $0 * 2 }, compute: i.request.state.compute.map { $0 * 2 })
        i.request = PlanningRequest(costModel: model, state: state, position: i.request.position, previous: previous)
        try Self.check(i)
    }

    @Test(arguments: 0..<12) func decodeWithOfflineDevice(_ seed: Int) throws {
        try Self.check(ExactTestInstances.decode(
            seed: UInt64(seed + 4000), devices: 3, layers: 1, groups: 2 + seed % 2, withPrevious: true, offline: true))
    }
}

/// Guards against vacuous comparisons: most instances are feasible and spread over devices, and with a previous
/// placement the optimum often moves some blocks but not all.
@Suite struct BruteForceInstanceTests {
    @Test func instancesAreNonTrivial() throws {
        var feasible = 0, spread = 0, partial = 0, total = 0
        for seed in 0..<40 {
            for inst in [
                ExactTestInstances.reference(seed: UInt64(seed), devices: 2 + seed % 2, heads: 2 + seed % 3, withPrevious: true),
                ExactTestInstances.decode(seed: UInt64(seed + 500), devices: 2 + seed % 2, layers: 1, groups: 2 + seed % 3, withPrevious: true),
            ] {
                total += 1
                guard let p = try? ExactPlanner().plan(inst.request) else { continue }
                feasible += 1
                if Set(p.placement.devices).count > 1 { spread += 1 }
                if !p.migrated.isEmpty && p.migrated.count < p.placement.count { partial += 1 }
            }
        }
        #expect(feasible * 4 >= total * 3, "\(feasible)/\(total) feasible")
        #expect(spread * 2 >= total, "\(spread)/\(total) use several devices")
        #expect(partial * 4 >= total, "\(partial)/\(total) move some blocks")
    }
}
