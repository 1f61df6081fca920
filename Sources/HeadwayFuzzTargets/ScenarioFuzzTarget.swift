import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator

/// Scenario files (JSON or YAML, `ScenarioLoader`), including the authors' neutral format. An accepted scenario's
/// cluster is also built for its first seed (generated clusters are made then).
public enum ScenarioFuzzTarget: FuzzTarget {
    public static let name = "scenario"
    static let fileName = "fuzz-scenario.yaml"

    public static func seeds() -> [[UInt8]] {
        let texts = [
            """
            model: llama-3.2-1b
            cluster:
              devices:
                - {id: hub, memory_gb: 8, compute_gflops: 100}
                - {id: pi, memory_gb: 4, compute_gflops: 20, memory_bandwidth_gbs: 10}
              links: [{a: hub, b: pi, bandwidth_gbps: 1, latency_ms: 2}]
            planners: [greedy, {name: headway, label: ours}]
            tokens: 10
            prompt_length: 16
            seed: 3
            repetitions: 2
            dynamics: {preset: paper, events: [{token: 5, device: pi, event: leave}]}
            """,
            """
            {"model": {"layers": 4, "model_dim": 256, "heads": 8, "kv_heads": 2, "ffn_dim": 512, "vocab_size": 1000},
             "cluster": {"generate": {"devices": 5, "kind": "realistic", "topology": "star"}},
             "cost_model": {"kind": "reference", "sequence_length": 64},
             "planners": ["round-robin"], "tokens": 4, "seeds": [1, 2]}
            """,
            """
            {"model": {"num_heads": 8, "embedding_dim": 512}, "sequence_length": 128, "steps": 3,
             "devices": [{"id": "a", "memory_gb": 1, "compute_flops": 1e9, "is_source": true},
                         {"id": "b", "memory_gb": 2, "compute_flops": 2e9}],
             "links": [{"a": "a", "b": "b", "bandwidth": 0.1}],
             "background": [{"b": {"memory_frac": 0.5}}],
             "algorithms": [{"name": "greedy"}, {"name": "resource_aware", "mode": "weighted", "alpha": 1}]}
            """,
            """
            model: {preset: smollm2-135m, layers: 2}
            cluster:
              devices:
                - &dev {id: x, memory_gb: 4, compute_gflops: 10}
                - {<<: *dev, id: y}
              full_mesh: {bandwidth_gbps: 1}
            planners: [static]
            tokens: 2
            """,
        ]
        return texts.map { Array($0.utf8) }
    }

    static let loader = ScenarioLoader(plannerNames: Set(PlannerRegistry.names))

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let text = String(decoding: input, as: UTF8.self)
        do {
            let scenario = try loader.load(text: text, file: fileName)
            _ = try scenario.makeCluster(seed: scenario.seeds.first ?? 1)
            return true
        } catch {
            try expect(error, is: CoreError.self, naming: fileName) { $0.message }
            return false
        }
    }
}
