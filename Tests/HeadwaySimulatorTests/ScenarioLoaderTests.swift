import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

@Suite struct ScenarioLoaderTests {
    let loader = ScenarioLoader(plannerNames: Set(PlannerRegistry.names))

    static let valid = """
        name: t
        model: smollm2-135m
        cluster:
          devices:
            - {id: a, memory_gb: 4, compute_gflops: 20, memory_bandwidth_gbs: 20}
            - {id: b, memory_gb: 2, compute_gflops: 10}
          links:
            - {a: a, b: b, bandwidth_gbps: 5, latency_ms: 1}
        tokens: 10
        planners: [greedy]
        """

    /// Loads `text` and returns the error message (nil when it loads).
    func failure(_ text: String) -> String? {
        do {
            _ = try loader.load(text: text, file: "bad.yaml")
            return nil
        } catch let e as CoreError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    @Test func validScenarioLoads() throws {
        let s = try loader.load(text: Self.valid, file: "ok.yaml")
        #expect(s.shape == .smolLM2_135M)
        let c = try s.makeCluster(seed: 1)
        #expect(c.count == 2)
        #expect(abs(c.links[0].bandwidth.value - 5e9 / 8) < 1e-6, "5 Gbit/s is 625 MB/s")
        #expect(c.devices[1].memoryBandwidth.value == 20 * 1024 * 1024 * 1024, "default memory bandwidth")
    }

    @Test(arguments: [
        ("memory_gb: 4", "memory_gb: -4", ["bad.yaml", "cluster.devices[0].memory_gb", "-4"]),
        ("{a: a, b: b, bandwidth_gbps: 5", "{a: a, b: zz, bandwidth_gbps: 5", ["bad.yaml", "cluster.links[0].b", "zz"]),
        ("bandwidth_gbps: 5, latency_ms: 1", "bandwidth_gbps: 0, latency_ms: 1", ["bad.yaml", "bandwidth_gbps", "0"]),
        ("planners: [greedy]", "planners: [fastest]", ["bad.yaml", "planners[0]", "fastest"]),
        ("tokens: 10", "", ["bad.yaml", "missing", "tokens"]),
        ("model: smollm2-135m", "model: {layers: 2, model_dim: 64, heads: 6, kv_heads: 4, ffn_dim: 128, vocab_size: 100}",
         ["bad.yaml", "6", "4", "divisible"]),
        ("model: smollm2-135m", "model: gpt-7", ["bad.yaml", "model", "gpt-7"]),
        ("tokens: 10", "tokens: 10\ntokenz: 3", ["bad.yaml", "tokenz"]),
        ("compute_gflops: 10}", "compute_gflops: abc}", ["bad.yaml", "compute_gflops", "abc"]),
    ])
    func badInputNamesFileFieldAndValue(_ replace: (String, String, [String])) {
        let text = Self.valid.replacingOccurrences(of: replace.0, with: replace.1)
        #expect(text != Self.valid)
        guard let message = failure(text) else {
            Issue.record("expected an error for \(replace.1)")
            return
        }
        for part in replace.2 { #expect(message.contains(part), "'\(message)' should mention '\(part)'") }
    }

    @Test func malformedTextIsAnErrorNotACrash() {
        for text in ["", "[1, 2", "just a string", "model: [", "{\"tokens\": }", "- a\n- b"] {
            #expect(failure(text) != nil, "\(text)")
        }
    }

    @Test func generatedClusterAndDynamicsLoadAndAreDeterministic() throws {
        let text = """
            model: {preset: smollm2-135m, layers: 4}
            cluster:
              generate: {kind: paper, devices: 6, bandwidth_gbps: [1, 10], latency_ms: 1}
            dynamics:
              preset: paper
              events: [{token: 3, device: device_2, event: leave}]
            tokens: 8
            planners: [greedy, round-robin]
            seed: 7
            repetitions: 2
            """
        let s = try loader.load(text: text, file: "gen.yaml")
        #expect(s.seeds == [7, 8])
        #expect(s.shape.layerCount == 4)
        let a = try s.makeSchedule(seed: 7)
        let b = try s.makeSchedule(seed: 7)
        #expect(a.state(at: 5) == b.state(at: 5))
        #expect(a.state(at: 2).online[2] && !a.state(at: 4).online[2])
        #expect(a.cluster.count == 6)
    }
}
