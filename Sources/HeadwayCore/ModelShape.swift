/// Storage precision of one kind of tensor, in bytes per element (fractional for block-quantized types:
/// Q4_1 stores 32 weights in 20 bytes = 0.625 B/weight, Q8_0 32 in 34 = 1.0625 B/weight).
public typealias BytesPerElement = Double

/// The shape of a decoder-only transformer, as the cost models need it: dimensions and storage precisions.
/// Built from a GGUF header (`HeadwayGGUF`), a Hugging Face `config.json`, or a named preset.
public struct ModelShape: Hashable, Sendable, Codable {
    public var name: String
    /// Decoder layers (L). The paper's setting is L = 1.
    public var layerCount: Int
    /// Width of the residual stream (d_model).
    public var modelDim: Int
    /// Query heads per layer.
    public var headCount: Int
    /// K/V heads per layer (= headCount for multi-head attention; fewer for grouped-query attention).
    public var kvHeadCount: Int
    /// Width of one head (usually modelDim / headCount).
    public var headDim: Int
    /// Hidden width of the feed-forward network.
    public var ffnDim: Int
    /// Whether the FFN is gated (SwiGLU: gate, up, down = 3 matrices) or plain (up, down = 2 matrices).
    public var gatedFFN: Bool
    public var vocabSize: Int
    /// Whether the LM head reuses the embedding table.
    public var tiedEmbeddings: Bool
    /// Storage precision of the attention weights (Wq, Wk, Wv, Wo), the FFN weights, the embedding table and the LM head.
    public var attentionWeightBytes: BytesPerElement
    public var projectionWeightBytes: BytesPerElement
    public var ffnWeightBytes: BytesPerElement
    public var embeddingBytes: BytesPerElement
    public var lmHeadBytes: BytesPerElement
    /// Precision of K/V cache entries (llama.cpp keeps them in F16 by default).
    public var kvCacheBytes: BytesPerElement
    /// Precision of activations exchanged between blocks (F32).
    public var activationBytes: BytesPerElement

    public init(
        name: String, layerCount: Int, modelDim: Int, headCount: Int, kvHeadCount: Int, headDim: Int? = nil,
        ffnDim: Int, gatedFFN: Bool = true, vocabSize: Int, tiedEmbeddings: Bool = false,
        weightBytes: BytesPerElement = 2, kvCacheBytes: BytesPerElement = 2, activationBytes: BytesPerElement = 4
    ) {
        self.name = name
        self.layerCount = layerCount
        self.modelDim = modelDim
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? modelDim / headCount : 0)
        self.ffnDim = ffnDim
        self.gatedFFN = gatedFFN
        self.vocabSize = vocabSize
        self.tiedEmbeddings = tiedEmbeddings
        self.attentionWeightBytes = weightBytes
        self.projectionWeightBytes = weightBytes
        self.ffnWeightBytes = weightBytes
        self.embeddingBytes = weightBytes
        self.lmHeadBytes = weightBytes
        self.kvCacheBytes = kvCacheBytes
        self.activationBytes = activationBytes
    }

    /// Query heads that share one K/V head.
    public var queriesPerGroup: Int { headCount / max(kvHeadCount, 1) }

    /// The largest values `validate` accepts (the largest published models use ~130 layers, 16,384-wide residual
    /// streams, 128 heads of 128 and vocabularies of ~260,000).
    public static let limits = (layers: 1024, width: 1 << 20, heads: 4096, headDim: 1 << 16, vocabulary: 1 << 24)

    /// Checks the invariants every cost model relies on. `source` names the file or preset for the message.
    public func validate(source: String = "model") throws {
        func positive(_ v: Int, _ field: String) throws {
            guard v > 0 else { throw CoreError(.invalidValue, "\(source): field '\(field)' must be positive, got \(v)") }
        }
        try positive(layerCount, "layers")
        try positive(modelDim, "model_dim")
        try positive(headCount, "heads")
        try positive(kvHeadCount, "kv_heads")
        try positive(headDim, "head_dim")
        try positive(ffnDim, "ffn_dim")
        try positive(vocabSize, "vocab_size")
        // Upper limits, well past any published model, so that block counts and sizes stay bounded.
        for (field, v, limit) in [("layers", layerCount, Self.limits.layers), ("model_dim", modelDim, Self.limits.width),
                                  ("heads", headCount, Self.limits.heads), ("kv_heads", kvHeadCount, Self.limits.heads),
                                  ("head_dim", headDim, Self.limits.headDim), ("ffn_dim", ffnDim, Self.limits.width),
                                  ("vocab_size", vocabSize, Self.limits.vocabulary)] where v > limit {
            throw CoreError(.invalidValue, "\(source): field '\(field)' must be <= \(limit), got \(v)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw CoreError(.inconsistent,
                "\(source): heads (\(headCount)) is not divisible by kv_heads (\(kvHeadCount))")
        }
        for (field, v) in [("attention_weight_bytes", attentionWeightBytes), ("ffn_weight_bytes", ffnWeightBytes),
                           ("kv_cache_bytes", kvCacheBytes), ("activation_bytes", activationBytes)] {
            guard v > 0, v.isFinite else { throw CoreError(.invalidValue, "\(source): field '\(field)' must be positive, got \(v)") }
        }
    }

    // MARK: Parameter counts (elements)

    /// Wq rows of one KV group (its query heads) plus that group's Wk and Wv.
    public var attentionGroupWeightCount: Double {
        Double(modelDim) * Double(headDim) * Double(queriesPerGroup + 2)
    }
    /// Wo: (headCount·headDim) → modelDim.
    public var projectionWeightCount: Double { Double(headCount * headDim) * Double(modelDim) }
    public var ffnWeightCount: Double { Double(gatedFFN ? 3 : 2) * Double(modelDim) * Double(ffnDim) }
    public var embeddingWeightCount: Double { Double(vocabSize) * Double(modelDim) }
}
