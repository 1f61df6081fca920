import HeadwayCore
import HeadwayGGUF
import Testing
import HeadwayTestSupport

/// Reads the real SmolLM2-135M-Instruct Q4_1 file. Expected values were cross-checked with gguf-py 0.19.0 (`GGUFReader`).
@Suite(.enabled(if: TestModel.isEnabled))
struct GGUFRealModelTests {
    static let file: Result<GGUFFile, any Error> = Result { try GGUFFile(path: try TestModel.requiredPath()) }

    @Test func headerAndIndexMatchGGUFPy() throws {
        let f = try Self.file.get()
        #expect(f.version == 3)
        #expect(f.metadataKeys.count == 33)
        #expect(f.metadataKeys.first == "general.architecture")
        #expect(f.tensors.count == 272)
        #expect(f.alignment == 32)
        #expect(f.dataOffset == 1_785_664)
        #expect(f.fileSize == 98_362_432)
        #expect(f.architecture == "llama")
        #expect(f.int("llama.block_count") == 30)
        #expect(f.float("llama.rope.freq_base") == 100_000)
        #expect(f.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(f.string("tokenizer.ggml.pre") == "smollm")
        #expect(f.stringArray("tokenizer.ggml.tokens")?.count == 49152)
        #expect(f.stringArray("tokenizer.ggml.merges")?.count == 48900)
        #expect(f.intArray("tokenizer.ggml.token_type")?.count == 49152)
        #expect(f.stringArray("general.languages") == ["en"])
    }

    @Test func tensorInfosAndBytesMatchGGUFPy() throws {
        let f = try Self.file.get()
        let cases: [(String, GGMLType, [Int], Int, Int, String)] = [
            ("token_embd.weight", .q8_0, [576, 49152], 1_785_664, 30_081_024, "3219d60d13f7e5ee"),
            ("blk.0.attn_norm.weight", .f32, [576], 31_866_688, 2304, "0000653c0000c33c"),
            ("blk.0.ffn_down.weight", .q4_1, [1536, 576], 31_868_992, 552_960, "5530d0b802076531"),
            ("blk.9.attn_v.weight", .q4_1, [576, 192], 98_291_008, 69120, "0d2c60b757579848"),
            ("output_norm.weight", .f32, [576], 98_360_128, 2304, "0000e13f0000e93f"),
        ]
        for (name, type, dims, offset, bytes, head) in cases {
            let t = try #require(f.tensor(named: name), "tensor \(name)")
            #expect(t.type == type, "\(name)")
            #expect(t.dimensions == dims, "\(name)")
            #expect(t.offset == offset, "\(name)")
            #expect(t.byteCount == bytes, "\(name)")
            #expect(t.elementCount == dims.reduce(1, *), "\(name)")
            let hex = f.withTensorBytes(t) { raw in raw.prefix(8).map { String(format: "%02x", $0) }.joined() }
            #expect(hex == head, "\(name)")
            #expect(f.tensorData(t).count == bytes)
        }
        #expect(f.tensor(named: "output.weight") == nil)
        let q41 = f.tensors.filter { $0.type == .q4_1 }.count
        let f32 = f.tensors.filter { $0.type == .f32 }.count
        #expect(q41 == 210 && f32 == 61)
    }

    @Test func modelShapeMatchesSmolLM2Preset() throws {
        let s = try ModelShape(gguf: try Self.file.get())
        let p = ModelShape.smolLM2_135M
        #expect(s.layerCount == 30 && s.layerCount == p.layerCount)
        #expect(s.modelDim == 576 && s.modelDim == p.modelDim)
        #expect(s.headCount == 9 && s.headCount == p.headCount)
        #expect(s.kvHeadCount == 3 && s.kvHeadCount == p.kvHeadCount)
        #expect(s.headDim == 64 && s.headDim == p.headDim)
        #expect(s.ffnDim == 1536 && s.ffnDim == p.ffnDim)
        #expect(s.vocabSize == 49152 && s.vocabSize == p.vocabSize)
        #expect(s.gatedFFN && s.tiedEmbeddings == p.tiedEmbeddings && s.tiedEmbeddings)
        #expect(s.attentionWeightBytes == 0.625 && s.attentionWeightBytes == p.attentionWeightBytes)
        #expect(s.projectionWeightBytes == p.projectionWeightBytes)
        #expect(s.ffnWeightBytes == p.ffnWeightBytes)
        #expect(s.embeddingBytes == 1.0625 && s.embeddingBytes == p.embeddingBytes)
        #expect(s.lmHeadBytes == p.lmHeadBytes)
        #expect(s.kvCacheBytes == p.kvCacheBytes && s.activationBytes == p.activationBytes)
    }
}
