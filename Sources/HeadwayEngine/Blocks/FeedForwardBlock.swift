public import HeadwayCore

/// One layer's feed-forward network with its norm and residual add:
/// `residual += down · (silu(gate · x̂) ⊙ (up · x̂))`, `x̂ = RMSNorm(residual)`.
/// In and out: the residual stream (`n × modelDim`).
public struct FeedForwardBlock: Sendable {
    public let layer: Int
    public let configuration: LlamaConfiguration
    let norm: [Float]
    let gate, up, down: WeightMatrix

    public init(layer: Int, weights: LlamaLayerWeights, configuration: LlamaConfiguration) {
        self.layer = layer
        self.configuration = configuration
        norm = weights.ffnNorm
        gate = weights.gate
        up = weights.up
        down = weights.down
    }

    /// The block's identity in the planner's terms.
    public var block: Block { Block(layer: layer, kind: .feedForward) }

    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int) -> Int {
        n * (2 * c.modelDim + 2 * c.ffnDim) + Q8Activations.floatCount(tokens: n, cols: max(c.modelDim, c.ffnDim))
    }

    /// Updates `residual` (`n × modelDim`) in place.
    public func forward(
        residual: UnsafeMutablePointer<Float>, tokens n: Int, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let c = configuration
        let xn = scratch
        let g = xn + n * c.modelDim
        let u = g + n * c.ffnDim
        let o = u + n * c.ffnDim
        let xq = Q8Activations(carving: o + n * c.modelDim, tokens: n, cols: c.modelDim)
        let hq = Q8Activations(carving: o + n * c.modelDim, tokens: n, cols: c.ffnDim)
        norm.withUnsafeBufferPointer { w in
            for t in 0..<n {
                Kernels.rmsNorm(residual + t * c.modelDim, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: c.modelDim,
                                into: xn + t * c.modelDim)
            }
        }
        Kernels.quantizeActivations(xn, into: xq)
        let (gate, up) = (self.gate, self.up)
        pool.perform(chunks: pool.chunksFor(rows: gate.rows)) { part, parts in
            let rows = WorkerPool.split(gate.rows, part: part, parts: parts)
            Kernels.matMulQ8(gate, xn, xq, n: n, g, rows: rows)
            Kernels.matMulQ8(up, xn, xq, n: n, u, rows: rows)
            // Each part gates exactly the hidden units it computed (columns `rows` of every token).
            for t in 0..<n { Kernels.swiGLU(g + t * c.ffnDim + rows.lowerBound, u + t * c.ffnDim + rows.lowerBound, count: rows.count) }
        }
        Kernels.quantizeActivations(g, into: hq)
        Kernels.matMulQ8(down, g, hq, n: n, o, pool: pool)
        Kernels.add(o, into: residual, count: n * c.modelDim)
    }

    /// Plain-vector form: residual `n × modelDim` in, new residual out.
    public func callAsFunction(_ residual: [Float], pool: WorkerPool = .serial) -> [Float] {
        let n = residual.count / configuration.modelDim
        var out = residual
        var scratch = [Float](repeating: 0, count: Self.scratchCount(configuration, tokens: n))
        forward(residual: &out, tokens: n, scratch: &scratch, pool: pool)
        return out
    }
}
