/// The formulas of the authors' public simulator (reference-simulator.md §2), so results can be set next to theirs
/// one for one. Each step recomputes the whole sequence of length s (no K/V reuse), and link values are used as GB/s.
///
/// Reproduced as they are: head memory `(3·s·d_h + 3·D·d_h)·b`, head K/V cache `t·D·b` (D not d_h, no factor 2, generated
/// tokens only), projection memory `s·D·b`, FFN memory `4·s·D·b` (no W_O or FFN weights); FLOPs head `3·s·D·d_h + s²·d_h`,
/// projection `s·D²`, FFN `0.8·s·D²` (`ffnFLOPsFactor`; their own test says 8); latency = max over devices of
/// (heads on it × head FLOPs / nominal compute) + the head→projection gathers **summed** + projection + [proj→FFN] + FFN.
///
/// Not reproduced (their bookkeeping bugs, §8): persistent blocks leaking memory and FLOP budget every step (B1),
/// all algorithms sharing one device set (B2), background load accumulating (B13). Constraints are checked against the
/// capacity left after this step's background load, fresh every step (the neutral format's `state_reset: "full"`).
/// Divergences from the paper: the paper's migration delay `m_i / R_jk` is charged by `migrationDelay` (their code never
/// adds it); multi-layer models repeat the single-layer latency per layer with no inter-layer transfer (their code has
/// one layer only); GQA groups cost `queriesPerGroup` heads.
public struct ReferenceCostModel: CostModel {
    public let name = "reference"
    public let shape: ModelShape
    public let layout: BlockLayout
    /// s at step 0.
    public var sequenceLength: Int
    /// `true`: s grows by one per step (`increment_sequence`).
    public var incrementSequence: Bool
    /// 0.8 in the authors' code (very likely a typo for 8).
    public var ffnFLOPsFactor: Double

    public init(shape: ModelShape, sequenceLength: Int, incrementSequence: Bool = false, ffnFLOPsFactor: Double = 0.8) {
        self.shape = shape
        self.layout = BlockLayout(shape: shape)
        self.sequenceLength = sequenceLength
        self.incrementSequence = incrementSequence
        self.ffnFLOPsFactor = ffnFLOPsFactor
    }

    private var precision: Double { shape.attentionWeightBytes }
    private var headDim: Double { Double(shape.modelDim / shape.headCount) }

    /// s at a step.
    public func sequenceLength(at position: TokenPosition) -> Double {
        Double(sequenceLength + (incrementSequence ? position.generated : 0))
    }

    public func demand(of index: Int, at position: TokenPosition) -> BlockDemand {
        let s = sequenceLength(at: position)
        let D = Double(shape.modelDim)
        let dh = headDim
        let b = precision
        let t = Double(position.generated)
        switch layout.blocks[index].kind {
        case .attention:
            let q = Double(shape.queriesPerGroup)
            let weights = 3 * D * dh * b
            let memory = (3 * s * dh * b + weights) * q
            let cache = t * D * b * q
            let flops = (3 * s * D * dh + s * s * dh) * q
            return BlockDemand(
                memory: Bytes(memory + cache), flops: FLOPs(flops), bytesRead: Bytes(memory + cache),
                weights: Bytes(memory), state: Bytes(cache))
        case .projection:
            let m = s * D * b
            return BlockDemand(memory: Bytes(m), flops: FLOPs(s * D * D), bytesRead: Bytes(m), weights: Bytes(m), state: .zero)
        case .feedForward:
            let m = 4 * s * D * b
            return BlockDemand(
                memory: Bytes(m), flops: FLOPs(ffnFLOPsFactor * s * D * D), bytesRead: Bytes(m), weights: Bytes(m),
                state: .zero)
        }
    }

    public func controllerMemory(at position: TokenPosition) -> Bytes { .zero }

    /// FLOPs over the device's **nominal** capacity, as the authors' latency does (background load ignored).
    public func executionTime(of demand: BlockDemand, on device: Int, in state: ClusterState) -> Seconds {
        guard state.online[device] else { return .infinity }
        return demand.flops / state.cluster.devices[device].compute
    }

