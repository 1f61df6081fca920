import Foundation

/// One K/V group of one layer's attention: RMSNorm of the residual stream, the group's query heads
/// (`queriesPerGroup` rows-slices of Wq) and its shared K and V head, RoPE, causal softmax attention over
/// **its own K/V cache**. In: residual stream (`n × modelDim`). Out: the group's head outputs (`n × groupDim`),
/// which the layer's `ProjectionBlock` concatenates over groups.
public struct AttentionBlock: Sendable {
    public let layer: Int
    public let group: Int
    public let configuration: LlamaConfiguration
    let norm: [Float]
    /// Query rows of this group (groupDim × modelDim), key and value rows (headDim × modelDim).
    let wq, wk, wv: WeightMatrix
    public var cache: KVCache
    let rope: RopeTable

    /// - Parameters:
    ///   - rope: a table shared with the session's other blocks (made here when `nil`).
    ///   - cacheFormat: how the cache stores positions; a format the head dimension does not support
    ///     (`KVCacheFormat.supports(headDim:)`) falls back to `.f16`.
    public init(
        layer: Int, group: Int, weights: LlamaLayerWeights, configuration c: LlamaConfiguration, capacity: Int,
        rope: RopeTable? = nil, cacheFormat: KVCacheFormat = .f16
    ) {
        self.layer = layer
        self.group = group
        configuration = c
        norm = weights.attentionNorm
        wq = weights.wq.rows((group * c.groupDim)..<((group + 1) * c.groupDim))
        wk = weights.wk.rows((group * c.headDim)..<((group + 1) * c.headDim))
        wv = weights.wv.rows((group * c.headDim)..<((group + 1) * c.headDim))
        cache = KVCache(headDim: c.headDim, capacity: capacity,
                        format: cacheFormat.supports(headDim: c.headDim) ? cacheFormat : .f16)
        if let rope, rope.capacity >= capacity, rope.headDim == c.headDim, rope.base == c.ropeBase {
            self.rope = rope
        } else {
            self.rope = RopeTable(headDim: c.headDim, base: c.ropeBase, capacity: capacity)
        }
    }

    /// Positions already in the cache; the next token goes at this position.
    public var position: Int { cache.count }

    /// Scratch floats `forward` needs for `n` tokens on a pool of `threads`.
    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int, capacity: Int, threads: Int) -> Int {
        n * (c.modelDim + c.groupDim + 2 * c.headDim) + threads * capacity
            + Q8Activations.floatCount(tokens: n, cols: c.modelDim)
    }

    /// Runs `n` tokens at positions `position ..< position + n`, appending their keys and values to the cache.
    /// - Parameters:
    ///   - x: residual stream, `n × modelDim`.
    ///   - out: head outputs; token `t` goes to `out[t · outStride ..< t · outStride + groupDim]`.
    ///   - scratch: at least `scratchCount(…)` floats.
    public mutating func forward(
        _ x: UnsafePointer<Float>, tokens n: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let c = configuration
        let (d, hd, gd, qpg) = (c.modelDim, c.headDim, c.groupDim, c.queriesPerGroup)
        precondition(cache.count + n <= cache.capacity, "L\(layer).head_\(group): context of \(cache.capacity) exceeded")
        let xn = scratch
        let q = xn + n * d
        let k = q + n * gd
        let v = k + n * hd
        let scores = v + n * hd
        let xq = Q8Activations(carving: scores + pool.threads * cache.capacity, tokens: n, cols: d)
        norm.withUnsafeBufferPointer { w in
            for t in 0..<n { Kernels.rmsNorm(x + t * d, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: xn + t * d) }
        }
        Kernels.quantizeActivations(xn, into: xq)
        let (wq, wk, wv) = (self.wq, self.wk, self.wv)
        pool.perform { part, parts in
            Kernels.matMulQ8(wq, xn, xq, n: n, q, rows: WorkerPool.split(wq.rows, part: part, parts: parts))
            Kernels.matMulQ8(wk, xn, xq, n: n, k, rows: WorkerPool.split(wk.rows, part: part, parts: parts))
            Kernels.matMulQ8(wv, xn, xq, n: n, v, rows: WorkerPool.split(wv.rows, part: part, parts: parts))
        }
        let start = cache.count
        for t in 0..<n {
            rope.withAngles(start + t) { cos, sin in
                Kernels.rope(q + t * gd, heads: qpg, headDim: hd, cos: cos, sin: sin)
                Kernels.rope(k + t * hd, heads: 1, headDim: hd, cos: cos, sin: sin)
            }
            Kernels.roundToHalf(q + t * gd, count: gd)
            cache.append(key: k + t * hd, value: v + t * hd)
        }
        let capacity = cache.capacity
        // The cache is not mutated again until the job below has finished.
        let view = cache.view()
        pool.perform { part, parts in
            for item in WorkerPool.split(n * qpg, part: part, parts: parts) {
                let (t, h) = item.quotientAndRemainder(dividingBy: qpg)
                view.attend(query: q + t * gd + h * hd, length: start + t + 1, scores: scores + part * capacity,
                            out: out + t * outStride + h * hd)
            }
        }
    }

    /// Plain-vector form (allocates; for moving activations between devices and for tests):
    /// residual stream `n × modelDim` in, head outputs `n × groupDim` out.
    public mutating func callAsFunction(_ residual: [Float], pool: WorkerPool = .serial) -> [Float] {
        let c = configuration
        let n = residual.count / c.modelDim
        precondition(residual.count == n * c.modelDim, "residual length \(residual.count) is not a multiple of \(c.modelDim)")
        var out = [Float](repeating: 0, count: n * c.groupDim)
        var scratch = [Float](repeating: 0,
            count: Self.scratchCount(c, tokens: n, capacity: cache.capacity, threads: pool.threads))
        forward(residual, tokens: n, out: &out, outStride: c.groupDim, scratch: &scratch, pool: pool)
        return out
    }
}
