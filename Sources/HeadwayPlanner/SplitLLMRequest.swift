public import HeadwayCore

/// A device taking part in SplitLLM: a client (phone, laptop, board) or the server.
public struct SplitLLMDevice: Hashable, Sendable, Codable {
    public var name: String
    /// Effective compute (what a batch-1 kernel reaches, not the datasheet peak).
    public var compute: FLOPsPerSecond
    /// Effective memory bandwidth (weights and K/V are streamed from it).
    public var memoryBandwidth: BytesPerSecond
    /// Memory available for model weights; nil = unlimited. Only the client's cap is used by the planners.
    public var memory: Bytes?
    public init(name: String, compute: FLOPsPerSecond, memoryBandwidth: BytesPerSecond, memory: Bytes? = nil) {
        self.name = name
        self.compute = compute
        self.memoryBandwidth = memoryBandwidth
        self.memory = memory
    }

    /// Roofline time of one block's work on this device: `max(FLOPs / compute, bytes / bandwidth)`, the same rule
    /// as `DecodeCostModel.executionTime`.
    public func time(flops: Double, bytes: Double) -> Double {
        max(flops / compute.value, bytes / memoryBandwidth.value)
    }

    func validate(role: String) throws(PlannerError) {
        guard compute.value > 0, compute.value.isFinite else {
            throw PlannerError(.invalidArgument, "SplitLLM \(role) '\(name)': compute must be positive, got \(compute.value)")
        }
        guard memoryBandwidth.value > 0, memoryBandwidth.value.isFinite else {
            throw PlannerError(.invalidArgument,
                "SplitLLM \(role) '\(name)': memory bandwidth must be positive, got \(memoryBandwidth.value)")
        }
        if let m = memory, !(m.value >= 0) {
            throw PlannerError(.invalidArgument, "SplitLLM \(role) '\(name)': memory must be non-negative, got \(m.value)")
        }
    }
}

/// The client's link to the server. A transfer of `b` bytes costs `latency + b / rate` (the DecodeCostModel rule).
public struct SplitLLMLink: Hashable, Sendable, Codable {
    public var uplink: BytesPerSecond
    public var downlink: BytesPerSecond
    /// One-way latency paid by every transfer.
    public var latency: Seconds
    public init(uplink: BytesPerSecond, downlink: BytesPerSecond, latency: Seconds) {
        self.uplink = uplink
        self.downlink = downlink
        self.latency = latency
    }
    /// Convenience: rates in Mbit/s and latency in milliseconds.
    public init(uplinkMbps: Double, downlinkMbps: Double, latencyMilliseconds: Double) {
        self.init(
            uplink: BytesPerSecond(gigabitsPerSecond: uplinkMbps / 1000),
            downlink: BytesPerSecond(gigabitsPerSecond: downlinkMbps / 1000),
            latency: Seconds(milliseconds: latencyMilliseconds))
    }
}

/// One inference request as SplitLLM sees it: a model, the prompt and output lengths, the client, its link, the
/// server, and the SLA Λ on end-to-end latency (prefill + all decode steps + transfers, no queueing).
///
/// **Units.** The chain has `L + 2` units: `embedding`, `L0` … `L{L−1}` (decoder layers: all K/V groups, output
/// projection and FFN of the layer), `lm_head`. Each unit is placed on the client or the server for the whole request.
///
/// **Per-unit cost** (reusing `DecodeCostModel`'s per-block demands, so the arithmetic is the project's one):
/// - Decode step at context c (c = n+1 … n+m−1): each block costs `max(FLOPs/compute, bytesRead/bandwidth)` on the
///   device (`DecodeCostModel.executionTime`); blocks of a layer run one after another, so the layer's time is the sum.
///   Whether a block is compute- or bandwidth-bound is decided per block and per phase by that max: decode is almost
///   always bandwidth-bound (weights streamed once per token), prefill compute-bound.
/// - Prefill of the n-token prompt: as `DecodeCostModel.prefillLatency` does it, FLOPs are the per-token FLOPs at the
///   average context summed over n tokens (exact because attention FLOPs are linear in the context), and bytes are the
///   weights once plus the K/V cache written and read (`state(1) + state(n)` = `2·state((n+1)/2)`).
/// - Embedding: a lookup, memory-bound: `tokens · d · embeddingBytes / bandwidth` (the DecodeCostModel rule).
/// - LM head: `DecodeCostModel.lmHeadDemand` once per pass. **Ours:** the prefill computes logits for the last prompt
///   token only (what llama.cpp does), where `DecodeCostModel.prefillLatency` charges all n tokens.
/// - Output length m counts generated tokens: the prefill yields the first, then m−1 decode steps.
/// - Server work = the unit's FLOPs over the request (prefill + decode) when it runs on the server.
///
/// **Transfers** (`latency + bytes/rate`, per pass): the hidden state (`DecodeCostModel.hiddenBytes` per token) between
/// layers, n tokens in the prefill and one per decode step; token ids (4 bytes) for the prompt upload, the per-step wrap
/// from the LM head to the embedding, and the final token back to the client. Tokens generated before the last are
/// streamed to the client while the next step runs, so only the last one is on the critical path.
public struct SplitLLMRequest: Hashable, Sendable, Codable {
    public var shape: ModelShape
    public var promptLength: Int
    public var outputLength: Int
    public var client: SplitLLMDevice
    public var server: SplitLLMDevice
    public var link: SplitLLMLink
    public var sla: Seconds

    /// Bytes of one token id on the wire.
    public static let tokenBytes: Double = 4

