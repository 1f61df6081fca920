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

    public init(model: LlamaModel, contextLength: Int = 2048, pool: WorkerPool, maxBatch: Int = 32) {
        let c = model.configuration
        self.model = model
        self.contextLength = contextLength
        self.maxBatch = maxBatch
        self.pool = pool
        embedding = model.embeddingBlock()
        let rope = RopeTable(headDim: c.headDim, base: c.ropeBase, capacity: contextLength)
        attention = (0..<c.layerCount).flatMap { l in
            (0..<c.kvHeadCount).map { g in model.attentionBlock(layer: l, group: g, capacity: contextLength, rope: rope) }
        }
        projection = (0..<c.layerCount).map { model.projectionBlock(layer: $0) }
        feedForward = (0..<c.layerCount).map { model.feedForwardBlock(layer: $0) }
        lmHead = model.lmHeadBlock()
        let scratch = max(
            AttentionBlock.scratchCount(c, tokens: maxBatch, capacity: contextLength, threads: pool.threads),
            ProjectionBlock.scratchCount(c, tokens: maxBatch), FeedForwardBlock.scratchCount(c, tokens: maxBatch),
            LMHeadBlock.scratchCount(c, tokens: 1))
        workspace = Workspace(residual: maxBatch * c.modelDim, heads: maxBatch * c.queryDim, scratch: scratch,
                              logits: c.vocabSize)
    }

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
            for g in 0..<c.kvHeadCount {
                attention[l * c.kvHeadCount + g].forward(
                    x, tokens: n, out: heads + g * c.groupDim, outStride: c.queryDim, scratch: scratch, pool: pool)
            }
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

/// Activation buffers of a session, allocated once (64-byte aligned).
private final class Workspace {
    let residual, heads, scratch: UnsafeMutablePointer<Float>
    let logitsCount: Int
    let logits: UnsafeMutableBufferPointer<Float>

    init(residual r: Int, heads h: Int, scratch s: Int, logits l: Int) {
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
    }
}
