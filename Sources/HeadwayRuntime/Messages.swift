public import HeadwayCore

/// One step of a job a device runs on a token chunk, in the planner's blocks.
public enum Step: Hashable, Sendable, CustomStringConvertible {
    /// Attention blocks of `layer` for `groups` (ascending). With `emit`, their head outputs are returned to the
    /// coordinator; without, they feed the next projection step on this device (then `groups` is every group).
    case attention(layer: Int, groups: [Int], emit: Bool)
    /// Wo and residual add of `layer` (heads from this job's attention step, or from the job's input).
    case projection(layer: Int)
    /// The feed-forward block of `layer` (updates the residual stream).
    case feedForward(layer: Int)

    public var layer: Int {
        switch self {
        case .attention(let l, _, _), .projection(let l), .feedForward(let l): l
        }
    }

    public var description: String {
        switch self {
        case .attention(let l, let g, let e): "L\(l).heads\(g)\(e ? "→" : "")"
        case .projection(let l): "L\(l).projection"
        case .feedForward(let l): "L\(l).ffn"
        }
    }
}

/// A job for one device: run `steps` on the residual stream `x` (`tokens × modelDim`) of sequence `sequence`.
public struct RunJob: Hashable, Sendable {
    public var sequence: UInt32
    public var epoch: UInt32
    /// Position of the first token of the chunk (checked against the device's caches).
    public var position: Int
    public var tokens: Int
    public var steps: [Step]
    public var x: [Float]
    /// Head outputs of every group (`tokens × queryDim`) when the first step is a projection; empty otherwise.
    public var heads: [Float]
    /// In place of `x`, for a job of one emitting attention step: the layer's normalized input as the Q, K and V
    /// products quantize it (`Q8Rows`, `tokens × modelDim`).
    public var quantizedInput: [UInt8]
    /// In place of `heads`: the head outputs as the projection quantizes them (`Q8Rows`, `tokens × queryDim`).
    public var quantizedHeads: [UInt8]
    /// Return the emitted head outputs as `Q8Rows` (what the projection that takes them would compute).
    public var quantizeOutput: Bool
    public init(sequence: UInt32, epoch: UInt32, position: Int, tokens: Int, steps: [Step], x: [Float], heads: [Float] = [],
                quantizedInput: [UInt8] = [], quantizedHeads: [UInt8] = [], quantizeOutput: Bool = false) {
        self.sequence = sequence
        self.epoch = epoch
        self.position = position
        self.tokens = tokens
        self.steps = steps
        self.x = x
        self.heads = heads
        self.quantizedInput = quantizedInput
        self.quantizedHeads = quantizedHeads
        self.quantizeOutput = quantizeOutput
    }
}

/// What a device returns for a `RunJob`.
public struct RunResult: Hashable, Sendable {
    /// The residual stream after the last step (when the job ends with a projection or FFN), or the emitted head
    /// outputs (`tokens × (groups · groupDim)`, groups in ascending order) of an attention-only job.
    public var values: [Float]
    /// The emitted head outputs as `Q8Rows` (when the job asked for them quantized; `values` is then empty).
    public var quantized: [UInt8]
    /// Seconds the device spent computing (excludes waiting and the network).
    public var computeSeconds: Double
    public init(values: [Float], quantized: [UInt8] = [], computeSeconds: Double) {
        self.values = values
        self.quantized = quantized
        self.computeSeconds = computeSeconds
    }
}

/// What a worker tells the coordinator when it joins.
public struct WorkerInfo: Hashable, Sendable, Codable {
    public var name: String
    public var threads: Int
    /// Bytes this worker may use for blocks (configured, or the memory the OS reports available).
    public var memoryBytes: Double
    /// Kernel set the worker's engine dispatched to.
    public var kernels: String
    /// Fingerprint of the model file the worker serves (size and a hash of its header and tensor table).
    public var modelFingerprint: String
    public init(name: String, threads: Int, memoryBytes: Double, kernels: String, modelFingerprint: String) {
        self.name = name
        self.threads = threads
        self.memoryBytes = memoryBytes
        self.kernels = kernels
        self.modelFingerprint = modelFingerprint
    }
}

/// Compute and memory speed a worker measured on one of the model's own blocks.
public struct WorkerSpeed: Hashable, Sendable, Codable {
    /// FLOP/s and bytes/s of a feed-forward block's decode step.
    public var compute: Double
    public var memoryBandwidth: Double
    public init(compute: Double, memoryBandwidth: Double) {
        self.compute = compute
        self.memoryBandwidth = memoryBandwidth
    }
}

/// Every message between coordinator and worker. Requests and their replies travel in order on one connection.
public enum Message: Hashable, Sendable {
    case hello(coordinator: String, protocolVersion: Int)
    case welcome(WorkerInfo)
    case measure
    case measured(WorkerSpeed)
    case echo([UInt8])
    /// Opens a sequence on the worker: caches of `capacity` positions in `cacheFormat`, empty, for `blocks`.
    case open(sequence: UInt32, capacity: Int, cacheFormat: String, blocks: [Block])
    case close(sequence: UInt32)
    case run(RunJob)
    case result(RunResult)
    /// Snapshot of a held block's cache (`since == nil`), or its positions from `since` on (F16 rows).
    case export(sequence: UInt32, block: Block, since: Int?)
    /// `snapshot`: the bytes are a full `HWKV` snapshot; otherwise F16 rows of positions `since ..< count`.
    case exported(count: Int, checksum: UInt64, snapshot: Bool, bytes: [UInt8])
    /// Installs a snapshot (`snapshot == true`) or appends rows; the reply carries the checksum.
    case install(sequence: UInt32, block: Block, snapshot: Bool, bytes: [UInt8])
    case installed(count: Int, checksum: UInt64)
    /// Forgets a block's cache (after it moved away, or to cancel an incomplete copy).
    case drop(sequence: UInt32, block: Block)
    case ok
    case failure(code: String, message: String)

    public var type: UInt8 {
        switch self {
        case .hello: 1
        case .welcome: 2
        case .measure: 3
        case .measured: 4
        case .echo: 5
        case .open: 6
        case .close: 7
        case .run: 8
        case .result: 9
        case .export: 10
        case .exported: 11
        case .install: 12
        case .installed: 13
        case .drop: 14
        case .ok: 15
        case .failure: 16
        }
    }
}
