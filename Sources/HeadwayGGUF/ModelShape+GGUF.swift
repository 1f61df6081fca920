import HeadwayCore

extension ModelShape {
    /// Reads a model's shape from a GGUF header (metadata and tensor index only; no weight data is touched).
    ///
    /// Keys (for `arch = general.architecture`): `{arch}.block_count`, `.embedding_length`, `.attention.head_count`,
    /// `.attention.head_count_kv` (default: head_count), `.feed_forward_length`, `.attention.key_length`
    /// (default: embedding_length / head_count). The vocabulary size is the length of `tokenizer.ggml.tokens`, else
    /// `{arch}.vocab_size`. Embeddings are tied when there is no `output.weight`. Bytes per element come from each
    /// tensor's actual GGML type (a size-weighted average over all layers): attention = `attn_q/k/v`, projection =
    /// `attn_output`, FFN = `ffn_gate/up/down`, embedding = `token_embd`, LM head = `output` or else the embedding's.
    /// - Throws: `GGUFError` naming the missing key or tensor, or the inconsistent value.
    public init(gguf file: GGUFFile) throws {
        let arch = try file.requiredString(GGUFKey.architecture)
        let layers = try file.requiredInt(GGUFKey.blockCount(arch))
        let dim = try file.requiredInt(GGUFKey.embeddingLength(arch))
        let heads = try file.requiredInt(GGUFKey.headCount(arch))
        let kvHeads =
            try file.metadata[GGUFKey.headCountKV(arch)] == nil
            ? heads : file.requiredInt(GGUFKey.headCountKV(arch))
        let ffn = try file.requiredInt(GGUFKey.feedForwardLength(arch))
        guard heads > 0 else {
            throw GGUFError(
                .invalidValue, "\(file.name): metadata '\(GGUFKey.headCount(arch))' = \(heads) must be positive")
        }
        let headDim =
            try file.metadata[GGUFKey.keyLength(arch)] == nil
            ? dim / heads : file.requiredInt(GGUFKey.keyLength(arch))

        let vocab: Int
        if file.metadata[GGUFKey.tokens] != nil {
            vocab = try file.requiredStringTable(GGUFKey.tokens).count
        } else if file.metadata[GGUFKey.vocabSize(arch)] != nil {
            vocab = try file.requiredInt(GGUFKey.vocabSize(arch))
        } else {
            throw GGUFError(
                .missingKey,
                "\(file.name): vocabulary size unknown: neither '\(GGUFKey.tokens)' nor '\(GGUFKey.vocabSize(arch))' is present"
            )
        }

        let output = file.tensor(named: TensorName.output)
        let gated = file.tensors.contains { $0.name.hasPrefix("blk.") && $0.name.hasSuffix(".ffn_gate.weight") }

        self.init(
            name: file.string(GGUFKey.name) ?? file.name, layerCount: layers, modelDim: dim, headCount: heads,
            kvHeadCount: kvHeads, headDim: headDim, ffnDim: ffn, gatedFFN: gated, vocabSize: vocab,
            tiedEmbeddings: output == nil)

        attentionWeightBytes = try Self.bytesPerElement(file, layerTensors: ["attn_q", "attn_k", "attn_v"])
        projectionWeightBytes = try Self.bytesPerElement(file, layerTensors: ["attn_output"])
        ffnWeightBytes = try Self.bytesPerElement(
            file, layerTensors: gated ? ["ffn_gate", "ffn_up", "ffn_down"] : ["ffn_up", "ffn_down"])
        embeddingBytes = try file.requiredTensor(named: TensorName.tokenEmbedding).type.bytesPerElement
        lmHeadBytes = output?.type.bytesPerElement ?? embeddingBytes

        do {
            try validate(source: file.name)
        } catch let e as CoreError {
            throw GGUFError(.invalidValue, e.message)
        }
    }

    /// Size-weighted bytes per element over all `blk.N.<kind>.weight` tensors of the given kinds.
    private static func bytesPerElement(_ file: GGUFFile, layerTensors kinds: [String]) throws -> BytesPerElement {
        let suffixes = kinds.map { ".\($0).weight" }
        var bytes = 0.0
        var elements = 0.0
        for t in file.tensors where t.name.hasPrefix("blk.") && suffixes.contains(where: { t.name.hasSuffix($0) }) {
            bytes += Double(t.byteCount)
            elements += Double(t.elementCount)
        }
        guard elements > 0 else {
            throw GGUFError(
                .missingTensor,
                "\(file.name): no '\(kinds.map { "blk.N.\($0).weight" }.joined(separator: "/"))' tensors found")
        }
        return bytes / elements
    }
}
