/// The scenario `headway simulate` runs when given no file: Llama-3.2-1B (F16, ~2.5 GB) on eight edge devices none
/// of which can hold it alone, with fluctuating compute load and link bandwidth and one device leaving for a while;
/// re-planned every token; seven planners; three seeds.
public enum DefaultScenario {
    public static let yaml = """
        name: "default: Llama-3.2-1B on 8 edge devices, fluctuating"
        model: llama-3.2-1b
        cost_model: {kind: decode, weights_preloaded: true}
        cluster:
          controller: laptop
          devices:   # memory_gb is what each device can give Headway, not its total RAM
            - {id: laptop,  memory_gb: 1.25, compute_gflops: 60, memory_bandwidth_gbs: 40}
            - {id: jetson,  memory_gb: 1.0,  compute_gflops: 80, memory_bandwidth_gbs: 50}
            - {id: nuc,     memory_gb: 1.0,  compute_gflops: 40, memory_bandwidth_gbs: 25}
            - {id: pi5-a,   memory_gb: 0.75, compute_gflops: 15, memory_bandwidth_gbs: 10}
            - {id: pi5-b,   memory_gb: 0.75, compute_gflops: 15, memory_bandwidth_gbs: 10}
            - {id: phone-a, memory_gb: 0.5,  compute_gflops: 25, memory_bandwidth_gbs: 20}
            - {id: phone-b, memory_gb: 0.5,  compute_gflops: 25, memory_bandwidth_gbs: 20}
            - {id: pi4,     memory_gb: 0.5,  compute_gflops: 5,  memory_bandwidth_gbs: 4}
          full_mesh: {bandwidth_gbps: 1, latency_ms: 0.3}
          links:
            - {a: laptop, b: nuc, bandwidth_gbps: 10, latency_ms: 0.1}
            - {a: laptop, b: jetson, bandwidth_gbps: 5, latency_ms: 0.2}
        dynamics:
          compute_load: {mean_reverting: {mean: 0.2, persistence: 0.95, noise: 0.05}}
          links: {random_walk: {sigma: 0.05, min_fraction: 0.3, max_fraction: 1.2}}
          events:
            - {token: 150, device: nuc, event: leave}
            - {token: 300, device: nuc, event: join}
        prompt_length: 512
        tokens: 512
        replan_interval: 1
        planners: [headway, resource-aware, greedy, round-robin, static, edgeshard, galaxy]
        seeds: [1, 2, 3]
        """
}
