/// What a distributed generation did, for `generate --format json` and `bench cluster`: the tokens, every token's
/// latency, the placements in force (epochs) with the cost model's prediction beside what was measured, every
/// migration, and the bytes each link carried.
public struct RunReport: Sendable, Codable {
    public struct DeviceReport: Sendable, Codable {
        public var name: String
        public var kernels: String
        public var threads: Int
        public var memory_bytes: Double
        /// Measured at join (FLOP/s and bytes/s of a feed-forward decode step), and the live estimate at the end.
        public var compute_flops: Double
        public var memory_bandwidth: Double
        public var live_speed_factor: Double
        /// Link to the coordinator: round-trip time and bandwidth measured at join, live one-way latency at the end.
        public var rtt_ms: Double
        public var bandwidth_bytes_per_s: Double
        public var live_latency_ms: Double
        public var bytes_sent: Int
        public var bytes_received: Int
    }
    public struct Epoch: Sendable, Codable {
        public var epoch: Int
        /// First token index (0 = the first generated token) decoded under this placement.
        public var from_token: Int
        /// Per device name, the blocks it holds (`L3.head_1`, `L3.projection`, `L3.ffn`).
        public var placement: [String: [String]]
        public var round_trips_per_token: Int
        /// The cost model's per-token latency for this placement at the epoch's start, in ms.
        public var predicted_ms_per_token: Double
        /// Measured mean per-token latency over the epoch's tokens, in ms (0 if none decoded).
        public var measured_ms_per_token: Double
        public var tokens: Int
    }
    public struct Migration: Sendable, Codable {
        public var block: String
        public var from: String
        public var to: String
        /// Bytes of K/V state copied (all stages).
        public var bytes: Int
        public var stages: Int
        /// Time the token loop stood still for the final copy and the switch.
        public var pause_ms: Double
        /// Generated-token index before which the switch happened.
        public var token: Int
        public var reason: String
    }
    public struct Recovery: Sendable, Codable {
        /// The device lost, and the generated-token index at which it was lost.
        public var device: String
        public var token: Int
        public var error: String
        /// From the start of the round in which the loss showed to the moment it was noticed.
        public var detection_ms: Double
        /// Re-planning, reopening and replaying the history.
        public var recovery_ms: Double
        public var replayed_tokens: Int
        /// Bytes the replay moved over the surviving workers' data connections.
        public var bytes: Int
    }
    public var tokens: [Int32] = []
    public var text: String = ""
    public var prompt_tokens: Int = 0
    public var prefill_ms: Double = 0
    /// Per generated token after the first: wall time of its decode step, migration pauses included, in ms.
    public var token_latency_ms: [Double] = []
    public var decode_tokens_per_second: Double = 0
    public var devices: [DeviceReport] = []
    public var epochs: [Epoch] = []
    public var migrations: [Migration] = []
    public var replans: Int = 0
    /// Workers lost during the run and how the sequence was recovered.
    public var recoveries: [Recovery] = []
    public var planner: String = ""
    public var predicted_vs_measured_ms_per_token: [Double] = []
    public init() {}
}
