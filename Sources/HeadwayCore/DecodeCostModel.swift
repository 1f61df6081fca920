/// The realistic cost model: per-token decoding with a K/V cache on real hardware limits.
///
/// - Memory of a block = its weights at their stored precision + its K/V cache (keys and values, prompt included)
///   + working buffers. The controller also holds the embedding table, the LM head and the logits.
/// - Time of a block on a device = max(FLOPs / available compute, bytes read / memory bandwidth): decode is usually
///   bound by streaming weights. Blocks of one phase on one device run one after another; devices run in parallel.
/// - Per layer, the device holding the residual stream R (the controller for layer 0, then the FFN's device) sends the
///   hidden state to every device holding attention blocks of the layer and to the projection device; each attention
///   device runs its groups and sends their head outputs to the projection device P; P sends its output to the FFN
///   device F, which becomes R for the next layer. After the last layer the hidden state returns to the controller for
///   the LM head. A transfer costs the path latency + bytes / bandwidth.
/// - A column-split FFN (`Placement.feedForwardSplit`, Galaxy's tensor parallelism) replaces P → F → FFN by: P sends
///   the hidden state to every member, each member runs its fraction of the FFN (time and memory scale with the
///   fraction), and sends its partial output (a hidden-state vector) to F, which becomes R. The phase lasts as long as
///   its slowest member's send + work + return: the same star scatter/gather the attention phase is charged with.
/// - Migrating a block copies its K/V cache from the old device (or rebuilds it when that device is gone) and brings
///   its weights from where `weightSource` says; concurrent transfers share links (see `migrationDelay`).
public struct DecodeCostModel: CostModel {
    public let name = "decode"
    public let shape: ModelShape
    public let layout: BlockLayout
    /// Where the weights of a moved or rebuilt block come from (a scenario assumption, the same for every planner).
    public var weightSource: WeightSource
    /// Every device keeps the model file in memory: a moved block's weights are read locally at memory bandwidth.
    public var weightsPreloaded: Bool {
        get { if case .localCopy = weightSource { true } else { false } }
        set { weightSource = newValue ? .localCopy(bandwidth: nil) : .controller }
    }
    /// Each device's network interface sends one message at a time and receives one at a time (a sensitivity
    /// setting; default off: a device's messages to several devices travel in parallel, each on its pair's link).
    /// Applies to the fan-outs and fan-ins of a decode or prefill pass, not to migration.
    public var serializedSends = false

    // Per-block constants, precomputed once.
    private let attentionWeights: Double  // bytes
    private let attentionFixedFLOPs: Double
    private let attentionFLOPsPerContext: Double
    private let attentionBufferFixed: Double
    private let attentionBufferPerContext: Double
    private let kvBytesPerContext: Double  // K and V of one group, one token
    private let projectionWeights: Double
    private let projectionFLOPs: Double
    private let projectionBuffers: Double
    private let ffnWeights: Double
    private let ffnFLOPs: Double
    private let ffnBuffers: Double
    /// Bytes of the residual stream vector (what crosses the network between phases, per token).
    public let hiddenBytes: Double
    /// Bytes per value of the attention fan's traffic: a layer's input sent to the devices of its attention blocks,
    /// and their group outputs sent to the projection. The shape's activation precision by default; 36/32 when they
    /// travel as Q8 blocks of 32 with an F16 scale and sum, as the runtime sends them (the residual stays F32).
    public var fanActivationBytes: Double
    /// Bytes of a layer's input as its attention blocks' devices receive it.
    public var attentionInputBytes: Double { Double(shape.modelDim) * fanActivationBytes }
    /// Bytes of one attention group's output (its query heads × head dim).
    public var groupOutputBytes: Double { Double(shape.queriesPerGroup * shape.headDim) * fanActivationBytes }

    public init(shape: ModelShape, weightsPreloaded: Bool = false) {
        self.init(shape: shape, weightSource: weightsPreloaded ? .localCopy(bandwidth: nil) : .controller)
    }

