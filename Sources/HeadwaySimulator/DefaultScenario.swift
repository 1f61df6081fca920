/// The scenario `headway simulate` runs when given no file: SmolLM2-135M on a heterogeneous edge cluster whose
/// resources fluctuate, re-planned every token, four planners, three seeds.
public enum DefaultScenario {
    public static let yaml = """
        name: default: SmolLM2-135M on 8 edge devices, fluctuating
        model: smollm2-135m
        cost_model: {kind: decode, weights_preloaded: true}
        cluster:
          controller: laptop
          devices:
            - {id: laptop,  memory_gb: 8,   compute_gflops: 50, memory_bandwidth_gbs: 40}
            - {id: jetson,  memory_gb: 4,   compute_gflops: 40, memory_bandwidth_gbs: 34}
            - {id: pi5-a,   memory_gb: 2,   compute_gflops: 12, memory_bandwidth_gbs: 9}
            - {id: pi5-b,   memory_gb: 2,   compute_gflops: 12, memory_bandwidth_gbs: 9}
            - {id: phone-a, memory_gb: 1.5, compute_gflops: 20, memory_bandwidth_gbs: 15}
            - {id: phone-b, memory_gb: 1.5, compute_gflops: 20, memory_bandwidth_gbs: 15}
            - {id: nuc,     memory_gb: 6,   compute_gflops: 35, memory_bandwidth_gbs: 25}
            - {id: pi4,     memory_gb: 1,   compute_gflops: 5,  memory_bandwidth_gbs: 4}
          full_mesh: {bandwidth_gbps: 1, latency_ms: 0.5}
          links:
            - {a: laptop, b: nuc, bandwidth_gbps: 10, latency_ms: 0.1}
            - {a: laptop, b: jetson, bandwidth_gbps: 5, latency_ms: 0.2}
        prompt_length: 128
        tokens: 256
        replan_interval: 1
        planners: [resource-aware, greedy, round-robin, static]
        seeds: [1, 2, 3]
        """
}
