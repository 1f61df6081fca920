/// Runs the attention blocks that one device holds in one layer, together, over the same input: one RMSNorm and
/// quantization of the residual stream, one pool job for the Q, K and V rows of every group, each group's RoPE and
/// cache append, then one pool job for the attention over each group's cache: for a chunk of several tokens, as
/// matrix products per group and tile of tokens (`Method.chunk`), for one token (decode) head by head.
///
/// This is the only implementation of attention: the single-process session runs all groups of a layer through it,
/// and a worker runs the groups it holds. Every output number depends only on the block's weights, its cache and the
/// input (each row of a matrix product and each head is computed on its own), so a group gives bit-identical outputs
/// whichever other groups run beside it and on whichever device of the same kernel set it runs.
public enum LayerAttention {
    /// How `forward` runs the attention of a chunk of several tokens over the caches. Both give the same numbers, bit
    /// for bit (tested).
    public enum Method: Sendable, CaseIterable {
        /// Per group and tile of `tokenTile` tokens, all their query heads at once as matrix products against the
        /// cache (`KVCacheView.attendRows`): each cached key and value is converted once per tile, not once per query.
        case chunk
        /// Token by token and head by head (`KVCacheView.attend`): the reference form.
        case perToken
    }

    /// Tokens of one work item of the chunk form (with all query heads of its group).
    public static let tokenTile = 8

    /// Scratch floats for `groups` groups and `n` tokens with caches of `capacity` positions on `threads` threads.
    public static func scratchCount(_ c: LlamaConfiguration, groups: Int, tokens n: Int, capacity: Int, threads: Int) -> Int {
        n * (c.modelDim + groups * (c.groupDim + 2 * c.headDim)) + threads * partScratch(c, tokens: n, capacity: capacity)
            + Q8Activations.floatCount(tokens: n, cols: c.modelDim)
    }

    /// Attention scratch of one thread: one query's scores (decode), or a tile's score rows and key/value blocks.
    static func partScratch(_ c: LlamaConfiguration, tokens n: Int, capacity: Int) -> Int {
        guard n > 1 else { return capacity }
        let tile = min(n, tokenTile, capacity)
        return max(capacity, Kernels.attendRowsScratch(tokens: tile, heads: c.queriesPerGroup, start: capacity - tile,
                                                       headDim: c.headDim))
    }

