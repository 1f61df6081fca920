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
    public let embedding: EmbeddingBlock
    /// Attention blocks (weights), layer-major: block of (layer, group) at `layer · kvHeadCount + group`.
    public let attention: [AttentionBlock]
    /// This sequence's state: the K/V cache of each attention block, indexed like `attention`.
    public var caches: [KVCache]
    public let projection: [ProjectionBlock]
    public let feedForward: [FeedForwardBlock]
    public let lmHead: LMHeadBlock
    private let workspace: Workspace

    /// - Parameter cacheFormat: how every attention block's K/V cache stores positions (`.f16` where the head
    ///   dimension does not allow Q8_0).
    /// Tokens per prefill chunk unless told otherwise.
    public static let defaultMaxBatch = 32

    public init(
        model: LlamaModel, contextLength: Int = 2048, pool: WorkerPool, maxBatch: Int = defaultMaxBatch,
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
            (0..<c.kvHeadCount).map { g in model.attentionBlock(layer: l, group: g, positions: contextLength, rope: rope) }
        }
        caches = attention.map { $0.makeCache(capacity: contextLength, format: cacheFormat) }
        projection = (0..<c.layerCount).map { model.projectionBlock(layer: $0) }
        feedForward = (0..<c.layerCount).map { model.feedForwardBlock(layer: $0) }
        lmHead = model.lmHeadBlock()
        workspace = Workspace(
            residual: maxBatch * c.modelDim, heads: maxBatch * c.queryDim,
            scratch: Self.scratchCount(c, tokens: maxBatch, capacity: contextLength, threads: pool.threads),
            logits: c.vocabSize, groups: c.kvHeadCount)
    }

    /// Scratch floats one forward pass of `n` tokens needs (the largest of its blocks').
    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int, capacity: Int, threads: Int) -> Int {
        max(LayerAttention.scratchCount(c, groups: c.kvHeadCount, tokens: n, capacity: capacity, threads: threads),
            ProjectionBlock.scratchCount(c, tokens: n), FeedForwardBlock.scratchCount(c, tokens: n),
            LMHeadBlock.scratchCount(c, tokens: 1))
    }

    /// How the attention blocks' K/V caches store positions.
    public var cacheFormat: KVCacheFormat { caches[0].format }

    /// Tokens processed so far (= the position of the next token).
    public var position: Int { caches[0].count }

    /// Logits of the last token run (valid until the next call; after `prefill`, of the prompt's last token).
    public var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(workspace.logits) }

    /// Runs the prompt (in chunks of `maxBatch`) and returns the logits after its last token.
    public mutating func prefill(_ tokens: [Int32]) throws(EngineError) -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw EngineError(.invalidArgument, "prefill needs at least one token") }
        try checkRoom(tokens.count)
        try tokens.withUnsafeBufferPointer { (all) throws(EngineError) in
            var start = 0
            while start < all.count {
                let n = min(maxBatch, all.count - start)
                // Only the last chunk's last token needs the LM head.
                try run(UnsafeBufferPointer(rebasing: all[start..<start + n]), allLogits: nil, logits: start + n == all.count)
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
        for i in caches.indices { caches[i].truncate(to: position) }
    }

    private func checkRoom(_ n: Int) throws(EngineError) {
        guard position + n <= contextLength else {
            throw EngineError(.contextFull,
                "context of \(contextLength) tokens is full: \(position) used, \(n) more requested")
        }
    }

    private mutating func run(
        _ tokens: UnsafeBufferPointer<Int32>, allLogits: UnsafeMutablePointer<[[Float]]>?, logits wantLogits: Bool = true
    ) throws(EngineError) {
        let c = model.configuration
        let n = tokens.count
        let (x, heads, scratch) = (workspace.residual, workspace.heads, workspace.scratch)
        try embedding.forward(tokens, out: x)
        let kv = c.kvHeadCount
        for l in 0..<c.layerCount {
            attention.withUnsafeBufferPointer { blocks in
                caches.withUnsafeMutableBufferPointer { caches in
                    LayerAttention.forward(
                        blocks: UnsafeBufferPointer(rebasing: blocks[(l * kv)..<((l + 1) * kv)]),
                        caches: caches.baseAddress! + l * kv, x, tokens: n, out: heads, outStride: c.queryDim,
                        scratch: scratch, views: workspace.cacheViews, pool: pool)
                }
            }
            projection[l].forward(heads: heads, residual: x, tokens: n, scratch: scratch, pool: pool)
            feedForward[l].forward(residual: x, tokens: n, scratch: scratch, pool: pool)
        }
        if let allLogits {
            for t in 0..<n {
                lmHead.forward(x + t * c.modelDim, tokens: 1, logits: workspace.logits.baseAddress!, scratch: scratch, pool: pool)
                allLogits.pointee.append(Array(logits))
            }
        } else if wantLogits {
            lmHead.forward(x + (n - 1) * c.modelDim, tokens: 1, logits: workspace.logits.baseAddress!, scratch: scratch, pool: pool)
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
        let make = UnsafeMutablePointer<Float>.zeroed
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

extension LlamaSession {
    /// The K/V cache of attention block `i` (`attention[i]`) as snapshot bytes.
    public func snapshot(_ i: Int) -> [UInt8] {
        caches[i].serialized(layer: attention[i].layer, group: attention[i].group)
    }

    /// Replaces the K/V cache of attention block `i` with a snapshot of the same block.
    public mutating func restore(_ i: Int, from bytes: [UInt8]) throws(EngineError) {
        try caches[i].restore(from: bytes, layer: attention[i].layer, group: attention[i].group)
    }
}
