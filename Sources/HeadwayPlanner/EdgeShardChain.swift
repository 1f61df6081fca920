public import HeadwayCore

/// The ordered chain of units that EdgeShard partitions, with every cost its two DPs need, all taken from the
/// request's cost model (`demand(of:at:)`, `executionTime`, transfers = path latency + bytes / bandwidth with the
/// volumes of `BlockDataFlow`), so that the latency a DP predicts for a placement equals what `evaluate` reports.
///
/// **Units.** A multi-layer model is a chain of decoder layers; a unit holds every block of its layer (all attention
/// groups with their K/V caches, the projection, the FFN). A single-layer model (the paper's setting) is the chain
/// [all attention groups, projection, FFN] (baselines.md §4).
///
/// **Latency of an assignment** (unit → device) under `DecodeCostModel`: the controller's embedding lookup; per layer
/// unit on j with the residual on i: transfer(hidden, i → j) + Σ attention groups on j + projection + FFN; at the end
/// the return of the hidden state to the controller and the LM head. In the single-layer chain (residual r =
/// controller, attention on a, projection on b, FFN on c) the attention phase is max(r→a + attention(a) + a→b gather,
/// r→b residual) exactly as the cost model runs the two in parallel; the max is monotone in the prefix, so the DP's
/// Bellman step stays exact. Under `ReferenceCostModel` the flow has no input scatter, no return, no latency term and
/// no embedding/LM-head time, as that model charges none.
public struct EdgeShardChain: Sendable {
    public enum Unit: Hashable, Sendable, CustomStringConvertible {
        case layer(Int)
        case attention(layer: Int)
        case projection(layer: Int)
        case feedForward(layer: Int)
        public var description: String {
            switch self {
            case .layer(let l): "L\(l)"
            case .attention(let l): "L\(l).attention"
            case .projection(let l): "L\(l).projection"
            case .feedForward(let l): "L\(l).ffn"
            }
        }
    }

    public let units: [Unit]
    /// Block indices of each unit (contiguous in the layout).
    public let blocks: [Range<Int>]
    /// Resident memory of each unit at the sizing position (bytes).
    public let memory: [Double]
    /// Per-step FLOPs of each unit (checked only where the cost model enforces a compute budget).
    public let flops: [Double]
    /// Free memory and FLOP budget per device at the sizing position (controller's fixed share removed).
    public let freeMemory: [Double]
    public let freeFLOPs: [Double]
    public let online: [Bool]
    public let controller: Int
    public var deviceCount: Int { online.count }

    /// Execution time of unit u on device j at the request's position, flat: u·n + j.
    private let time: [Double]
    private let flow: BlockDataFlow
    private let state: ClusterState
    private let groups: Int
    /// Time before the first unit (embedding lookup) and after the return (LM head), decode model only.
    public let head: Double
    public let tail: Double

    /// - Parameter sizing: position at which memory is checked (the request's position, or a later one to reserve
    ///   K/V room for a maximum context).
    public init(request: PlanningRequest, sizing: TokenPosition) {
        let cm = request.costModel
        let layout = cm.layout
        let state = request.state
        let n = state.count
        var units: [Unit] = []
        var blocks: [Range<Int>] = []
        if layout.layerCount == 1 {
            let g = layout.groupsPerLayer
            units = [.attention(layer: 0), .projection(layer: 0), .feedForward(layer: 0)]
            blocks = [0..<g, g..<(g + 1), (g + 1)..<(g + 2)]
        } else {
            for l in 0..<layout.layerCount {
                units.append(.layer(l))
                blocks.append(layout.indices(ofLayer: l))
            }
        }
        var memory: [Double] = []
        var flops: [Double] = []
        var time = Array(repeating: 0.0, count: units.count * n)
        for (u, range) in blocks.enumerated() {
            var m = 0.0
            var f = 0.0
            for b in range {
                let d = cm.demand(of: b, at: sizing)
                m += d.memory.value
                f += d.flops.value
            }
            memory.append(m)
            flops.append(f)
            let demands = range.map { cm.demand(of: $0, at: request.position) }
            for j in 0..<n {
                // Same summation order as the cost model: attention groups, then projection, then FFN.
                var t = 0.0
                for d in demands { t += cm.executionTime(of: d, on: j, in: state).value }
                time[u * n + j] = t
            }
        }
        var sized = request
        sized.position = sizing
        let ledger = ResourceLedger(request: sized)
        self.units = units
        self.blocks = blocks
        self.memory = memory
        self.flops = ledger.enforcesComputeBudget ? flops : Array(repeating: 0, count: flops.count)
        self.freeMemory = ledger.freeMemory
        self.freeFLOPs = ledger.freeFLOPs
        self.online = state.online
        self.controller = state.cluster.controller
        self.time = time
        self.flow = BlockDataFlow(request: request)
        self.state = state
        self.groups = layout.groupsPerLayer
        if let decode = cm as? DecodeCostModel {
            let c = state.cluster.controller
            head = Double(decode.shape.modelDim) * decode.shape.embeddingBytes / state.memoryBandwidth[c].value
            tail = decode.executionTime(of: decode.lmHeadDemand, on: c, in: state).value
        } else {
            head = 0
            tail = 0
        }
    }

