import HeadwayCore
import Testing

@Suite struct ReferenceCostModelTests {
    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-9) -> Bool { abs(a - b) <= rel * max(abs(a), abs(b)) }

    @Test(arguments: ["g1-3-devices"]) func blockCostsMatchFixture(_ name: String) throws {
        let c = try Fixture.referenceCase(name)
        let expected = c.expected["block_costs_step0"] as! [String: [String: Double]]
        let at = TokenPosition(promptLength: 512, generated: 0)
        for (block, index) in [("head", 0), ("projection", 8), ("ffn", 9)] {
            let d = c.model.demand(of: index, at: at)
            #expect(Self.close(d.memory.gigabytes, expected[block]!["memory_gb"]!), "\(block) memory \(d.memory.gigabytes)")
            #expect(Self.close(d.flops.value, expected[block]!["flops"]!), "\(block) flops \(d.flops.value)")
        }
        // K/V cache of one head grows by D·b per generated token (t·D·b).
        let later = c.model.demand(of: 0, at: TokenPosition(promptLength: 512, generated: 3))
        #expect(Self.close(later.state.value, 3 * 512 * 4))
    }

    @Test(arguments: ["g1-3-devices", "g2-4-devices"]) func latencyOfGivenAssignmentsMatchesFixture(_ name: String) throws {
        let c = try Fixture.referenceCase(name)
        let state = c.cluster.nominalState
        for algorithm in ["greedy", "round_robin"] {
            let entry = c.expected[algorithm] as! [String: Any]
            let placement = Fixture.placement(
                entry["assignment"] as! [String: String], layout: c.model.layout, cluster: c.cluster)
            for t in 0..<c.steps {
                let e = c.model.evaluate(placement, on: state, at: TokenPosition(promptLength: 512, generated: t))
                #expect(Self.close(e.latency.value, entry["latency_s"] as! Double), "\(name) \(algorithm) step \(t): \(e.latency.value)")
                #expect(e.isFeasible)
                if let comm = entry["comm_time_s"] as? Double {
                    #expect(Self.close(e.communication.value, comm), "\(algorithm) comm \(e.communication.value)")
                }
                if let data = entry["data_gb"] as? Double {
                    #expect(Self.close(e.networkBytes.gigabytes, data), "\(algorithm) data \(e.networkBytes.gigabytes)")
                }
            }
        }
    }

    @Test func optimumQuotedInFixturesEvaluatesToItsLatency() throws {
        // G1: heads device_0:6, device_1:2; projection and ffn on device_0.
        let g1 = try Fixture.referenceCase("g1-3-devices")
        let p1 = Placement(devices: [0, 0, 0, 0, 0, 0, 1, 1, 0, 0])
        let e1 = g1.model.evaluate(p1, on: g1.cluster.nominalState, at: TokenPosition(promptLength: 512, generated: 0))
        #expect(Self.close(e1.latency.value, (g1.expected["exact_optimal"] as! [String: Any])["latency_s"] as! Double))
        // G2: heads d0:4, d1:2, d2:1, d3:1; projection and ffn on d0.
        let g2 = try Fixture.referenceCase("g2-4-devices")
        let p2 = Placement(devices: [0, 0, 0, 0, 1, 1, 2, 3, 0, 0])
        let e2 = g2.model.evaluate(p2, on: g2.cluster.nominalState, at: TokenPosition(promptLength: 512, generated: 0))
        #expect(Self.close(e2.latency.value, (g2.expected["exact_optimal"] as! [String: Any])["latency_s"] as! Double))
        // Without the source device: heads d1:4, d2:2, d3:2; projection and ffn on d1 → 0.02773787748.
        let p3 = Placement(devices: [1, 1, 1, 1, 2, 2, 3, 3, 1, 1])
        let e3 = g2.model.evaluate(p3, on: g2.cluster.nominalState, at: TokenPosition(promptLength: 512, generated: 0))
        #expect(abs(e3.latency.value - 0.02773787748) < 1e-10)
        // The authors' resource-aware result: all blocks on device_1.
        let ra = Placement(blockCount: 10, allOn: 1)
        let e4 = g2.model.evaluate(ra, on: g2.cluster.nominalState, at: TokenPosition(promptLength: 512, generated: 0))
        #expect(Self.close(e4.latency.value, (g2.expected["reference_resource_aware"] as! [String: Any])["latency_s"] as! Double))
    }
}
