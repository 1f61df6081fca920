public import HeadwayCore

/// The weights of one K/V group of one layer's attention: its RMSNorm, its query heads (`queriesPerGroup` row-slices
/// of Wq) and its shared K and V head, with the RoPE table. Immutable and shared: one loaded block serves any number
/// of sequences, each of which keeps its own `KVCache` for the block (the block's state, which is what moves when
/// the block migrates).
///
/// In: residual stream (`n × modelDim`). Out: the group's head outputs (`n × groupDim`), which the layer's
/// `ProjectionBlock` concatenates over groups. `LayerAttention` runs several groups of one layer together.
public struct AttentionBlock: Sendable {
    public let layer: Int
    public let group: Int
    public let configuration: LlamaConfiguration
    let norm: [Float]
    /// Query rows of this group (groupDim × modelDim), key and value rows (headDim × modelDim).
    let wq, wk, wv: WeightMatrix
    let rope: RopeTable

    /// - Parameter rope: a table shared with the other blocks (made here, for `positions`, when `nil` or too short).
    public init(
        layer: Int, group: Int, weights: LlamaLayerWeights, configuration c: LlamaConfiguration, positions: Int,
        rope: RopeTable? = nil
    ) {
        self.layer = layer
        self.group = group
        configuration = c
        norm = weights.attentionNorm
        wq = weights.wq.rows((group * c.groupDim)..<((group + 1) * c.groupDim))
        wk = weights.wk.rows((group * c.headDim)..<((group + 1) * c.headDim))
        wv = weights.wv.rows((group * c.headDim)..<((group + 1) * c.headDim))
        if let rope, rope.capacity >= positions, rope.headDim == c.headDim, rope.base == c.ropeBase {
            self.rope = rope
        } else {
            self.rope = RopeTable(headDim: c.headDim, base: c.ropeBase, capacity: positions)
        }
    }

    /// The block's identity in the planner's terms.
    public var block: Block { Block(layer: layer, kind: .attention(group: group)) }

    /// Positions the RoPE table covers (the longest context this block can run).
    public var positions: Int { rope.capacity }

    /// An empty K/V cache for this block: `capacity` positions in `format` (`.f16` where the head dimension does not
    /// allow the format, see `KVCacheFormat.supports(headDim:)`).
    public func makeCache(capacity: Int, format: KVCacheFormat = .f16) -> KVCache {
        precondition(capacity <= positions, "a cache of \(capacity) positions exceeds the RoPE table's \(positions)")
        let hd = configuration.headDim
        return KVCache(headDim: hd, capacity: capacity, format: format.supports(headDim: hd) ? format : .f16)
    }

    /// Scratch floats `forward` needs for `n` tokens on a pool of `threads`.
    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int, capacity: Int, threads: Int) -> Int {
        LayerAttention.scratchCount(c, groups: 1, tokens: n, capacity: capacity, threads: threads)
    }

    /// Runs `n` tokens at positions `cache.count ..< cache.count + n`, appending their keys and values to `cache`
    /// (the same numbers as running the block inside a `LayerAttention` with other groups).
    /// - Parameters:
    ///   - x: residual stream, `n × modelDim`.
    ///   - out: head outputs; token `t` goes to `out[t · outStride ..< t · outStride + groupDim]`.
    ///   - scratch: at least `scratchCount(…)` floats.
    public func forward(
        _ x: UnsafePointer<Float>, tokens n: Int, cache: inout KVCache, out: UnsafeMutablePointer<Float>, outStride: Int,
        scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        var view = KVCacheView.empty
        withUnsafePointer(to: self) { block in
            withUnsafeMutablePointer(to: &cache) { c in
                LayerAttention.forward(
                    blocks: UnsafeBufferPointer(start: block, count: 1), caches: c, x, tokens: n, out: out,
                    outStride: outStride, scratch: scratch, views: &view, pool: pool)
            }
        }
    }

    /// Plain-vector form (allocates; for tests): residual stream `n × modelDim` in, head outputs `n × groupDim` out.
    public func callAsFunction(_ residual: [Float], cache: inout KVCache, pool: WorkerPool = .serial) -> [Float] {
        let c = configuration
        let n = residual.count / c.modelDim
        precondition(residual.count == n * c.modelDim, "residual length \(residual.count) is not a multiple of \(c.modelDim)")
        var out = [Float](repeating: 0, count: n * c.groupDim)
        var scratch = [Float](repeating: 0,
            count: Self.scratchCount(c, tokens: n, capacity: cache.capacity, threads: pool.threads))
        forward(residual, tokens: n, cache: &cache, out: &out, outStride: c.groupDim, scratch: &scratch, pool: pool)
        return out
    }
}
