import HeadwayCore

/// What the dashboard and `/metrics` show about the machines generating: the devices, which blocks of which layer
/// each holds, recent migrations with their pauses, per-token latencies and the bytes sent over each link.
/// A backend fills it (`InferenceBackend.status()`); the single-process backend has one device holding every block.
public struct ClusterStatus: Sendable, Codable, Hashable {
    public struct Device: Sendable, Codable, Hashable {
        /// Index used by `placement`, `migrations` and `links`.
        public var id: Int
        public var name: String
        public var up: Bool
        /// Where it is reached (`host:port`), or nil for this process.
        public var address: String?
        /// Memory it offers for blocks and caches, if known.
        public var memoryBytes: Int?

        public init(id: Int, name: String, up: Bool, address: String? = nil, memoryBytes: Int? = nil) {
            self.id = id
            self.name = name
            self.up = up
            self.address = address
            self.memoryBytes = memoryBytes
        }
    }

    /// One block of the model and the device that holds it.
    public struct PlacedBlock: Sendable, Codable, Hashable {
        public var layer: Int
        /// `attention`, `projection` or `ffn`.
        public var kind: String
        /// The K/V group of an attention block.
        public var group: Int?
        public var device: Int

        public init(layer: Int, kind: String, group: Int? = nil, device: Int) {
            self.layer = layer
            self.kind = kind
            self.group = group
            self.device = device
        }

        public init(_ block: Block, device: Int) {
            switch block.kind {
            case .attention(let g): self.init(layer: block.layer, kind: "attention", group: g, device: device)
            case .projection: self.init(layer: block.layer, kind: "projection", device: device)
            case .feedForward: self.init(layer: block.layer, kind: "ffn", device: device)
            }
        }
    }

    /// A block moved (with its K/V cache) from one device to another while generation was paused.
    public struct Migration: Sendable, Codable, Hashable {
        /// Increasing; `/metrics` counts each id once.
        public var id: Int
        /// Unix time, seconds.
        public var time: Double
        public var block: PlacedBlock
        public var from: Int
        public var to: Int
        public var bytes: Int
        public var pauseSeconds: Double

        public init(id: Int, time: Double, block: PlacedBlock, from: Int, to: Int, bytes: Int, pauseSeconds: Double) {
            self.id = id
            self.time = time
            self.block = block
            self.from = from
            self.to = to
            self.bytes = bytes
            self.pauseSeconds = pauseSeconds
        }
    }

    /// Seconds the engine (or the cluster) took for one token.
    public struct LatencySample: Sendable, Codable, Hashable {
        /// Unix time, seconds.
        public var time: Double
        public var seconds: Double

        public init(time: Double, seconds: Double) {
            self.time = time
            self.seconds = seconds
        }
    }

    /// Bytes sent from one device to another since the backend started.
    public struct Link: Sendable, Codable, Hashable {
        public var from: Int
        public var to: Int
        public var bytes: Int

        public init(from: Int, to: Int, bytes: Int) {
            self.from = from
            self.to = to
            self.bytes = bytes
        }
    }

    public var model: String
    public var layers: Int
    /// K/V groups (attention blocks) per layer.
    public var groupsPerLayer: Int
    /// What the backend is: `local` (one process) or the runtime's own name.
    public var mode: String
    /// How requests share it, one line for the dashboard.
    public var scheduling: String
    public var devices: [Device]
    public var placement: [PlacedBlock]
    /// The most recent, oldest first.
    public var migrations: [Migration]
    /// The most recent, oldest first.
    public var tokenLatencies: [LatencySample]
    public var links: [Link]
    /// Sequences being generated now, and waiting for a slot.
    public var activeSequences: Int
    public var queuedSequences: Int
    /// Tokens generated since the backend started.
    public var tokensGenerated: Int

    public init(
        model: String, layers: Int, groupsPerLayer: Int, mode: String, scheduling: String, devices: [Device],
        placement: [PlacedBlock], migrations: [Migration] = [], tokenLatencies: [LatencySample] = [],
        links: [Link] = [], activeSequences: Int = 0, queuedSequences: Int = 0, tokensGenerated: Int = 0
    ) {
        self.model = model
        self.layers = layers
        self.groupsPerLayer = groupsPerLayer
        self.mode = mode
        self.scheduling = scheduling
        self.devices = devices
        self.placement = placement
        self.migrations = migrations
        self.tokenLatencies = tokenLatencies
        self.links = links
        self.activeSequences = activeSequences
        self.queuedSequences = queuedSequences
        self.tokensGenerated = tokensGenerated
    }

    /// Every block of `layout` with the device `placement` gives it (block `i` of the placement is
    /// `layout.blocks[i]`), as a runtime that plans with HeadwayCore's types would report it.
    public static func placedBlocks(_ layout: BlockLayout, _ placement: Placement) -> [PlacedBlock] {
        zip(layout.blocks, placement.devices).map { PlacedBlock($0, device: $1) }
    }
}
