public import HeadwayCore

/// The cost of Galaxy's runtime (baselines.md §3.4) on top of a base cost model: everything forwards to `base`, and
/// `evaluate` adds the per-layer collectives Galaxy's tensor parallelism needs that the base model's block dataflow
/// does not already charge.
///
/// Galaxy synchronises each layer with 2 ReduceScatter + 2 AllGather of the activations; in decode (one token) that
/// is 2 ring AllReduces of the d-vector among the devices of the layer. The base decode model already charges the
/// attention side as a star (the residual holder sends the hidden state to every attention device; the head outputs
/// are gathered at the projection), so by default one ring AllReduce per layer is added (`allReducesPerLayer = 1`, the
/// FFN side). The group of a layer = the distinct devices holding any of its blocks, in device-index order as the ring;
/// a ring AllReduce over k members is 2(k−1) steps, each as slow as the slowest ring hop sending hidden/k bytes
/// (path latency + bytes / bandwidth, latency only where the base charges it).
///
/// `splitFFN` (off by default) is a what-if for the FFN compute Galaxy would split across the group and our block
/// granularity cannot: the FFN's time on its device is replaced by an ideal capability-proportional split over the
/// layer's group, 1 / Σ_j (1 / time_j). Memory stays on the FFN's device either way.
public struct GalaxyCostModel: CostModel {
    public let base: any CostModel
    public var allReducesPerLayer: Int
    public var splitFFN: Bool

    public init(base: any CostModel, allReducesPerLayer: Int = 1, splitFFN: Bool = false) {
        self.base = base
        self.allReducesPerLayer = allReducesPerLayer
        self.splitFFN = splitFFN
    }

    public var name: String { "galaxy+\(base.name)" }
    public var shape: ModelShape { base.shape }
    public var layout: BlockLayout { base.layout }
    public func demand(of index: Int, at position: TokenPosition) -> BlockDemand { base.demand(of: index, at: position) }
    public func controllerMemory(at position: TokenPosition) -> Bytes { base.controllerMemory(at: position) }
    public func executionTime(of demand: BlockDemand, on device: Int, in state: ClusterState) -> Seconds {
        base.executionTime(of: demand, on: device, in: state)
    }

    public func evaluate(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Evaluation {
        var e = base.evaluate(placement, on: state, at: position)
        let collective = collectiveTime(placement, on: state, at: position)
        let ffn = splitFFN ? ffnSaving(placement, on: state, at: position) : 0
        e.latency = Seconds(e.latency.value + collective - ffn)
        e.communication = Seconds(e.communication.value + collective)
        return e
    }

    public func migrationDelay(from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition) -> Seconds {
        base.migrationDelay(from: previous, to: next, on: state, at: position)
    }

    public func migrationBytes(from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition) -> Bytes {
        base.migrationBytes(from: previous, to: next, on: state, at: position)
    }

    public func migrationLocalBytes(from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition) -> Bytes {
        base.migrationLocalBytes(from: previous, to: next, on: state, at: position)
    }

    /// Prefill as the base charges it (the collectives of a prefill pass are not added).
    public func prefillLatency(_ placement: Placement, on state: ClusterState, promptLength: Int) -> Seconds? {
        base.prefillLatency(placement, on: state, promptLength: promptLength)
    }

    /// Bytes of the activation vector a collective reduces, and whether transfers pay the path latency.
    private func vector(at position: TokenPosition) -> (bytes: Double, latency: Bool) {
        if let decode = base as? DecodeCostModel { return (decode.hiddenBytes, true) }
        if let reference = base as? ReferenceCostModel {
            return (reference.sequenceLength(at: position) * Double(shape.modelDim) * shape.attentionWeightBytes, false)
        }
        return (Double(shape.modelDim) * shape.activationBytes, true)
    }

    /// Devices of each layer (sorted, distinct).
    private func groups(_ placement: Placement) -> [[Int]] {
        (0..<layout.layerCount).map { l in Array(Set(layout.indices(ofLayer: l).map { placement[$0] })).sorted() }
    }

    /// Time of the added collectives over all layers, seconds.
    public func collectiveTime(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Double {
        let (bytes, paysLatency) = vector(at: position)
        let n = state.count
        var total = 0.0
        for group in groups(placement) where group.count > 1 {
            let k = group.count
            let chunk = bytes / Double(k)
            var step = 0.0
            for (r, i) in group.enumerated() {
                let j = group[(r + 1) % k]
                step = max(step, (paysLatency ? state.pairLatency[i * n + j] : 0) + chunk / state.pairBandwidth[i * n + j])
            }
            total += Double(allReducesPerLayer) * 2 * Double(k - 1) * step
        }
        return total
    }

    /// FFN time saved by the ideal split (splitFFN), over all layers, seconds.
    private func ffnSaving(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Double {
        let groups = groups(placement)
        var saving = 0.0
        for l in 0..<layout.layerCount {
            let f = layout.feedForwardIndex(layer: l)
            let demand = base.demand(of: f, at: position)
            let own = base.executionTime(of: demand, on: placement[f], in: state).value
            let speed = groups[l].reduce(0.0) { $0 + 1 / base.executionTime(of: demand, on: $1, in: state).value }
            if own.isFinite && speed > 0 { saving += own - 1 / speed }
        }
        return saving
    }
}
