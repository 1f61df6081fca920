/// Final RMSNorm and the output projection to vocabulary logits (`output.weight`, or the tied `token_embd`).
/// In: the residual stream (`n × modelDim`). Out: logits (`n × vocabSize`).
public struct LMHeadBlock: Sendable {
    public let configuration: LlamaConfiguration
    let norm: [Float]
    let output: WeightMatrix

    public init(weights: LlamaWeights, configuration: LlamaConfiguration) {
        self.configuration = configuration
        norm = weights.outputNorm
        output = weights.output
    }

    public static func scratchCount(_ c: LlamaConfiguration, tokens n: Int) -> Int {
        n * c.modelDim + Q8Activations.floatCount(tokens: n, cols: c.modelDim)
    }

    public func forward(
        _ x: UnsafePointer<Float>, tokens n: Int, logits: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        pool: WorkerPool
    ) {
        let c = configuration
        norm.withUnsafeBufferPointer { w in
            for t in 0..<n {
                Kernels.rmsNorm(x + t * c.modelDim, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: c.modelDim,
                                into: scratch + t * c.modelDim)
            }
        }
        let xq = Q8Activations(carving: scratch + n * c.modelDim, tokens: n, cols: c.modelDim)
        Kernels.quantizeActivations(scratch, into: xq)
        Kernels.matMulQ8(output, scratch, xq, n: n, logits, pool: pool)
    }

    /// Plain-vector form: residual `n × modelDim` in, logits `n × vocabSize` out.
    public func callAsFunction(_ residual: [Float], pool: WorkerPool = .serial) -> [Float] {
        let n = residual.count / configuration.modelDim
        var logits = [Float](repeating: 0, count: n * output.rows)
        var scratch = [Float](repeating: 0, count: Self.scratchCount(configuration, tokens: n))
        forward(residual, tokens: n, logits: &logits, scratch: &scratch, pool: pool)
        return logits
    }
}