    public init(shape: ModelShape, weightSource: WeightSource) {
        self.shape = shape
        self.layout = BlockLayout(shape: shape)
        self.weightSource = weightSource
        let d = Double(shape.modelDim)
        let hd = Double(shape.headDim)
        let q = Double(shape.queriesPerGroup)
        let act = shape.activationBytes
        let normBytes = d * 4  // RMSNorm weights are kept in F32
        attentionWeights = shape.attentionGroupWeightCount * shape.attentionWeightBytes + normBytes
        // Q, K, V projections (2 FLOPs per multiply-add), RMSNorm, RoPE on q heads and the k head.
        attentionFixedFLOPs = 2 * shape.attentionGroupWeightCount + 4 * d + 6 * (q + 1) * hd
        // Scores q·K (2·hd each), softmax (~5 per score), weighted sum of V (2·hd each), per query head.
        attentionFLOPsPerContext = q * (4 * hd + 5)
        attentionBufferFixed = (d + (q + 2) * hd + q * hd) * act
        attentionBufferPerContext = q * 4  // attention scores in F32
        kvBytesPerContext = 2 * hd * shape.kvCacheBytes
        projectionWeights = shape.projectionWeightCount * shape.projectionWeightBytes
        projectionFLOPs = 2 * shape.projectionWeightCount + d
        projectionBuffers = (Double(shape.headCount) * hd + 2 * d) * act
        ffnWeights = shape.ffnWeightCount * shape.ffnWeightBytes + normBytes
        ffnFLOPs = 2 * shape.ffnWeightCount + 6 * Double(shape.ffnDim) + 5 * d
        ffnBuffers = ((shape.gatedFFN ? 2 : 1) * Double(shape.ffnDim) + 2 * d) * act
        hiddenBytes = d * act
        fanActivationBytes = act
    }

    public func demand(of index: Int, at position: TokenPosition) -> BlockDemand {
        demand(kind: layout.blocks[index].kind, context: Double(position.contextLength))
    }

    func demand(kind: BlockKind, context c: Double) -> BlockDemand {
        switch kind {
        case .attention:
            let kv = kvBytesPerContext * c
            return BlockDemand(
                memory: Bytes(attentionWeights + kv + attentionBufferFixed + attentionBufferPerContext * c),
                flops: FLOPs(attentionFixedFLOPs + attentionFLOPsPerContext * c),
                bytesRead: Bytes(attentionWeights + kv),
                weights: Bytes(attentionWeights), state: Bytes(kv))
        case .projection:
            return BlockDemand(
                memory: Bytes(projectionWeights + projectionBuffers), flops: FLOPs(projectionFLOPs),
                bytesRead: Bytes(projectionWeights), weights: Bytes(projectionWeights), state: .zero)
        case .feedForward:
            return BlockDemand(
                memory: Bytes(ffnWeights + ffnBuffers), flops: FLOPs(ffnFLOPs),
                bytesRead: Bytes(ffnWeights), weights: Bytes(ffnWeights), state: .zero)
        }
    }

    /// The controller's LM head step (final norm + logits) and the embedding lookup.
    public var lmHeadDemand: BlockDemand {
        let d = Double(shape.modelDim)
        let v = Double(shape.vocabSize)
        let head = v * d * shape.lmHeadBytes
        return BlockDemand(
            memory: Bytes(head + v * 4), flops: FLOPs(2 * v * d + 4 * d), bytesRead: Bytes(head + d * shape.embeddingBytes),
            weights: Bytes(head), state: .zero)
    }

    public func controllerMemory(at position: TokenPosition) -> Bytes {
        let d = Double(shape.modelDim)
        let v = Double(shape.vocabSize)
        let embedding = v * d * shape.embeddingBytes
        let head = shape.tiedEmbeddings ? 0 : v * d * shape.lmHeadBytes
        return Bytes(embedding + head + v * 4 + 4 * d + 2 * hiddenBytes)
    }

