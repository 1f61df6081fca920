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

    /// - Parameter rope: a table shared with the session's other blocks (made here when `nil`).
    public init(
        layer: Int, group: Int, weights: LlamaLayerWeights, configuration c: LlamaConfiguration, capacity: Int,
        rope: RopeTable? = nil
    ) {
        self.layer = layer
        self.group = group
        configuration = c
        norm = weights.attentionNorm
        wq = weights.wq.rows((group * c.groupDim)..<((group + 1) * c.groupDim))
        wk = weights.wk.rows((group * c.headDim)..<((group + 1) * c.headDim))
        wv = weights.wv.rows((group * c.headDim)..<((group + 1) * c.headDim))
        cache = KVCache(headDim: c.headDim, capacity: capacity)
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
        cache.keys.withUnsafeBufferPointer { keys in
            cache.values.withUnsafeBufferPointer { values in
                let kp = UnsafeRawPointer(keys.baseAddress!), vp = UnsafeRawPointer(values.baseAddress!)
                pool.perform { part, parts in
                    for item in WorkerPool.split(n * qpg, part: part, parts: parts) {
                        let (t, h) = item.quotientAndRemainder(dividingBy: qpg)
                        Self.attend(
                            query: q + t * gd + h * hd, keys: kp, values: vp, length: start + t + 1, headDim: hd,
                            scores: scores + part * capacity, out: out + t * outStride + h * hd)
                    }
                }
            }
        }
    }

    /// One head at one position: softmax(q · Kᵀ / √headDim) · V over `length` cached positions.
    /// Rounding follows llama.cpp's CPU attention (no flash attention), whose results the model is sensitive to:
    /// q arrives rounded to F16 (the K cache's type), the softmax runs in F32, and the probabilities are rounded to
    /// F16 before they weight the F16 values.
    @inline(__always)
    static func attend(
        query: UnsafePointer<Float>, keys: UnsafeRawPointer, values: UnsafeRawPointer, length: Int, headDim hd: Int,
        scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(hd).squareRoot()
        let qr = UnsafeRawPointer(query)
        for j in 0..<length { scores[j] = Kernels.dotF16(keys + 2 * j * hd, qr, count: hd) * scale }
        Kernels.softmax(scores, count: length)
        Kernels.roundToHalf(scores, count: length)
        // out = Σ_j p_j · V_j, walking the cache rows in memory order.
        let o = UnsafeMutableRawPointer(out)
        let vectors = hd / 16
        for i in 0..<hd { out[i] = 0 }
        for j in 0..<length {
            let pj = SIMD16<Float>(repeating: scores[j])
            let row = values + 2 * j * hd
            for c in 0..<vectors {
                var acc = o.loadUnaligned(fromByteOffset: 64 * c, as: SIMD16<Float>.self)
                acc.addProduct(pj, Lanes.float(row.loadUnaligned(fromByteOffset: 32 * c, as: SIMD16<Float16>.self)))
                o.storeBytes(of: acc, toByteOffset: 64 * c, as: SIMD16<Float>.self)
            }
            for i in (16 * vectors)..<hd { out[i] += scores[j] * Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) }
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
