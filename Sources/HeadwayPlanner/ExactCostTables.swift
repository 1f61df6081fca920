import HeadwayCore

/// The myopic objective of one planning request (inference latency + migration delay from `request.previous`)
/// precomputed into flat per-device tables, so that the exact and local-search planners can cost a layer from its
/// per-device attention counts and its projection / FFN devices in O(devices).
///
/// It transcribes the latency and migration formulas of `ReferenceCostModel` and `DecodeCostModel` (same operation
/// order where it matters, so single-layer results agree with `CostModel.objective` to rounding). Two facts make
/// counting possible: all attention blocks of a model have the same demand, and a layer's latency depends on its
/// attention blocks only through how many sit on each device.
struct ExactCostTables: Sendable {
    enum Model: Sendable { case reference, decode }

    let model: Model
    let n: Int
    let layers: Int
    let groups: Int
    let blocksPerLayer: Int
    let controller: Int
    /// Devices that may hold blocks (online).
    let usable: [Bool]

    // Demands (memory and, for the reference model, compute budget) of the three block kinds.
    let attentionMemory: Double
    let projectionMemory: Double
    let ffnMemory: Double
    let attentionBudget: Double
    let projectionBudget: Double
    let ffnBudget: Double
    /// Capacity left per device for blocks (controller's fixed share removed); budget is +inf in the decode model.
    let freeMemory: [Double]
    let freeBudget: [Double]

    // Reference model: FLOPs and nominal compute, so `n·F/C` is formed as the cost model forms it.
    let attentionFLOPs: Double
    let projectionFLOPs: Double
    let ffnFLOPs: Double
    let nominalCompute: [Double]
    /// Bytes of one head's output (reference) or one group's output (decode) sent to the projection.
    let headOutputBytes: Double
    /// Projection → FFN bytes.
    let handoffBytes: Double

    // Execution times per device.
    let attentionTime: [Double]
    let projectionTime: [Double]
    let ffnTime: [Double]
    /// Pair bandwidth (bytes/s) and latency (s), i·n + j.
    let bandwidth: [Double]
    let linkLatency: [Double]
    /// Decode: hidden-state transfer time i → j (0 on the diagonal); reference: projection → FFN transfer time.
    let hiddenTransfer: [Double]
    /// Decode: embedding lookup and LM head, paid once per token regardless of placement.
    let constant: Double

    // Migration.
    let previous: [Int]?
    /// Per block and target device: delay of moving it there alone (0 for its previous device).
    let migration: [Double]
    /// What each move charges to the links and devices it occupies (the cost model's migration, exactly).
    let migrationTables: MigrationTables

    /// - Parameter migrationWeight: factor on migration delay in the objective (1: the myopic objective; 1/H: a
    ///   migration amortized over H tokens).
    /// - Parameter timing: the state whose speeds (compute, memory and link bandwidth) the latency terms use, e.g. a
    ///   forecast over the planner's horizon (nil: the request's state). Memory, online devices, the compute budget and
    ///   migration always come from the request's state: they are constraints and costs of now.
    init(request: PlanningRequest, migrationWeight: Double = 1, timing: ClusterState? = nil) throws(PlannerError) {
        let cm = request.costModel
        let constraints = request.state
        let state = timing ?? request.state
        let position = request.position
        let layout = cm.layout
        n = state.count
        layers = layout.layerCount
        groups = layout.groupsPerLayer
        blocksPerLayer = layout.blocksPerLayer
        controller = state.cluster.controller
        usable = constraints.online
        let a = cm.demand(of: layout.attentionIndex(layer: 0, group: 0), at: position)
        let p = cm.demand(of: layout.projectionIndex(layer: 0), at: position)
        let f = cm.demand(of: layout.feedForwardIndex(layer: 0), at: position)
        attentionMemory = a.memory.value
        projectionMemory = p.memory.value
        ffnMemory = f.memory.value
        attentionFLOPs = a.flops.value
        projectionFLOPs = p.flops.value
        ffnFLOPs = f.flops.value
        var memory = constraints.memory.map(\.value)
        memory[controller] -= cm.controllerMemory(at: position).value
        freeMemory = memory
        bandwidth = state.pairBandwidth
        linkLatency = state.pairLatency
        nominalCompute = state.cluster.devices.map(\.compute.value)
        let n = self.n
        if let reference = cm as? ReferenceCostModel {
            model = .reference
            attentionBudget = a.flops.value
            projectionBudget = p.flops.value
            ffnBudget = f.flops.value
            freeBudget = constraints.compute.map(\.value)
            let s = reference.sequenceLength(at: position)
            let D = Double(reference.shape.modelDim)
            let b = reference.shape.attentionWeightBytes
            headOutputBytes = s * Double(reference.shape.modelDim / reference.shape.headCount) * b
                * Double(reference.shape.queriesPerGroup)
            handoffBytes = s * D * b
            constant = 0
        } else if let decode = cm as? DecodeCostModel {
            model = .decode
            attentionBudget = 0
            projectionBudget = 0
            ffnBudget = 0
            freeBudget = Array(repeating: .infinity, count: n)
            headOutputBytes = decode.groupOutputBytes
            handoffBytes = decode.hiddenBytes
            let embed = Double(decode.shape.modelDim) * decode.shape.embeddingBytes / state.memoryBandwidth[controller].value
            constant = embed + decode.executionTime(of: decode.lmHeadDemand, on: controller, in: state).value
        } else {
            throw PlannerError(.unsupported, "cost model '\(cm.name)' is not supported by the exact and headway planners")
        }
        attentionTime = (0..<n).map { cm.executionTime(of: a, on: $0, in: state).value }
        projectionTime = (0..<n).map { cm.executionTime(of: p, on: $0, in: state).value }
        ffnTime = (0..<n).map { cm.executionTime(of: f, on: $0, in: state).value }
        var hidden = Array(repeating: 0.0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j {
                hidden[i * n + j] = state.pairLatency[i * n + j] + handoffBytes / state.pairBandwidth[i * n + j]
            }
        }
        if model == .reference {
            // The reference model has no link latency: handoff = bytes / bandwidth.
            for i in 0..<n { for j in 0..<n where i != j { hidden[i * n + j] = handoffBytes / state.pairBandwidth[i * n + j] } }
        }
        hiddenTransfer = hidden

        let count = layout.count
        previous = request.previous?.devices
        let tables = try MigrationTables(request: request, weight: migrationWeight)
        migrationTables = tables
        var mig = Array(repeating: 0.0, count: count * n)
        if tables.previous != nil {
            for blk in 0..<count { for to in 0..<n { mig[blk * n + to] = tables.delay(blk, to: to) } }
        }
        migration = mig
    }