    public func executionTime(of demand: BlockDemand, on device: Int, in state: ClusterState) -> Seconds {
        let c = state.compute[device].value
        let m = state.memoryBandwidth[device].value
        guard c > 0, m > 0, state.online[device] else { return .infinity }
        return Seconds(max(demand.flops.value / c, demand.bytesRead.value / m))
    }

    /// Column-split FFNs (`Placement.feedForwardSplit`) are charged as described on `step`.
    public var supportsFeedForwardSplit: Bool { true }

    public func evaluate(_ placement: Placement, on state: ClusterState, at position: TokenPosition) -> Evaluation {
        step(placement, on: state, context: Double(position.contextLength), tokens: 1, position: position)
    }

    public func prefillLatency(_ placement: Placement, on state: ClusterState, promptLength: Int) -> Seconds? {
        guard promptLength > 0 else { return .zero }
        let position = TokenPosition(promptLength: 0, generated: promptLength - 1)
        return step(placement, on: state, context: Double(promptLength), tokens: promptLength, position: position).latency
    }

    /// One pass of `tokens` tokens (1 for decode; the whole prompt for prefill) with `context` tokens in the caches
    /// at the end of the pass.
    private func step(
        _ placement: Placement, on state: ClusterState, context: Double, tokens: Int, position: TokenPosition
    ) -> Evaluation {
        precondition(placement.count == layout.count, "placement has \(placement.count) blocks, model has \(layout.count)")
        let n = state.count
        let t = Double(tokens)
        let controller = state.cluster.controller
        var busy = Array(repeating: 0.0, count: n)
        var violations: [Violation] = []
        let memory = memoryUsed(by: placement, on: state, at: position)
        for j in 0..<n {
            if memory[j] > state.memory[j] { violations.append(.memory(device: j, needed: memory[j], available: state.memory[j])) }
        }
        var usedDevice = Array(repeating: false, count: n)
        for b in 0..<layout.count { usedDevice[placement[b]] = true }
        for shares in placement.feedForwardSplit ?? [] { for share in shares { usedDevice[share.device] = true } }
        for j in 0..<n where usedDevice[j] && !state.online[j] { violations.append(.unreachable(device: j)) }

        // Execution time of a pass of `tokens` tokens: work scales with tokens (attention with the average context),
        // weights are streamed once per pass.
        func time(_ kind: BlockKind, on j: Int) -> Double {
            let dm: BlockDemand
            if tokens == 1 {
                dm = demand(kind: kind, context: context)
            } else {
                let average = demand(kind: kind, context: (context + 1) / 2)
                dm = BlockDemand(
                    memory: average.memory, flops: average.flops * t, bytesRead: Bytes(average.weights.value + average.state.value * 2),
                    weights: average.weights, state: average.state)
            }
            return executionTime(of: dm, on: j, in: state).value
        }
        func transfer(_ bytes: Double, _ i: Int, _ j: Int) -> Double {
            i == j ? 0 : state.pairLatency[i * n + j] + bytes * t / state.pairBandwidth[i * n + j]
        }

        let groups = layout.groupsPerLayer
        var deviceTime = Array(repeating: 0.0, count: n)
        var deviceGroups = Array(repeating: 0, count: n)
        var touched: [Int] = []
        touched.reserveCapacity(groups)
        var latency = 0.0
        var communication = 0.0
        var networkBytes = 0.0
        var residual = controller
        // Embedding lookup on the controller.
        let embed = Double(shape.modelDim) * shape.embeddingBytes * t / state.memoryBandwidth[controller].value
        latency += embed
        busy[controller] += embed
        for l in 0..<layout.layerCount {
            let base = l * layout.blocksPerLayer
            let p = placement[base + groups]
            let f = placement[base + groups + 1]
            for g in 0..<groups {
                let j = placement[base + g]
                if deviceGroups[j] == 0 { touched.append(j) }
                deviceGroups[j] += 1
                deviceTime[j] += time(.attention(group: g), on: j)
            }
            var phase = 0.0
            var phaseComm = 0.0
            if serializedSends {
                var members: [FanMember] = touched.map {
                    FanMember(device: $0, bytesIn: attentionInputBytes, work: deviceTime[$0], bytesOut: Double(deviceGroups[$0]) * groupOutputBytes)
                }
                if deviceGroups[p] == 0 && residual != p { members.append(FanMember(device: p, bytesIn: hiddenBytes, work: 0, bytesOut: 0)) }
                (phase, phaseComm) = fan(from: residual, members, to: p, tokens: t, state: state)
                for m in members {
                    busy[m.device] += m.work
                    if residual != m.device { networkBytes += m.bytesIn * t }
                    if m.device != p { networkBytes += m.bytesOut * t }
                    deviceTime[m.device] = 0
                    deviceGroups[m.device] = 0
                }
                touched.removeAll(keepingCapacity: true)
            }
            for j in touched {
                let send = transfer(attentionInputBytes, residual, j)
                let gather = transfer(Double(deviceGroups[j]) * groupOutputBytes, j, p)
                if residual != j { networkBytes += attentionInputBytes * t }
                if j != p { networkBytes += Double(deviceGroups[j]) * groupOutputBytes * t }
                let total = send + deviceTime[j] + gather
                busy[j] += deviceTime[j]
                if total > phase {
                    phase = total
                    phaseComm = send + gather
                }
                deviceTime[j] = 0
                deviceGroups[j] = 0
            }
            touched.removeAll(keepingCapacity: true)
            if residual != p && !serializedSends {
                let r = transfer(hiddenBytes, residual, p)
                networkBytes += hiddenBytes * t
                if r > phase {
                    phase = r
                    phaseComm = r
                }
            }
            let projection = time(.projection, on: p)
            busy[p] += projection
            latency += phase + projection
            communication += phaseComm
            if let shares = placement.feedForwardShares(layer: l) {
                // Column-split FFN: P sends the hidden state to every member, each runs its fraction of the columns
                // and sends its partial sum to F, which adds them up (the decode form of the AllGather before the
                // column-parallel matrices and the ReduceScatter after the row-parallel one).
                        var ffnPhase = 0.0
                var ffnComm = 0.0
                if serializedSends {
                    let members = shares.filter { $0.fraction > 0 }.map {
                        FanMember(device: $0.device, bytesIn: hiddenBytes, work: time(.feedForward, on: $0.device) * $0.fraction, bytesOut: hiddenBytes)
                    }
                    (ffnPhase, ffnComm) = fan(from: p, members, to: f, tokens: t, state: state)
                }
                for share in shares where share.fraction > 0 {
                    let m = share.device
                    let work = time(.feedForward, on: m) * share.fraction
                    let send = transfer(hiddenBytes, p, m)
                    let gather = transfer(hiddenBytes, m, f)
                    if p != m { networkBytes += hiddenBytes * t }
                    if m != f { networkBytes += hiddenBytes * t }
                    busy[m] += work
                    if serializedSends { continue }
                    if send + work + gather > ffnPhase {
                        ffnPhase = send + work + gather
                        ffnComm = send + gather
                    }
                }
                latency += ffnPhase
                communication += ffnComm
            } else {
                let handoff = transfer(hiddenBytes, p, f)
                if p != f { networkBytes += hiddenBytes * t }
                let ffn = time(.feedForward, on: f)
                busy[f] += ffn
                latency += handoff + ffn
                communication += handoff
            }
            residual = f
        }
        let back = transfer(hiddenBytes, residual, controller)
        if residual != controller { networkBytes += hiddenBytes * t }
        var head = lmHeadDemand
        head.flops = head.flops * t
        let headTime = executionTime(of: head, on: controller, in: state).value
        busy[controller] += headTime
        latency += back + headTime
        communication += back
        return Evaluation(
            latency: Seconds(latency.isNaN ? .infinity : latency), communication: Seconds(communication),
            networkBytes: Bytes(networkBytes), memoryUsed: memory, busy: busy.map { Seconds($0) }, violations: violations)
    }

