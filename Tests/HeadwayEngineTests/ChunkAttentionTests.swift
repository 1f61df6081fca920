import HeadwayEngine
import Testing

/// The chunk form of prompt attention (matrix products per group and tile of tokens) against the reference form
/// (token by token, head by head): the same head outputs and caches, bit for bit.
@Suite struct ChunkAttentionTests {
    /// Runs the same chunks through `LayerAttention.forward` with `method` and returns every chunk's head outputs and
    /// the final caches.
    static func run(
        _ model: LlamaModel, layer: Int, chunks: [Int], capacity: Int, format: KVCacheFormat, method: LayerAttention.Method,
        pool: WorkerPool
    ) -> (outputs: [[Float]], caches: [KVCache]) {
        let c = model.configuration
        let blocks = (0..<c.kvHeadCount).map { model.attentionBlock(layer: layer, group: $0, positions: capacity) }
        var caches = blocks.map { $0.makeCache(capacity: capacity, format: format) }
        let longest = chunks.max()!
        var scratch = [Float](repeating: 0, count: LayerAttention.scratchCount(
            c, groups: blocks.count, tokens: longest, capacity: capacity, threads: pool.threads))
        var views = [KVCacheView](repeating: .empty, count: blocks.count)
        var outputs: [[Float]] = []
        for (k, n) in chunks.enumerated() {
            let x = randomFloats(n * c.modelDim, seed: 900 + UInt64(k), scale: 2)
            var out = [Float](repeating: .nan, count: n * c.queryDim)
            blocks.withUnsafeBufferPointer { b in
                caches.withUnsafeMutableBufferPointer { cs in
                    LayerAttention.forward(
                        blocks: b, caches: cs.baseAddress!, x, tokens: n, out: &out, outStride: c.queryDim,
                        scratch: &scratch, views: &views, pool: pool, method: method)
                }
            }
            outputs.append(out)
        }
        return (outputs, caches)
    }

    static let formats: [KVCacheFormat] = [
        .f16, KVCacheFormat(storage: .q8_0), KVCacheFormat(storage: .q8_0, sinkPositions: 2, recentPositions: 8),
    ]

    @Test(arguments: [(96, 3, 1), (192, 6, 2), (128, 8, 2)], [1, 2])
    func chunkAttentionEqualsTokenByToken(shape: (dim: Int, heads: Int, kvHeads: Int), threads: Int) throws {
        let model = try TinyLlama(modelDim: shape.dim, heads: shape.heads, kvHeads: shape.kvHeads).model()
        let pool = WorkerPool(threads: threads)
        // Chunks around the token tile (8), single tokens between them, a context of 70 positions in all.
        let chunks = [5, 13, 1, 8, 20, 1, 2, 17, 3]
        let capacity = chunks.reduce(0, +)
        for format in Self.formats where format.supports(headDim: shape.dim / shape.heads) {
            let fast = Self.run(model, layer: 1, chunks: chunks, capacity: capacity, format: format, method: .chunk, pool: pool)
            let reference = Self.run(model, layer: 1, chunks: chunks, capacity: capacity, format: format, method: .perToken, pool: pool)
            #expect(fast.caches == reference.caches, "\(format): caches differ")
            for (k, (a, b)) in zip(fast.outputs, reference.outputs).enumerated() {
                let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "dim \(shape.dim) \(format) chunk \(k) (\(chunks[k]) tokens): \(differing) of \(a.count) outputs differ")
                let finite = a.allSatisfy { $0.isFinite }
                #expect(finite, "chunk \(k): not finite")
            }
        }
    }

    /// The session's prefill runs the chunk form and the batched matrix kernels; its logits equal running every prompt
    /// token through decode (the one-token paths), bit for bit, whatever the chunk size. (Caches without an F16 ring:
    /// with one, positions move to Q8_0 at other moments in a chunk than token by token.)
    @Test(arguments: [2, 5, 32])
    func prefillLogitsEqualTokenByTokenDecode(maxBatch: Int) throws {
        let model = try TinyLlama(modelDim: 192, heads: 6, kvHeads: 2).model()
        let prompt: [Int32] = (0..<23).map { Int32(($0 * 37 + 11) % 97) }
        for format in [KVCacheFormat.f16, KVCacheFormat(storage: .q8_0)] {
            var batched = LlamaSession(model: model, contextLength: 64, pool: WorkerPool(threads: 2), maxBatch: maxBatch, cacheFormat: format)
            var single = LlamaSession(model: model, contextLength: 64, pool: WorkerPool(threads: 2), maxBatch: maxBatch, cacheFormat: format)
            let rows = try batched.prefillAllLogits(prompt)
            for (t, token) in prompt.enumerated() {
                let logits = Array(try single.decode(token))
                let differing = zip(logits, rows[t]).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "maxBatch \(maxBatch) \(format) position \(t): \(differing) logits differ")
            }
        }
    }
}
