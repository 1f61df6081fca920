import HeadwayCore

extension ModelShape {
    /// Reads a model's shape from a GGUF header (metadata and tensor index only; no weight data is touched). This is
    /// the one reader of the shape keys: the engine's `LlamaConfiguration` derives its dimensions from it.
    ///
    /// Keys (for `arch = general.architecture`): `{arch}.block_count`, `.embedding_length`, `.attention.head_count`,
    /// `.attention.head_count_kv` (default: head_count), `.feed_forward_length`, `.attention.key_length`
    /// (default: embedding_length / head_count), each a positive integer. The vocabulary size is the length of
    /// `tokenizer.ggml.tokens`, else `{arch}.vocab_size`, else the row count of `token_embd.weight`. Embeddings are
    /// tied when there is no `output.weight`. Bytes per element come from each tensor's actual GGML type (a
    /// size-weighted average over all layers): attention = `attn_q/k/v`, projection = `attn_output`, FFN =
    /// `ffn_gate/up/down`, embedding = `token_embd`, LM head = `output` or else the embedding's.
    /// - Throws: `GGUFError` naming the file, the missing key or tensor, or the key and its inconsistent value.
    public init(gguf file: GGUFFile) throws {
        let name = file.name
        let arch = try file.requiredString(GGUFKey.architecture)
        func positive(_ key: String, default value: Int? = nil) throws -> Int {
            let v = try file.metadata[key] == nil && value != nil ? value! : file.requiredInt(key)
            guard v > 0 else { throw GGUFError(.invalidValue, "\(name): metadata '\(key)' = \(v) must be positive") }
            return v
        }
        let layers = try positive(GGUFKey.blockCount(arch))
        // Every layer has tensors: a count the tensor index cannot hold is rejected before anything is sized by it.
        guard layers <= file.tensors.count else {
            throw GGUFError(.invalidValue,
                "\(name): metadata '\(GGUFKey.blockCount(arch))' = \(layers) layers, but the file has only \(file.tensors.count) tensors")
        }
        let dim = try positive(GGUFKey.embeddingLength(arch))
        let heads = try positive(GGUFKey.headCount(arch))
        let kvHeads = try positive(GGUFKey.headCountKV(arch), default: heads)
        let ffn = try positive(GGUFKey.feedForwardLength(arch))
        if file.metadata[GGUFKey.keyLength(arch)] == nil && dim < heads {
            throw GGUFError(.invalidValue,
                "\(name): metadata '\(GGUFKey.embeddingLength(arch))' = \(dim) is smaller than '\(GGUFKey.headCount(arch))' = \(heads), so the head dimension (their quotient) would be 0")
        }
        let headDim = try positive(GGUFKey.keyLength(arch), default: dim / heads)
        guard heads % kvHeads == 0 else {
            throw GGUFError(.invalidValue,
                "\(name): metadata '\(GGUFKey.headCount(arch))': head_count \(heads) is not a multiple of head_count_kv \(kvHeads)")
        }

        let vocab: Int
        if file.metadata[GGUFKey.tokens] != nil {
            vocab = try file.requiredStringTable(GGUFKey.tokens).count
        } else if file.metadata[GGUFKey.vocabSize(arch)] != nil {
            vocab = try file.requiredInt(GGUFKey.vocabSize(arch))
        } else if let embedding = file.tensor(named: TensorName.tokenEmbedding) {
            vocab = embedding.rowCount
        } else {
            throw GGUFError(
                .missingTensor,
                "\(name): tensor '\(TensorName.tokenEmbedding)' is missing (and neither '\(GGUFKey.tokens)' nor '\(GGUFKey.vocabSize(arch))' gives the vocabulary size)"
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