    /// One member of a fan-out/fan-in phase: receives `bytesIn` from the source, works, sends `bytesOut` to the sink.
    struct FanMember {
        var device: Int
        var bytesIn: Double
        var work: Double
        var bytesOut: Double
    }

    /// A phase under `serializedSends`: the source sends to its members one after another (members with the most
    /// work and return first; the path latency overlaps the next send), each works, and the sink receives their
    /// results one at a time in order of arrival. Returns the phase time and its part spent waiting on the network.
    func fan(from source: Int, _ members: [FanMember], to sink: Int, tokens t: Double, state: ClusterState) -> (Double, Double) {
        let n = state.count
        func wire(_ bytes: Double, _ i: Int, _ j: Int) -> Double { i == j ? 0 : bytes * t / state.pairBandwidth[i * n + j] }
        func lat(_ i: Int, _ j: Int) -> Double { i == j ? 0 : state.pairLatency[i * n + j] }
        let order = members.sorted { a, b in
            let x = a.work + lat(a.device, sink) + wire(a.bytesOut, a.device, sink)
            let y = b.work + lat(b.device, sink) + wire(b.bytesOut, b.device, sink)
            return x != y ? x > y : a.device < b.device
        }
        var sendClock = 0.0
        var localDone = 0.0
        var arrivals: [(at: Double, duration: Double)] = []
        var longestWork = 0.0
        for m in order {
            var ready = 0.0
            if m.device != source {
                sendClock += wire(m.bytesIn, source, m.device)
                ready = sendClock + lat(source, m.device)
            }
            let done = ready + m.work
            longestWork = max(longestWork, m.work)
            if m.device == sink || m.bytesOut == 0 {
                localDone = max(localDone, done)
            } else {
                arrivals.append((done + lat(m.device, sink), wire(m.bytesOut, m.device, sink)))
            }
        }
        var receiveClock = 0.0
        for a in arrivals.sorted(by: { $0.at < $1.at }) { receiveClock = max(receiveClock, a.at) + a.duration }
        let phase = max(localDone, receiveClock)
        return (phase, max(0, phase - longestWork))
    }


