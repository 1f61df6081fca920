import HeadwayEngine
import HeadwayGGUF

/// Small llama models as GGUF bytes (made with `GGUFWriter`): complete enough for the loader, the tokenizer and the
/// chat template, small enough (a few KB) for the fuzzer to mutate usefully. Weights are a fixed pseudo-random pattern.
enum FuzzModels {
    /// One layer, `modelDim` 32 and FFN 32; `headDim` 32 gives one head (Q8_0 caches possible), 16 gives two query
    /// heads sharing one K/V head.
    static func tiny(headDim: Int) -> [UInt8] {
        let (dim, ffn, heads, kvHeads) = (32, 32, 32 / headDim, 1)
        let a = "llama"
        var w = GGUFWriter()
        w.add(GGUFKey.architecture, .string(a))
        w.add(GGUFKey.blockCount(a), .uint32(1))
        w.add(GGUFKey.contextLength(a), .uint32(64))
        w.add(GGUFKey.embeddingLength(a), .uint32(UInt32(dim)))
        w.add(GGUFKey.feedForwardLength(a), .uint32(UInt32(ffn)))
        w.add(GGUFKey.headCount(a), .uint32(UInt32(heads)))
        w.add(GGUFKey.headCountKV(a), .uint32(UInt32(kvHeads)))
        w.add(GGUFKey.ropeFreqBase(a), .float32(10000))
        w.add(GGUFKey.rmsNormEpsilon(a), .float32(1e-5))
        let tokens = vocabulary
        w.add(GGUFKey.tokenizerModel, .string("gpt2"))
        w.add(GGUFKey.tokenizerPre, .string("smollm"))
        w.add(GGUFKey.tokens, .array(GGUFArray(tokens.map { GGUFValue.string($0) })))
        w.add(GGUFKey.tokenTypes, .array(GGUFArray(tokens.map { GGUFValue.int32($0.hasPrefix("<|") ? 3 : 1) })))
        w.add(GGUFKey.merges, .array(GGUFArray(["h e", "Ġ t", "Ġt he"].map { GGUFValue.string($0) })))
        w.add(GGUFKey.bosTokenID, .uint32(1))
        w.add(GGUFKey.eosTokenID, .uint32(2))
        w.add(GGUFKey.addBOS, .bool(false))
        w.add(GGUFKey.chatTemplate, .string(
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nBe brief.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"))
        var seed: UInt32 = 1
        func values(_ n: Int, scale: Float) -> [Float] {
            (0..<n).map { _ in
                seed = seed &* 1_664_525 &+ 1_013_904_223
                return (Float(seed >> 8) / Float(1 << 24) - 0.5) * scale
            }
        }
        func matrix(_ name: String, rows: Int, cols: Int, type: WeightType) {
            let ggml: GGMLType = type == .q8_0 ? .q8_0 : .q4_0
            w.addTensor(name, type: ggml, dimensions: [cols, rows],
                        bytes: Quantize.matrix(values(rows * cols, scale: 0.5), rows: rows, cols: cols, as: type))
        }
        matrix(TensorName.tokenEmbedding, rows: tokens.count, cols: dim, type: .q8_0)
        w.addTensor(TensorName.attentionNorm(0), float32: [Float](repeating: 1, count: dim), dimensions: [dim])
        matrix(TensorName.attentionQuery(0), rows: heads * headDim, cols: dim, type: .q4_0)
        matrix(TensorName.attentionKey(0), rows: kvHeads * headDim, cols: dim, type: .q4_0)
        matrix(TensorName.attentionValue(0), rows: kvHeads * headDim, cols: dim, type: .q4_0)
        matrix(TensorName.attentionOutput(0), rows: dim, cols: heads * headDim, type: .q4_0)
        w.addTensor(TensorName.ffnNorm(0), float32: [Float](repeating: 1, count: dim), dimensions: [dim])
        matrix(TensorName.ffnGate(0), rows: ffn, cols: dim, type: .q4_0)
        matrix(TensorName.ffnUp(0), rows: ffn, cols: dim, type: .q4_0)
        matrix(TensorName.ffnDown(0), rows: dim, cols: ffn, type: .q4_0)
        w.addTensor(TensorName.outputNorm, float32: [Float](repeating: 1, count: dim), dimensions: [dim])
        return w.serialize()
    }

    /// Special tokens, the byte-level letters of lowercase ASCII and space (`Ġ`), and the merges' results.
    static let vocabulary: [String] =
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "Ġ"] + (UInt8(ascii: "a")...UInt8(ascii: "z")).map {
            String(UnicodeScalar($0))
        } + ["he", "Ġt", "Ġthe"]
}