    /// Bytes of one head's output shipped to the projection (`s·d_h·b`, the whole sequence).
    func headOutputBytes(at position: TokenPosition) -> Double {
        sequenceLength(at: position) * headDim * precision * Double(shape.queriesPerGroup)
    }

    public func evaluate(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Evaluation {
        precondition(placement.count == layout.count, "placement has \(placement.count) blocks, model has \(layout.count)")
        let n = state.count
        let demands = demands(at: position)
        var memory = Array(repeating: Bytes.zero, count: n)
        var flops = Array(repeating: 0.0, count: n)
        for b in 0..<layout.count {
            memory[placement[b]] = memory[placement[b]] + demands[b].memory
            flops[placement[b]] += demands[b].flops.value
        }
        var violations: [Violation] = []
        for j in 0..<n {
            if memory[j] > state.memory[j] {
                violations.append(.memory(device: j, needed: memory[j], available: state.memory[j]))
            }
            if flops[j] > state.compute[j].value {
                violations.append(.computeBudget(device: j, needed: FLOPs(flops[j]), available: FLOPs(state.compute[j].value)))
            }
            if flops[j] > 0 && !state.online[j] { violations.append(.unreachable(device: j)) }
        }
        let s = sequenceLength(at: position)
        let D = Double(shape.modelDim)
        let headOut = headOutputBytes(at: position)
        let toFFN = s * D * precision
        var busy = Array(repeating: 0.0, count: n)
        var heads = Array(repeating: 0, count: n)
        var latency = 0.0
        var communication = 0.0
        var networkBytes = 0.0
        let groups = layout.groupsPerLayer
        for l in 0..<layout.layerCount {
            let base = l * layout.blocksPerLayer
            let p = placement[base + groups]
            let f = placement[base + groups + 1]
            for j in 0..<n { heads[j] = 0 }
            for g in 0..<groups { heads[placement[base + g]] += 1 }
            let headFLOPs = demands[base].flops.value
            var headsTime = 0.0
            var gathers = 0.0
            for j in 0..<n where heads[j] > 0 {
                let tj = Double(heads[j]) * headFLOPs / state.cluster.devices[j].compute.value
                busy[j] += tj
                headsTime = max(headsTime, tj)
                if j != p {
                    let bytes = Double(heads[j]) * headOut
                    gathers += bytes / state.pairBandwidth[j * n + p]
                    networkBytes += bytes
                }
            }
            let proj = demands[base + groups].flops.value / state.cluster.devices[p].compute.value
            let ffn = demands[base + groups + 1].flops.value / state.cluster.devices[f].compute.value
            let handoff = p == f ? 0 : toFFN / state.pairBandwidth[p * n + f]
            if p != f { networkBytes += toFFN }
            busy[p] += proj
            busy[f] += ffn
            latency += headsTime + (gathers + proj) + (handoff + ffn)
            communication += gathers + handoff
        }
        return Evaluation(
            latency: Seconds(latency.isNaN ? .infinity : latency), communication: Seconds(communication),
            networkBytes: Bytes(networkBytes), memoryUsed: memory, busy: busy.map { Seconds($0) }, violations: violations)
    }

    public func migrationBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes {
        next.moved(from: previous).reduce(Bytes.zero) { $0 + demand(of: $1, at: position).memory }
    }

    /// The paper's `m_i / R_jk` per moved block (memory including its K/V cache over the path bandwidth), summed.
    public func migrationDelay(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Seconds {
        let n = state.count
        var total = 0.0
        for b in next.moved(from: previous) {
            total += demand(of: b, at: position).memory.value / state.pairBandwidth[previous[b] * n + next[b]]
        }
        return Seconds(total)
    }

    public func prefillLatency(_ placement: Placement, on state: ClusterState, promptLength: Int) -> Seconds? { nil }
}
