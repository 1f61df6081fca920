/// One sequence being generated with a `LlamaModel`: the model's blocks (each attention block with its own K/V
/// cache) composed into the forward pass, plus every activation buffer, allocated once when the session is made.
/// `decode` does not allocate.
///
/// The forward pass, per chunk of tokens (all prompt tokens go through each layer together):
/// embedding → per layer: attention group blocks (into one head-output buffer) → projection (+ residual)
/// → feed-forward (+ residual) → LM head (last token, or every token).
public struct LlamaSession {
    public let model: LlamaModel
    public let contextLength: Int
    /// Tokens per prefill chunk.
    public let maxBatch: Int
    public let pool: WorkerPool
    public var embedding: EmbeddingBlock
    /// Attention blocks, layer-major: block of (layer, group) at `layer · kvHeadCount + group`.
    public var attention: [AttentionBlock]
    public var projection: [ProjectionBlock]
    public var feedForward: [FeedForwardBlock]
    public var lmHead: LMHeadBlock
    private let workspace: Workspace
    /// Per layer, the Q, K and V matrices of all groups (each group's rows are a contiguous slice of these), so one
    /// pool job computes every group's projections.
    private let fusedQKV: [(q: WeightMatrix, k: WeightMatrix, v: WeightMatrix)]

    /// - Parameter cacheFormat: how every attention block's K/V cache stores positions (`.f16` where the head
    ///   dimension does not allow Q8_0).
    public init(
        model: LlamaModel, contextLength: Int = 2048, pool: WorkerPool, maxBatch: Int = 32,
        cacheFormat: KVCacheFormat = .standard
    ) {
        let c = model.configuration
        self.model = model
        self.contextLength = contextLength
        self.maxBatch = maxBatch
        self.pool = pool
        embedding = model.embeddingBlock()
        let rope = RopeTable(headDim: c.headDim, base: c.ropeBase, capacity: contextLength)
        attention = (0..<c.layerCount).flatMap { l in
            (0..<c.kvHeadCount).map { g in
                model.attentionBlock(layer: l, group: g, capacity: contextLength, rope: rope, cacheFormat: cacheFormat)
            }
        }
        projection = (0..<c.layerCount).map { model.projectionBlock(layer: $0) }
        feedForward = (0..<c.layerCount).map { model.feedForwardBlock(layer: $0) }
        lmHead = model.lmHeadBlock()
        fusedQKV = model.weights.layers.map { ($0.wq, $0.wk, $0.wv) }
        let scratch = max(
            AttentionBlock.scratchCount(c, tokens: maxBatch, capacity: contextLength, threads: pool.threads),
            Self.fusedAttentionScratchCount(c, tokens: maxBatch, capacity: contextLength, threads: pool.threads),
            ProjectionBlock.scratchCount(c, tokens: maxBatch), FeedForwardBlock.scratchCount(c, tokens: maxBatch),
            LMHeadBlock.scratchCount(c, tokens: 1))
        workspace = Workspace(residual: maxBatch * c.modelDim, heads: maxBatch * c.queryDim, scratch: scratch,
                              logits: c.vocabSize, groups: c.kvHeadCount)
    }

    /// How the attention blocks' K/V caches store positions.
    public var cacheFormat: KVCacheFormat { attention[0].cache.format }

    /// Tokens processed so far (= the position of the next token).
    public var position: Int { attention[0].position }

    /// Logits of the last token run (valid until the next call).
    public var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(workspace.logits) }

    /// Runs the prompt (in chunks of `maxBatch`) and returns the logits after its last token.
    public mutating func prefill(_ tokens: [Int32]) throws(EngineError) -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw EngineError(.invalidArgument, "prefill needs at least one token") }
        try checkRoom(tokens.count)
        try tokens.withUnsafeBufferPointer { (all) throws(EngineError) in
            var start = 0
            while start < all.count {
                let n = min(maxBatch, all.count - start)
                try run(UnsafeBufferPointer(rebasing: all[start..<start + n]), allLogits: nil)
                start += n
            }
        }
        return logits
    }

    /// Runs the tokens and returns the logits at every position (`tokens.count` rows of `vocabSize`); for tests
    /// and reference comparisons.
    public mutating func prefillAllLogits(_ tokens: [Int32]) throws(EngineError) -> [[Float]] {
        try checkRoom(tokens.count)
        var rows: [[Float]] = []
        try tokens.withUnsafeBufferPointer { (all) throws(EngineError) in
            var start = 0
            while start < all.count {
                let n = min(maxBatch, all.count - start)
                try run(UnsafeBufferPointer(rebasing: all[start..<start + n]), allLogits: &rows)
                start += n
            }
        }
        return rows
    }

    /// Runs one token and returns the logits for the next position (valid until the next call). Does not allocate.
    public mutating func decode(_ token: Int32) throws(EngineError) -> UnsafeBufferPointer<Float> {
        try checkRoom(1)
        try withUnsafePointer(to: token) { (p) throws(EngineError) in
            try run(UnsafeBufferPointer(start: p, count: 1), allLogits: nil)
        }
        return logits
    }

    /// Forgets every position from `position` on, in every attention block.
    public mutating func rewind(to position: Int) {
        for i in attention.indices { attention[i].cache.truncate(to: position) }
    }

    private func checkRoom(_ n: Int) throws(EngineError) {
        guard position + n <= contextLength else {
            throw EngineError(.contextFull,
                "context of \(contextLength) tokens is full: \(position) used, \(n) more requested")
        }
    }

    private mutating func run(_ tokens: UnsafeBufferPointer<Int32>, allLogits: UnsafeMutablePointer<[[Float]]>?) throws(EngineError) {
        let c = model.configuration
        let n = tokens.count
        let (x, heads, scratch) = (workspace.residual, workspace.heads, workspace.scratch)
        try embedding.forward(tokens, out: x)
        for l in 0..<c.layerCount {
            attentionLayer(l, x, tokens: n, heads: heads, scratch: scratch)
            projection[l].forward(heads: heads, residual: x, tokens: n, scratch: scratch, pool: pool)
            feedForward[l].forward(residual: x, tokens: n, scratch: scratch, pool: pool)
        }
        if let allLogits {
            for t in 0..<n {
                lmHead.forward(x + t * c.modelDim, tokens: 1, logits: workspace.logits.baseAddress!, scratch: scratch, pool: pool)
                allLogits.pointee.append(Array(logits))
            }
        } else {
            lmHead.forward(x + (n - 1) * c.modelDim, tokens: 1, logits: workspace.logits.baseAddress!, scratch: scratch, pool: pool)
        }
    }
}