    /// Execution time of unit `u` on device `j` (all its blocks, one after another).
    public func time(_ u: Int, on j: Int) -> Double { time[u * deviceCount + j] }

    /// Transfer time from i to j as the cost model charges it.
    func transfer(_ bytes: Double, _ i: Int, _ j: Int) -> Double {
        guard i != j else { return 0 }
        let n = deviceCount
        return (flow.paysLatency ? state.pairLatency[i * n + j] : 0) + bytes / state.pairBandwidth[i * n + j]
    }

    /// Bytes that enter unit `u` from the previous unit's device (what a pipeline stage starting at `u` receives).
    func inboundBytes(_ u: Int) -> Double {
        switch units[u] {
        case .layer, .attention: flow.inputToHeads ? flow.hiddenBytes : 0
        case .projection: Double(groups) * flow.headOutputBytes
        case .feedForward: flow.projectionOutputBytes
        }
    }

    /// Latency after placing unit `u` on `j`, given the latency `prefix` after unit u−1 on `i` (u = 0: i is the
    /// controller and `prefix` is `head`). Monotone non-decreasing in `prefix`.
    func extend(_ prefix: Double, from i: Int, unit u: Int, to j: Int) -> Double {
        switch units[u] {
        case .layer, .attention:
            return prefix + (flow.inputToHeads ? transfer(flow.hiddenBytes, i, j) : 0) + time(u, on: j)
        case .projection:
            let gather = flow.serializedGathers
                ? (i == j ? 0 : Double(groups) * flow.headOutputBytes / state.pairBandwidth[i * deviceCount + j])
                : transfer(Double(groups) * flow.headOutputBytes, i, j)
            var phaseEnd = prefix + gather
            // The residual travels from the controller to the projection in parallel with the attention phase.
            if flow.residualToProjection && controller != j {
                phaseEnd = max(phaseEnd, head + transfer(flow.hiddenBytes, controller, j))
            }
            return phaseEnd + time(u, on: j)
        case .feedForward:
            return prefix + transfer(flow.projectionOutputBytes, i, j) + time(u, on: j)
        }
    }

    /// Return of the hidden state from `j` to the controller (0 where the cost model charges none).
    func returnTransfer(from j: Int) -> Double {
        flow.returnToController ? transfer(flow.hiddenBytes, j, controller) : 0
    }

    /// Latency once the last unit ran on `j`: the return to the controller and the LM head.
    func finish(_ prefix: Double, last j: Int) -> Double {
        prefix + returnTransfer(from: j) + tail
    }

    /// Per-token latency of an assignment (unit → device) as the cost model evaluates the resulting placement.
    public func latency(of assignment: [Int]) -> Double {
        precondition(assignment.count == units.count, "assignment has \(assignment.count) units, chain has \(units.count)")
        var value = head
        var previous = controller
        for (u, j) in assignment.enumerated() {
            value = extend(value, from: previous, unit: u, to: j)
            previous = j
        }
        return finish(value, last: previous)
    }

    /// Pipeline bottleneck of an assignment: the largest stage time, where a stage is a maximal run of consecutive
    /// units on one device; a stage's time is the larger of its compute time (its units one after another) and the
    /// transfer into it; the return of the last stage's output to the controller counts as one more transfer (our
    /// choice; EdgeShard's code omits it). The first stage receives nothing (the embedding is on the controller).
    public func bottleneck(of assignment: [Int]) -> Double {
        precondition(assignment.count == units.count, "assignment has \(assignment.count) units, chain has \(units.count)")
        var worst = 0.0
        var u = 0
        var previous = controller
        while u < assignment.count {
            let j = assignment[u]
            let inbound = u == 0 ? 0 : transfer(inboundBytes(u), previous, j)
            var compute = 0.0
            while u < assignment.count && assignment[u] == j {
                compute += time(u, on: j)
                u += 1
            }
            worst = max(worst, inbound, compute)
            previous = j
        }
        return max(worst, returnTransfer(from: previous))
    }

    /// Whether the units of an assignment fit every device's free memory (and FLOP budget) at the sizing position.
    public func fits(_ assignment: [Int]) -> Bool {
        var m = freeMemory
        var f = freeFLOPs
        for (u, j) in assignment.enumerated() {
            guard online[j] else { return false }
            m[j] -= memory[u]
            f[j] -= flops[u]
            if m[j] < 0 || f[j] < 0 { return false }
        }
        return true
    }

    /// The placement that puts every block of each unit on the unit's device.
    public func placement(of assignment: [Int], blockCount: Int) -> Placement {
        var devices = Array(repeating: controller, count: blockCount)
        for (u, j) in assignment.enumerated() {
            for b in blocks[u] { devices[b] = j }
        }
        return Placement(devices: devices)
    }
}