    /// The charges of moving block `b` from device `s` to device `d` (none when s == d), and the bytes it sends over
    /// links and reads locally. See `migrationDelay`.
    public func migrationCharges(
        ofBlock b: Int, from s: Int, to d: Int, on state: ClusterState, at position: TokenPosition
    ) -> (charges: [MigrationCharge], networkBytes: Double, localBytes: Double) {
        guard s != d else { return ([], 0, 0) }
        let kind = layout.blocks[b].kind
        let held = Double(position.contextLength - 1)  // tokens in the caches before this step
        let dm = demand(kind: kind, context: held)
        let deviceResource = MigrationLedger.deviceBase(state) + d
        var charges: [MigrationCharge] = []
        var network = 0.0
        var local = 0.0
        guard state.online[d] else { return ([MigrationCharge(resource: deviceResource, seconds: .infinity)], 0, 0) }
        // The K/V cache: copied from the old device, or rebuilt on the new one when the old device is gone.
        if dm.state.value > 0 {
            if state.online[s] {
                charges += MigrationLedger.transfer(dm.state.value, from: s, to: d, in: state)
                network += dm.state.value
            } else {
                let ctl = state.cluster.controller
                let inputs = held * hiddenBytes
                if ctl != d {
                    charges += MigrationLedger.transfer(inputs, from: ctl, to: d, in: state)
                    network += inputs
                }
                charges.append(MigrationCharge(resource: deviceResource, seconds: rebuildTime(context: held, on: d, in: state)))
            }
        }
        // The weights, from where the scenario says they are kept.
        let w = dm.weights.value
        switch weightSource {
        case .localCopy(let bw):
            let rate = bw?.value ?? state.memoryBandwidth[d].value
            charges.append(MigrationCharge(resource: deviceResource, seconds: w / rate))
            local += w
        case .controller, .holder:
            let h = weightHolder(in: state)
            if h == d {
                charges.append(MigrationCharge(resource: deviceResource, seconds: w / state.memoryBandwidth[d].value))
                local += w
            } else {
                charges += MigrationLedger.transfer(w, from: h, to: d, in: state)
                network += w
            }
        }
        return (charges, network, local)
    }

