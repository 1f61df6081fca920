/// Where generation stands when a placement is decided or evaluated.
public struct TokenPosition: Hashable, Sendable, Codable {
    /// Tokens of the prompt (already prefilled into the K/V caches).
    public var promptLength: Int
    /// Tokens generated before this step (0 at the first decode step): the step index t.
    public var generated: Int
    public init(promptLength: Int, generated: Int) {
        self.promptLength = promptLength
        self.generated = generated
    }
    /// Tokens held in each K/V cache once this step has run (prompt, earlier tokens, this token).
    public var contextLength: Int { promptLength + generated + 1 }
}

/// What one block asks of the device that holds it at a given token position.
public struct BlockDemand: Hashable, Sendable {
    /// Memory held while the block is resident: weights, K/V cache and working buffers.
    public var memory: Bytes
    /// Work for one decode step.
    public var flops: FLOPs
    /// Bytes streamed from memory for one decode step (weights + K/V reads).
    public var bytesRead: Bytes
    /// Weights of the block (moved on migration unless the target already holds the model file).
    public var weights: Bytes
    /// State that must move with the block on migration (its K/V cache).
    public var state: Bytes
    public init(memory: Bytes, flops: FLOPs, bytesRead: Bytes, weights: Bytes, state: Bytes) {
        self.memory = memory
        self.flops = flops
        self.bytesRead = bytesRead
        self.weights = weights
        self.state = state
    }
}

/// One way a placement breaks the constraints.
public enum Violation: Hashable, Sendable, CustomStringConvertible {
    /// Blocks on `device` need `needed` bytes but only `available` are free.
    case memory(device: Int, needed: Bytes, available: Bytes)
    /// Blocks on `device` need more work per step than its compute budget (reference model only).
    case computeBudget(device: Int, needed: FLOPs, available: FLOPs)
    /// A block sits on a device that is offline or unreachable.
    case unreachable(device: Int)
    public var description: String {
        switch self {
        case .memory(let d, let n, let a): "device \(d): needs \(n), has \(a)"
        case .computeBudget(let d, let n, let a): "device \(d): needs \(n) per step, budget \(a)"
        case .unreachable(let d): "device \(d) is offline or unreachable"
        }
    }
}

/// The cost of one decode step under a placement.
public struct Evaluation: Hashable, Sendable {
    /// Per-token inference latency (compute and communication on the critical path).
    public var latency: Seconds
    /// Time spent transferring activations on the critical path (a part of `latency`).
    public var communication: Seconds
    /// Activation bytes crossing the network per token.
    public var networkBytes: Bytes
    /// Memory used per device.
    public var memoryUsed: [Bytes]
    /// Busy time per device in this step (sum of its blocks' execution times).
    public var busy: [Seconds]
    public var violations: [Violation]
    public var isFeasible: Bool { violations.isEmpty && latency.isFinite }
    public init(
        latency: Seconds, communication: Seconds, networkBytes: Bytes, memoryUsed: [Bytes], busy: [Seconds],
        violations: [Violation]
    ) {
        self.latency = latency
        self.communication = communication
        self.networkBytes = networkBytes
        self.memoryUsed = memoryUsed
        self.busy = busy
        self.violations = violations
    }
}

/// A cost model turns (model, cluster state, token position, placement) into memory, work, latency and migration
/// delay. Planners and the simulator (and later the runtime) all use the same cost model.
public protocol CostModel: Sendable {
    /// Short name used on the CLI and in reports (`decode`, `reference`).
    var name: String { get }
    var shape: ModelShape { get }
    var layout: BlockLayout { get }

    /// Demand of block `index` of `layout` at `position`.
    func demand(of index: Int, at position: TokenPosition) -> BlockDemand

    /// Memory the controller holds regardless of placement (embedding table, LM head, logits).
    func controllerMemory(at position: TokenPosition) -> Bytes

    /// Time for `demand` to execute on `device` (a block's time on a device, blocks of one phase run one after another).
    func executionTime(of demand: BlockDemand, on device: Int, in state: ClusterState) -> Seconds

    /// Latency, memory and constraint violations of one decode step.
    func evaluate(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Evaluation

    /// Delay of moving from `previous` to `next` before the step at `position` runs.
    func migrationDelay(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Seconds

    /// Bytes that migration sends over links.
    func migrationBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes

    /// Bytes that migration reads locally (weights from a device's own copy of the model file); not in `migrationBytes`.
    func migrationLocalBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes

    /// Latency of the prompt prefill under `placement`, or nil where the model has no prefill phase.
    func prefillLatency(_ placement: Placement, on state: ClusterState, promptLength: Int) -> Seconds?

    /// Whether `evaluate` and `prefillLatency` honour `Placement.feedForwardSplit` (default false).
    var supportsFeedForwardSplit: Bool { get }
}

extension CostModel {
    /// Whether `evaluate` and `prefillLatency` honour `Placement.feedForwardSplit` (column-split FFNs).
    public var supportsFeedForwardSplit: Bool { false }

    public func migrationLocalBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes { .zero }

    /// Demands of every block at `position`, in layout order.
    public func demands(at position: TokenPosition) -> [BlockDemand] {
        (0..<layout.count).map { demand(of: $0, at: position) }
    }

    /// Memory used per device by `placement` (controller's fixed share included).
    public func memoryUsed(by placement: Placement, on state: ClusterState, at position: TokenPosition) -> [Bytes] {
        var used = Array(repeating: Bytes.zero, count: state.count)
        used[state.cluster.controller] = controllerMemory(at: position)
        for b in 0..<layout.count {
            let m = demand(of: b, at: position).memory
            if placement.feedForwardSplit != nil, case .feedForward = layout.blocks[b].kind,
                let shares = placement.feedForwardShares(layer: b / layout.blocksPerLayer)
            {
                for s in shares { used[s.device] = used[s.device] + m * s.fraction }
            } else {
                used[placement[b]] = used[placement[b]] + m
            }
        }
        return used
    }

    /// Objective of the myopic planner at one interval: inference latency plus migration delay from `previous`.
    public func objective(
        _ placement: Placement, previous: Placement?, on state: ClusterState, at position: TokenPosition
    ) -> Seconds {
        let e = evaluate(placement, on: state, at: position)
        guard let previous else { return e.latency }
        return e.latency + migrationDelay(from: previous, to: placement, on: state, at: position)
    }
}

/// Selects a cost model by the name used in scenario files and on the command line.
public enum CostModelKind: String, Sendable, Codable, CaseIterable {
    case decode
    case reference
}
