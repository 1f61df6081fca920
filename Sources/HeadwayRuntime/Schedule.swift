public import HeadwayCore

/// How the coordinator runs one forward pass (a token, or a prompt chunk) under a placement: a list of rounds; in
/// each round the coordinator sends a job to some devices at once and waits for all of them. The coordinator holds
/// the residual stream between rounds, so every transfer goes coordinator → device → coordinator: the data flow of
/// a star network with the coordinator as hub (the runtime's cluster is built as that star, so the cost model's
/// paths match it).
///
/// Per layer: when every block of the layer sits on one device, the layer joins that device's chain, and
/// consecutive such layers on one device become one job (one round trip for a pipeline stage). Otherwise the
/// devices holding the layer's groups run them in one round (each returns its heads), then the projection's device
/// runs the projection (and the FFN, and any whole layers after it, when they are on the same device).
public struct Schedule: Hashable, Sendable {
    public struct Job: Hashable, Sendable {
        public var device: Int
        public var steps: [Step]
        /// The job's first step is a projection: it needs every group's heads.
        public var needsHeads: Bool { if case .projection = steps.first { true } else { false } }
        /// The job returns heads (attention only) rather than the residual stream.
        public var emitsHeads: Bool { if case .attention(_, _, true) = steps.last { true } else { false } }
    }
    public var rounds: [[Job]]

    public init(placement: Placement, layout: BlockLayout) {
        var rounds: [[Job]] = []
        var chain: Job? = nil
        func flush() {
            if let c = chain { rounds.append([c]) }
            chain = nil
        }
        func extend(_ device: Int, _ steps: [Step]) {
            if chain?.device == device {
                chain!.steps += steps
            } else {
                flush()
                chain = Job(device: device, steps: steps)
            }
        }
        let groups = layout.groupsPerLayer
        for l in 0..<layout.layerCount {
            let p = placement[layout.projectionIndex(layer: l)]
            let f = placement[layout.feedForwardIndex(layer: l)]
            let owners = (0..<groups).map { placement[layout.attentionIndex(layer: l, group: $0)] }
            if owners.allSatisfy({ $0 == p }) {
                // The whole attention of the layer is with its projection.
                extend(p, [.attention(layer: l, groups: Array(0..<groups), emit: false), .projection(layer: l)])
            } else {
                flush()
                var byDevice: [Int: [Int]] = [:]
                for (g, d) in owners.enumerated() { byDevice[d, default: []].append(g) }
                rounds.append(byDevice.keys.sorted().map { d in
                    Job(device: d, steps: [.attention(layer: l, groups: byDevice[d]!, emit: true)])
                })
                chain = Job(device: p, steps: [.projection(layer: l)])
            }
            extend(f, [.feedForward(layer: l)])
        }
        flush()
        self.rounds = rounds
    }

    /// Round trips per forward pass.
    public var roundTrips: Int { rounds.count }
}
