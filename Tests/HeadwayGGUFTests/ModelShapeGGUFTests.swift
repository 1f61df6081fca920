import HeadwayCore
import HeadwayGGUF
import Testing

/// `ModelShape(gguf:)` on tiny synthetic files (the real model is checked in `GGUFRealModelTests`).
@Suite struct ModelShapeGGUFTests {
    /// A 2-layer llama header with zero-filled weights of the given types.
    static func tinyLlama(
        attention: GGMLType = .q4_0, ffn: GGMLType = .q8_0, embedding: GGMLType = .f16, output: GGMLType? = .f32,
        omit: Set<String> = []
    ) -> GGUFWriter {
        var w = GGUFWriter()
        let meta: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.name", .string("tiny")),
            ("llama.block_count", .uint32(2)), ("llama.embedding_length", .uint32(64)),
            ("llama.attention.head_count", .uint32(4)), ("llama.attention.head_count_kv", .uint32(2)),
            ("llama.feed_forward_length", .uint32(128)), ("llama.vocab_size", .uint32(96)),
        ]
        for (k, v) in meta where !omit.contains(k) { w.add(k, v) }
        func add(_ name: String, _ type: GGMLType, _ dims: [Int]) {
            guard !omit.contains(name) else { return }
            let bytes = [UInt8](repeating: 0, count: dims.reduce(1, *) / type.blockSize * type.typeSize)
            w.addTensor(name, type: type, dimensions: dims, bytes: bytes)
        }
        add(TensorName.tokenEmbedding, embedding, [64, 96])
        for l in 0..<2 {
            add(TensorName.attentionQuery(l), attention, [64, 64])
            add(TensorName.attentionKey(l), attention, [64, 32])
            add(TensorName.attentionValue(l), attention, [64, 32])
            add(TensorName.attentionOutput(l), .f16, [64, 64])
            add(TensorName.ffnGate(l), ffn, [64, 128])
            add(TensorName.ffnUp(l), ffn, [64, 128])
            add(TensorName.ffnDown(l), ffn, [128, 64])
        }
        if let output { add(TensorName.output, output, [64, 96]) }
        return w
    }

    @Test func readsDimensionsAndPerKindPrecision() throws {
        let s = try ModelShape(gguf: GGUFFile(bytes: Self.tinyLlama().serialize(), name: "tiny.gguf"))
        #expect(s.name == "tiny")
        #expect(s.layerCount == 2 && s.modelDim == 64 && s.headCount == 4 && s.kvHeadCount == 2 && s.headDim == 16)
        #expect(s.ffnDim == 128 && s.gatedFFN && s.vocabSize == 96 && !s.tiedEmbeddings)
        #expect(s.attentionWeightBytes == 18.0 / 32 && s.projectionWeightBytes == 2 && s.ffnWeightBytes == 34.0 / 32)
        #expect(s.embeddingBytes == 2 && s.lmHeadBytes == 4)
    }

    @Test func tiedEmbeddingsAndDefaultsWhenKeysAreAbsent() throws {
        let w = Self.tinyLlama(output: nil, omit: ["llama.attention.head_count_kv"])
        let s = try ModelShape(gguf: GGUFFile(bytes: w.serialize()))
        #expect(s.tiedEmbeddings && s.lmHeadBytes == s.embeddingBytes)
        #expect(s.kvHeadCount == 4, "head_count_kv defaults to head_count")
    }

    @Test func mixedLayerTypesAverageBySize() throws {
        var w = Self.tinyLlama(attention: .q4_1)
        w.add("llama.attention.key_length", .uint32(16))
        let s = try ModelShape(gguf: GGUFFile(bytes: w.serialize()))
        #expect(s.attentionWeightBytes == 0.625 && s.headDim == 16)
    }

    @Test(arguments: [
        "llama.block_count", "llama.embedding_length", "llama.attention.head_count", "llama.feed_forward_length",
        "general.architecture",
    ])
    func missingKeyIsNamed(_ key: String) {
        do {
            _ = try ModelShape(gguf: GGUFFile(bytes: Self.tinyLlama(omit: [key]).serialize(), name: "tiny.gguf"))
            Issue.record("expected missingKey for \(key)")
        } catch let e as GGUFError {
            #expect(e.code == .missingKey && e.message.contains("'\(key)'") && e.message.contains("tiny.gguf"), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func missingVocabularyAndInconsistentHeadsAreErrors() throws {
        // Without tokenizer.ggml.tokens and vocab_size, the embedding table's rows give the vocabulary.
        let s = try ModelShape(gguf: GGUFFile(bytes: Self.tinyLlama(omit: ["llama.vocab_size"]).serialize()))
        #expect(s.vocabSize == 96)
        do {
            _ = try ModelShape(gguf: GGUFFile(bytes: Self.tinyLlama(omit: ["llama.vocab_size", TensorName.tokenEmbedding]).serialize()))
            Issue.record("expected missingTensor")
        } catch let e as GGUFError {
            #expect(
                e.code == .missingTensor && e.message.contains(TensorName.tokenEmbedding)
                    && e.message.contains("tokenizer.ggml.tokens") && e.message.contains("llama.vocab_size"), "\(e)")
        }
        var w = Self.tinyLlama(omit: ["llama.attention.head_count_kv"])
        w.add("llama.attention.head_count_kv", .uint32(3))
        do {
            _ = try ModelShape(gguf: GGUFFile(bytes: w.serialize(), name: "tiny.gguf"))
            Issue.record("expected invalidValue")
        } catch let e as GGUFError {
            #expect(e.code == .invalidValue && e.message.contains("tiny.gguf") && e.message.contains("head_count_kv 3"), "\(e)")
        }
        // Zero or negative dimensions and more layers than tensors name the key and the value.
        for (key, value, mention) in [("llama.embedding_length", 0, "= 0"), ("llama.block_count", 0, "= 0"),
                                      ("llama.block_count", 500, "500 layers")] {
            var w = Self.tinyLlama(omit: [key])
            w.add(key, .uint32(UInt32(value)))
            do {
                _ = try ModelShape(gguf: GGUFFile(bytes: w.serialize(), name: "tiny.gguf"))
                Issue.record("expected invalidValue for \(key) = \(value)")
            } catch let e as GGUFError {
                #expect(e.code == .invalidValue && e.message.contains("tiny.gguf") && e.message.contains("'\(key)'")
                        && e.message.contains(mention), "\(e)")
            }
        }
    }
}