    // MARK: Layer latency

    /// Time of `count` attention blocks on device `d` (reference: `count·F/C`, as the cost model computes it).
    @inline(__always) func attentionLoad(_ count: Int, on d: Int) -> Double {
        model == .reference ? Double(count) * attentionFLOPs / nominalCompute[d] : Double(count) * attentionTime[d]
    }

    /// Reference: gather time of `count` head outputs from `d` to the projection on `p`.
    @inline(__always) func referenceGather(_ count: Int, from d: Int, to p: Int) -> Double {
        d == p ? 0 : Double(count) * headOutputBytes / bandwidth[d * n + p]
    }

    /// Decode: the attention phase term of device `d` holding `count > 0` groups, fed from `r`, gathered to `p`.
    @inline(__always) func decodeBranch(_ count: Int, on d: Int, residual r: Int, projection p: Int) -> Double {
        let send = hiddenTransfer[r * n + d]
        let gather = d == p ? 0 : linkLatency[d * n + p] + Double(count) * headOutputBytes / bandwidth[d * n + p]
        return send + Double(count) * attentionTime[d] + gather
    }

    /// Projection, handoff and FFN part of a layer (plus the return to the controller after the last layer).
    @inline(__always) func tail(projection p: Int, ffn f: Int, last: Bool) -> Double {
        let handoff = p == f ? 0 : hiddenTransfer[p * n + f]
        if model == .reference {
            return projectionTime[p] + (handoff + ffnTime[f])
        }
        let back = last && f != controller ? hiddenTransfer[f * n + controller] : 0
        return projectionTime[p] + handoff + ffnTime[f] + back
    }

    /// Latency of one layer from its per-device attention counts.
    /// - Parameter residual: decode model: the device holding the residual stream (controller or previous FFN).
    func layerLatency(counts: UnsafeBufferPointer<Int>, projection p: Int, ffn f: Int, residual r: Int, last: Bool) -> Double {
        switch model {
        case .reference:
            var heads = 0.0
            var gathers = 0.0
            for d in 0..<n where counts[d] > 0 {
                heads = max(heads, attentionLoad(counts[d], on: d))
                gathers += referenceGather(counts[d], from: d, to: p)
            }
            return heads + (gathers + projectionTime[p]) + (p == f ? 0 : hiddenTransfer[p * n + f]) + ffnTime[f]
        case .decode:
            var phase = r == p ? 0 : hiddenTransfer[r * n + p]
            for d in 0..<n where counts[d] > 0 {
                phase = max(phase, decodeBranch(counts[d], on: d, residual: r, projection: p))
            }
            return phase + tail(projection: p, ffn: f, last: last)
        }
    }

    /// The residual device feeding `layer` given the FFN device of the layer before.
    @inline(__always) func residual(ofLayer layer: Int, previousFFN: Int) -> Int { layer == 0 ? controller : previousFFN }

    // MARK: Whole placements

    /// Objective (latency + migration) and feasibility of a full placement, from the tables.
    func objective(_ devices: [Int]) -> (value: Double, feasible: Bool) {
        var memory = freeMemory
        var budget = freeBudget
        var counts = Array(repeating: 0, count: n)
        var total = constant
        var r = controller
        var feasible = true
        for l in 0..<layers {
            let base = l * blocksPerLayer
            for d in 0..<n { counts[d] = 0 }
            for g in 0..<groups {
                let d = devices[base + g]
                counts[d] += 1
                memory[d] -= attentionMemory
                budget[d] -= attentionBudget
            }
            let p = devices[base + groups]
            let f = devices[base + groups + 1]
            memory[p] -= projectionMemory
            budget[p] -= projectionBudget
            memory[f] -= ffnMemory
            budget[f] -= ffnBudget
            total += counts.withUnsafeBufferPointer {
                layerLatency(counts: $0, projection: p, ffn: f, residual: r, last: l == layers - 1)
            }
            r = f
        }
        for d in 0..<n {
            if memory[d] < 0 || budget[d] < 0 { feasible = false }
        }
        for d in devices where !usable[d] { feasible = false }
        return (total + migrationDelay(devices), feasible)
    }

    /// Migration delay from `previous` to `devices` (zero without a previous placement).
    func migrationDelay(_ devices: [Int]) -> Double { migrationTables.delay(of: devices) }
}
