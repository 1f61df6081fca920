public import HeadwayCore

/// One layer's attention output projection and residual add: `residual += Wo · heads`.
/// In: the concatenated head outputs of all groups (`n × queryDim`) and the residual stream (`n × modelDim`).
/// Out: the updated residual stream.
public struct ProjectionBlock: Sendable {
    public let layer: Int
    public let configuration: LlamaConfiguration
    let wo: WeightMatrix

    public init(layer: Int, weights: LlamaLayerWeights, configuration: LlamaConfiguration) {
        self.layer = layer
        self.configuration = configuration
        wo = weights.wo
    }

    /// The block's identity in the planner's terms.
    public var block: Block { Block(layer: layer, kind: .projection) }

    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int) -> Int {
        n * c.modelDim + Q8Activations.floatCount(tokens: n, cols: c.queryDim)
    }

    /// `residual[t] += Wo · heads[t]` for `n` tokens, in place.
    /// - Parameter quantizedHeads: the head outputs already quantized (`Q8Rows`, `n × queryDim`), used in place of
    ///   quantizing `heads` (only when `takesQuantizedHeads`); `heads` is then not read.
    public func forward(
        heads: UnsafePointer<Float>, residual: UnsafeMutablePointer<Float>, tokens n: Int,
        scratch: UnsafeMutablePointer<Float>, pool: WorkerPool, quantizedHeads: UnsafeRawPointer? = nil
    ) {
        let xq = Q8Activations(carving: scratch + n * configuration.modelDim, tokens: n, cols: configuration.queryDim)
        if let quantizedHeads {
            precondition(takesQuantizedHeads, "L\(layer).projection needs the F32 heads")
            Q8Rows.unpack(quantizedHeads, into: xq)
        } else {
            Kernels.quantizeActivations(heads, into: xq)
        }
        Kernels.matMulQ8(wo, heads, xq, n: n, scratch, pool: pool)
        Kernels.add(scratch, into: residual, count: n * configuration.modelDim)
    }

    /// Plain-vector form: head outputs `n × queryDim` and residual `n × modelDim` in, new residual out.
    public func callAsFunction(heads: [Float], residual: [Float], pool: WorkerPool = .serial) -> [Float] {
        let n = residual.count / configuration.modelDim
        precondition(heads.count == n * configuration.queryDim, "heads length \(heads.count) ≠ \(n) × \(configuration.queryDim)")
        var out = residual
        var scratch = [Float](repeating: 0, count: Self.scratchCount(configuration, tokens: n))
        forward(heads: heads, residual: &out, tokens: n, scratch: &scratch, pool: pool)
        return out
    }
}