    /// The device that serves weights over the network (the controller while a named holder is offline).
    public func weightHolder(in state: ClusterState) -> Int {
        if case .holder(let h) = weightSource, h >= 0, h < state.count, state.online[h] { return h }
        return state.cluster.controller
    }

    /// Time for device `d` to recompute one attention group's K and V over `context` tokens from the layer inputs
    /// (one batched pass: K and V projections and RoPE; weights, inputs and the new cache streamed once).
    public func rebuildTime(context: Double, on d: Int, in state: ClusterState) -> Double {
        let dm = Double(shape.modelDim)
        let hd = Double(shape.headDim)
        let kvWeights = 2 * dm * hd * shape.attentionWeightBytes
        let flops = context * (2 * 2 * dm * hd + 6 * hd)
        let bytes = kvWeights + context * (hiddenBytes + kvBytesPerContext)
        let c = state.compute[d].value
        let m = state.memoryBandwidth[d].value
        guard c > 0, m > 0, state.online[d] else { return .infinity }
        return max(flops / c, bytes / m)
    }

    /// The ledger of a whole migration, with the bytes it sends over links and reads locally.
    public func migrationLedger(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> (ledger: MigrationLedger, networkBytes: Double, localBytes: Double) {
        var ledger = MigrationLedger(state: state)
        var network = 0.0
        var local = 0.0
        for b in next.moved(from: previous) {
            let c = migrationCharges(ofBlock: b, from: previous[b], to: next[b], on: state, at: position)
            ledger.add(c.charges)
            network += c.networkBytes
            local += c.localBytes
        }
        return (ledger, network, local)
    }

    /// Bytes that cross links: K/V caches copied, weights sent by their holder, layer inputs sent for rebuilds.
    public func migrationBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes {
        Bytes(migrationLedger(from: previous, to: next, on: state, at: position).networkBytes)
    }

    /// Weight bytes read locally (a device's own copy of the model file, or the holder's own memory).
    public func migrationLocalBytes(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Bytes {
        Bytes(migrationLedger(from: previous, to: next, on: state, at: position).localBytes)
    }

    /// Every moved block's transfers run at once and share the directed links of their paths; then every device
    /// does its local work one item after another (see `MigrationLedger`). Per moved block b from s to d:
    /// - K/V cache (attention blocks): if s is online, `kv` bytes over the path s→d. If s is gone, the cache is
    ///   rebuilt on d: the layer's inputs (context × hidden state, kept by the controller) cross the path
    ///   controller→d, then d recomputes K and V over the context (`rebuildTime`, its own compute and memory speed).
    /// - weights, per `weightSource`: over the path holder→d (read from memory when d is the holder), or read from
    ///   d's own copy of the model file.
    /// Delay = max over directed links of Σ (path latency + bytes / bandwidth) + max over devices of Σ local work.
    public func migrationDelay(
        from previous: Placement, to next: Placement, on state: ClusterState, at position: TokenPosition
    ) -> Seconds {
        Seconds(migrationLedger(from: previous, to: next, on: state, at: position).ledger.delay)
    }
}
