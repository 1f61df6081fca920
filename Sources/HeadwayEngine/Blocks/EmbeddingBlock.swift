/// Token embedding lookup: one row of `token_embd` (dequantized) per token. Out: the residual stream `n × modelDim`.
public struct EmbeddingBlock: Sendable {
    public let configuration: LlamaConfiguration
    let table: WeightMatrix

    public init(weights: LlamaWeights, configuration: LlamaConfiguration) {
        self.configuration = configuration
        table = weights.tokenEmbedding
    }

    /// Writes the embeddings of `tokens` to `out` (`tokens.count × modelDim`).
    /// - Throws: `EngineError.Code.invalidArgument` for a token id outside the vocabulary.
    public func forward(_ tokens: UnsafeBufferPointer<Int32>, out: UnsafeMutablePointer<Float>) throws(EngineError) {
        for (t, token) in tokens.enumerated() {
            guard token >= 0 && Int(token) < table.rows else {
                throw EngineError(.invalidArgument, "token id \(token) is outside the vocabulary 0..<\(table.rows)")
            }
            Kernels.dequantizeRow(table.type, table.row(Int(token)), count: table.cols, into: out + t * table.cols)
        }
    }

    /// Plain-vector form: token ids in, residual stream out.
    public func callAsFunction(_ tokens: [Int32]) throws(EngineError) -> [Float] {
        var out = [Float](repeating: 0, count: tokens.count * table.cols)
        try tokens.withUnsafeBufferPointer { (t) throws(EngineError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(EngineError) in try forward(t, out: o.baseAddress!) }
        }
        return out
    }
}
