import HeadwayGGUF

/// The weights of one decoder layer. Matrices are views into the mapped file (never dequantized copies);
/// norm vectors are small F32 copies.
public struct LlamaLayerWeights: Sendable {
    public var attentionNorm: [Float]
    /// Wq (queryDim × modelDim), Wk and Wv (kvHeadCount·headDim × modelDim), Wo (modelDim × queryDim).
    public var wq, wk, wv, wo: WeightMatrix
    public var ffnNorm: [Float]
    /// Gate and up (ffnDim × modelDim), down (modelDim × ffnDim).
    public var gate, up, down: WeightMatrix
}

/// All weights of a llama model, loaded from a GGUF file with every tensor's presence, shape and type checked.
///
/// Conventions (llama.cpp):
/// - GGUF dimensions are listed fastest-varying first: a PyTorch (out, in) weight is `[in, out]` here, i.e. a
///   row-major matrix of `out` rows of length `in`.
/// - `general.architecture = llama` uses adjacent-pair ("normal") RoPE on Q and K as stored (no un-permuting).
/// - `output.weight` may be absent: the LM head then reuses `token_embd.weight` (tied embeddings).
public struct LlamaWeights: Sendable {
    public var tokenEmbedding: WeightMatrix
    public var layers: [LlamaLayerWeights]
    public var outputNorm: [Float]
    /// The LM head (vocab × modelDim): `output.weight`, or `token_embd.weight` when tied.
    public var output: WeightMatrix
    public var tiedEmbeddings: Bool

    /// - Throws: `EngineError` (`.missingTensor`, `.wrongTensorShape`, `.unsupportedTensorType`) naming the file and tensor.
    public init(gguf file: GGUFFile, configuration c: LlamaConfiguration) throws(EngineError) {
        try c.checkProducts(source: file.name)
        let loader = TensorLoader(file: file)
        tokenEmbedding = try loader.matrix(TensorName.tokenEmbedding, rows: c.vocabSize, cols: c.modelDim)
        var layers: [LlamaLayerWeights] = []
        // Sized by what the file can hold, not by the configuration alone (a missing layer throws below).
        layers.reserveCapacity(min(c.layerCount, file.tensors.count / LlamaConfiguration.tensorsPerLayer))
        let kvDim = c.kvHeadCount * c.headDim
        for l in 0..<c.layerCount {
            layers.append(LlamaLayerWeights(
                attentionNorm: try loader.vector(TensorName.attentionNorm(l), count: c.modelDim),
                wq: try loader.matrix(TensorName.attentionQuery(l), rows: c.queryDim, cols: c.modelDim),
                wk: try loader.matrix(TensorName.attentionKey(l), rows: kvDim, cols: c.modelDim),
                wv: try loader.matrix(TensorName.attentionValue(l), rows: kvDim, cols: c.modelDim),
                wo: try loader.matrix(TensorName.attentionOutput(l), rows: c.modelDim, cols: c.queryDim),
                ffnNorm: try loader.vector(TensorName.ffnNorm(l), count: c.modelDim),
                gate: try loader.matrix(TensorName.ffnGate(l), rows: c.ffnDim, cols: c.modelDim),
                up: try loader.matrix(TensorName.ffnUp(l), rows: c.ffnDim, cols: c.modelDim),
                down: try loader.matrix(TensorName.ffnDown(l), rows: c.modelDim, cols: c.ffnDim)))
        }
        self.layers = layers
        outputNorm = try loader.vector(TensorName.outputNorm, count: c.modelDim)
        if file.tensor(named: TensorName.output) != nil {
            output = try loader.matrix(TensorName.output, rows: c.vocabSize, cols: c.modelDim)
            tiedEmbeddings = false
        } else {
            output = tokenEmbedding
            tiedEmbeddings = true
        }
    }
}

/// Turns tensor-index entries into checked kernel views.
private struct TensorLoader {
    let file: GGUFFile

    func info(_ name: String, dimensions: [Int]) throws(EngineError) -> GGUFTensorInfo {
        guard let t = file.tensor(named: name) else {
            throw EngineError(.missingTensor, "\(file.name): tensor '\(name)' is missing")
        }
        guard t.dimensions == dimensions else {
            throw EngineError(.wrongTensorShape,
                "\(file.name): tensor '\(name)' has shape \(t.dimensions), expected \(dimensions)")
        }
        return t
    }

    /// A `rows × cols` matrix (GGUF dimensions `[cols, rows]`) in a type the kernels handle.
    func matrix(_ name: String, rows: Int, cols: Int) throws(EngineError) -> WeightMatrix {
        let t = try info(name, dimensions: [cols, rows])
        guard let type = WeightType(t.type), cols % type.blockElements == 0 else {
            throw EngineError(.unsupportedTensorType,
                "\(file.name): tensor '\(name)' has type \(t.type); supported: F32, F16, Q4_0, Q4_1, Q8_0")
        }
        let data = file.tensorData(t)
        return WeightMatrix(type: type, rows: rows, cols: cols, base: data.baseAddress!, owner: file)
    }

    /// A norm weight vector: F32 (or F16, widened).
    func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        let t = try info(name, dimensions: [count])
        let data = file.tensorData(t)
        switch t.type {
        case .f32: return (0..<count).map { data.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        case .f16: return (0..<count).map { Float(data.loadUnaligned(fromByteOffset: 2 * $0, as: Float16.self)) }
        default:
            throw EngineError(.unsupportedTensorType,
                "\(file.name): norm tensor '\(name)' has type \(t.type); supported: F32, F16")
        }
    }
}

extension WeightType {
    /// The kernel format of a GGML type, or `nil` when the kernels do not handle it.
    public init?(_ type: GGMLType) {
        switch type {
        case .f32: self = .f32
        case .f16: self = .f16
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q8_0: self = .q8_0
        default: return nil
        }
    }
}