extension LlamaSession {
    static func fusedAttentionScratchCount(_ c: LlamaConfiguration, tokens n: Int, capacity: Int, threads: Int) -> Int {
        n * (c.modelDim + c.queryDim + 2 * c.kvHeadCount * c.headDim) + threads * capacity
            + Q8Activations.floatCount(tokens: n, cols: c.modelDim)
    }

    /// All attention blocks of layer `l` at once, with the same numbers as running each group's
    /// `AttentionBlock.forward` in turn: one RMSNorm and quantization, one pool job for the Q/K/V rows of every
    /// group, each group's RoPE and cache append, then one pool job for every head's attention over its group's cache.
    fileprivate mutating func attentionLayer(
        _ l: Int, _ x: UnsafePointer<Float>, tokens n: Int, heads: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let c = model.configuration
        let (d, hd, gd, qpg, kv) = (c.modelDim, c.headDim, c.groupDim, c.queriesPerGroup, c.kvHeadCount)
        let qd = c.queryDim, kd = kv * hd
        let first = l * kv
        let capacity = attention[first].cache.capacity
        precondition(attention[first].cache.count + n <= capacity, "L\(l): context of \(capacity) exceeded")
        let xn = scratch
        let q = xn + n * d
        let k = q + n * qd
        let v = k + n * kd
        let scores = v + n * kd
        let xq = Q8Activations(carving: scores + pool.threads * capacity, tokens: n, cols: d)
        attention[first].norm.withUnsafeBufferPointer { w in
            for t in 0..<n { Kernels.rmsNorm(x + t * d, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: xn + t * d) }
        }
        Kernels.quantizeActivations(xn, into: xq)
        let (wq, wk, wv) = fusedQKV[l]
        let total = qd + 2 * kd
        pool.perform(chunks: pool.chunksFor(rows: total)) { part, parts in
            let r = WorkerPool.split(total, part: part, parts: parts)
            func clamp(_ lo: Int, _ hi: Int) -> Range<Int> {
                let a = min(max(r.lowerBound, lo), hi), b = min(max(r.upperBound, lo), hi)
                return (a - lo)..<(b - lo)
            }
            Kernels.matMulQ8(wq, xn, xq, n: n, q, rows: clamp(0, qd))
            Kernels.matMulQ8(wk, xn, xq, n: n, k, rows: clamp(qd, qd + kd))
            Kernels.matMulQ8(wv, xn, xq, n: n, v, rows: clamp(qd + kd, total))
        }
        let start = attention[first].cache.count
        let views = workspace.cacheViews
        for g in 0..<kv {
            let b = first + g
            let rope = attention[b].rope
            for t in 0..<n {
                let qg = q + t * qd + g * gd, kg = k + t * kd + g * hd
                rope.withAngles(start + t) { cos, sin in
                    Kernels.rope(qg, heads: qpg, headDim: hd, cos: cos, sin: sin)
                    Kernels.rope(kg, heads: 1, headDim: hd, cos: cos, sin: sin)
                }
                Kernels.roundToHalf(qg, count: gd)
                attention[b].cache.append(key: kg, value: v + t * kd + g * hd)
            }
            // The caches are not mutated again until the attention job below has finished.
            views[g] = attention[b].cache.view()
        }
        let headCount = c.headCount
        pool.perform { part, parts in
            for item in WorkerPool.split(n * headCount, part: part, parts: parts) {
                let (t, h) = item.quotientAndRemainder(dividingBy: headCount)
                let g = h / qpg
                views[g].attend(query: q + t * qd + h * hd, length: start + t + 1, scores: scores + part * capacity,
                                out: heads + t * qd + h * hd)
            }
        }
    }
}

/// Activation buffers of a session, allocated once (64-byte aligned).
private final class Workspace {
    let residual, heads, scratch: UnsafeMutablePointer<Float>
    let logitsCount: Int
    let logits: UnsafeMutableBufferPointer<Float>
    /// Per group of the current layer: a view of its K/V cache (filled by `attentionLayer`).
    let cacheViews: UnsafeMutablePointer<KVCacheView>

    init(residual r: Int, heads h: Int, scratch s: Int, logits l: Int, groups: Int) {
        cacheViews = .allocate(capacity: groups)
        cacheViews.initialize(repeating: KVCacheView.empty, count: groups)
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 4 * max(n, 16), alignment: 64).bindMemory(to: Float.self, capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        residual = make(r)
        heads = make(h)
        scratch = make(s)
        logitsCount = l
        logits = UnsafeMutableBufferPointer(start: make(l), count: l)
    }

    deinit {
        for p in [residual, heads, scratch, logits.baseAddress!] { UnsafeMutableRawPointer(p).deallocate() }
        cacheViews.deallocate()
    }
}