    public init(
        shape: ModelShape, promptLength: Int, outputLength: Int, client: SplitLLMDevice, server: SplitLLMDevice,
        link: SplitLLMLink, sla: Seconds
    ) {
        self.shape = shape
        self.promptLength = promptLength
        self.outputLength = outputLength
        self.client = client
        self.server = server
        self.link = link
        self.sla = sla
    }

    /// The per-unit and per-transfer costs of this request.
    public func costs() throws(PlannerError) -> SplitLLMCosts {
        guard promptLength > 0 else {
            throw PlannerError(.invalidArgument, "SplitLLM request: prompt length must be positive, got \(promptLength)")
        }
        guard outputLength > 0 else {
            throw PlannerError(.invalidArgument, "SplitLLM request: output length must be positive, got \(outputLength)")
        }
        do { try shape.validate(source: "SplitLLM model '\(shape.name)'") } catch {
            throw PlannerError(.invalidArgument, "\(error)")
        }
        try client.validate(role: "client")
        try server.validate(role: "server")
        for (field, v) in [("uplink", link.uplink.value), ("downlink", link.downlink.value)] where !(v > 0 && v.isFinite) {
            throw PlannerError(.invalidArgument, "SplitLLM link: \(field) must be positive, got \(v)")
        }
        guard link.latency.value >= 0, link.latency.value.isFinite else {
            throw PlannerError(.invalidArgument, "SplitLLM link: latency must be finite and non-negative, got \(link.latency.value)")
        }

        let model = DecodeCostModel(shape: shape)
        let layout = model.layout
        let n = Double(promptLength)
        let steps = outputLength - 1  // decode steps after the prefill
        let passes = Double(outputLength)  // prefill + decode steps
        let tokensThrough = n + Double(steps)  // tokens each layer processes over the request
        let d = Double(shape.modelDim)

        // Decoder layers: every layer has the same blocks, so one layer's cost serves all of them.
        let layerBlocks = Array(layout.indices(ofLayer: 0))
        var clientLayer = 0.0, serverLayer = 0.0, layerFLOPs = 0.0, layerWeights = 0.0
        for b in layerBlocks {
            let first = model.demand(of: b, at: TokenPosition(promptLength: 0, generated: 0))
            let last = model.demand(of: b, at: TokenPosition(promptLength: 0, generated: promptLength - 1))
            let prefillFLOPs = n * (first.flops.value + last.flops.value) / 2
            let prefillBytes = first.weights.value + first.state.value + last.state.value
            clientLayer += client.time(flops: prefillFLOPs, bytes: prefillBytes)
            serverLayer += server.time(flops: prefillFLOPs, bytes: prefillBytes)
            layerFLOPs += prefillFLOPs
            layerWeights += first.weights.value
            if steps > 0 {
                for t in 1...steps {
                    let dm = model.demand(of: b, at: TokenPosition(promptLength: promptLength, generated: t - 1))
                    clientLayer += client.time(flops: dm.flops.value, bytes: dm.bytesRead.value)
                    serverLayer += server.time(flops: dm.flops.value, bytes: dm.bytesRead.value)
                    layerFLOPs += dm.flops.value
                }
            }
        }

        let embeddingBytes = tokensThrough * d * shape.embeddingBytes
        let embedding = SplitLLMUnitCost(
            name: "embedding", clientTime: Seconds(embeddingBytes / client.memoryBandwidth.value),
            serverTime: Seconds(embeddingBytes / server.memoryBandwidth.value), serverWork: .zero,
            clientWeights: Bytes(shape.embeddingWeightCount * shape.embeddingBytes))
        let head = model.lmHeadDemand
        let lmHead = SplitLLMUnitCost(
            name: "lm_head",
            clientTime: Seconds(passes * client.time(flops: head.flops.value, bytes: head.bytesRead.value)),
            serverTime: Seconds(passes * server.time(flops: head.flops.value, bytes: head.bytesRead.value)),
            serverWork: FLOPs(passes * head.flops.value), clientWeights: head.weights)

        var units = [embedding]
        for l in 0..<shape.layerCount {
            units.append(SplitLLMUnitCost(
                name: "L\(l)", clientTime: Seconds(clientLayer), serverTime: Seconds(serverLayer),
                serverWork: FLOPs(layerFLOPs), clientWeights: Bytes(layerWeights)))
        }
        units.append(lmHead)

        // Hidden state crossing any boundary between units: n tokens once, then one token per decode step.
        let lat = link.latency.value
        let hidden = model.hiddenBytes
        let hiddenUp = passes * lat + tokensThrough * hidden / link.uplink.value
        let hiddenDown = passes * lat + tokensThrough * hidden / link.downlink.value
        let boundaries = units.count - 1
        let tok = SplitLLMRequest.tokenBytes
        return SplitLLMCosts(
            units: units,
            upload: Array(repeating: Seconds(hiddenUp), count: boundaries),
            download: Array(repeating: Seconds(hiddenDown), count: boundaries),
            inputUpload: Seconds(lat + n * tok / link.uplink.value),
            wrapUpload: Seconds(Double(steps) * (lat + tok / link.uplink.value)),
            wrapDownload: Seconds(Double(steps) * (lat + tok / link.downlink.value)),
            resultDownload: Seconds(lat + tok / link.downlink.value))
    }

    /// End-to-end latency with every unit on the server (the reference for SLA factors).
    public func serverOnlyLatency() throws(PlannerError) -> Seconds {
        let c = try costs()
        return c.latency(of: Array(repeating: .server, count: c.count))
    }
}