    /// - Parameters:
    ///   - blocks: attention blocks of one layer (any groups, in any order); block `i` appends to `caches[i]`.
    ///   - x: residual stream, `n × modelDim`.
    ///   - out: head outputs: token `t`, block `i` at `out[t · outStride + i · groupDim ..< … + groupDim]`.
    ///   - views: room for `blocks.count` cache views.
    ///   - quantizedInput: the normalized input already quantized (`Q8Rows`, `n × modelDim`), used in place of `x`'s
    ///     RMSNorm and quantization (only for blocks that `takesQuantizedInput`); `x` is then not read.
    ///   - method: how a chunk of several tokens attends (the same numbers either way).
    public static func forward(
        blocks: UnsafeBufferPointer<AttentionBlock>, caches: UnsafeMutablePointer<KVCache>, _ x: UnsafePointer<Float>,
        tokens n: Int, out: UnsafeMutablePointer<Float>, outStride: Int, scratch: UnsafeMutablePointer<Float>,
        views: UnsafeMutablePointer<KVCacheView>, pool: WorkerPool, quantizedInput: UnsafeRawPointer? = nil,
        method: Method = .chunk
    ) {
        let count = blocks.count
        guard count > 0 else { return }
        let c = blocks[0].configuration
        let (d, hd, gd, qpg) = (c.modelDim, c.headDim, c.groupDim, c.queriesPerGroup)
        var capacity = 0
        for i in 0..<count {
            precondition(blocks[i].layer == blocks[0].layer, "blocks of layers \(blocks[0].layer) and \(blocks[i].layer) run together")
            precondition(caches[i].count + n <= caches[i].capacity,
                         "L\(blocks[i].layer).head_\(blocks[i].group): context of \(caches[i].capacity) exceeded")
            capacity = max(capacity, caches[i].capacity)
        }
        let xn = scratch
        let q = xn + n * d                  // block i: n × groupDim at q + i · n · groupDim
        let k = q + count * n * gd          // block i: n × headDim at k + i · n · headDim
        let v = k + count * n * hd
        let scores = v + count * n * hd
        let partScratch = Self.partScratch(c, tokens: n, capacity: capacity)
        let xq = Q8Activations(carving: scores + pool.threads * partScratch, tokens: n, cols: d)
        if let quantizedInput {
            for i in 0..<count { precondition(blocks[i].takesQuantizedInput, "L\(blocks[i].layer).head_\(blocks[i].group) needs the F32 input") }
            Q8Rows.unpack(quantizedInput, into: xq)
        } else {
            normalizedInput(norm: blocks[0].norm, c, x, tokens: n, xn: xn, into: xq)
        }
        // Rows of block i: Q at [i·per, i·per + gd), K next (hd rows), V next (hd rows).
        let per = gd + 2 * hd
        let total = count * per
        pool.perform(chunks: pool.chunksFor(rows: total)) { part, parts in
            let r = WorkerPool.split(total, part: part, parts: parts)
            for i in (r.lowerBound / per)..<min(count, (r.upperBound + per - 1) / per) {
                let b = blocks[i]
                func clamp(_ lo: Int, _ hi: Int) -> Range<Int> {
                    let a = min(max(r.lowerBound, lo), hi), e = min(max(r.upperBound, lo), hi)
                    return (a - lo)..<(e - lo)
                }
                let base = i * per
                Kernels.matMulQ8(b.wq, xn, xq, n: n, q + i * n * gd, rows: clamp(base, base + gd))
                Kernels.matMulQ8(b.wk, xn, xq, n: n, k + i * n * hd, rows: clamp(base + gd, base + gd + hd))
                Kernels.matMulQ8(b.wv, xn, xq, n: n, v + i * n * hd, rows: clamp(base + gd + hd, base + per))
            }
        }
        let start = caches[0].count
        for i in 0..<count {
            precondition(caches[i].count == start, "caches of one layer at different positions (\(start), \(caches[i].count))")
            let rope = blocks[i].rope
            for t in 0..<n {
                let qi = q + (i * n + t) * gd, ki = k + (i * n + t) * hd
                rope.withAngles(start + t) { cos, sin in
                    Kernels.rope(qi, heads: qpg, headDim: hd, cos: cos, sin: sin)
                    Kernels.rope(ki, heads: 1, headDim: hd, cos: cos, sin: sin)
                }
                Kernels.roundToHalf(qi, count: gd)
                caches[i].append(key: ki, value: v + (i * n + t) * hd)
            }
            // The caches are not mutated again until the attention job below has finished.
            views[i] = caches[i].view()
        }
        if n > 1 && method == .chunk {
            // Items (tile, group), dealt round-robin so that every thread gets early and late tokens alike.
            let tiles = (n + tokenTile - 1) / tokenTile
            pool.perform { part, parts in
                for item in stride(from: part, to: tiles * count, by: parts) {
                    let (tile, i) = item.quotientAndRemainder(dividingBy: count)
                    let t0 = tile * tokenTile
                    views[i].attendRows(
                        query: q + (i * n + t0) * gd, tokens: min(tokenTile, n - t0), heads: qpg, queryStride: gd,
                        start: start + t0, scratch: scores + part * partScratch, out: out + t0 * outStride + i * gd,
                        outStride: outStride)
                }
            }
            return
        }
        let heads = count * qpg
        pool.perform { part, parts in
            for item in WorkerPool.split(n * heads, part: part, parts: parts) {
                let (t, h) = item.quotientAndRemainder(dividingBy: heads)
                let (i, j) = h.quotientAndRemainder(dividingBy: qpg)
                views[i].attend(query: q + (i * n + t) * gd + j * hd, length: start + t + 1,
                                scores: scores + part * partScratch, out: out + t * outStride + i * gd + j * hd)
            }
        }
    }
}
