import Foundation
import HeadwayCore
import Testing

@Suite struct ModelShapeTests {
    @Test func smolLM2PresetHasGroupedQueryShape() throws {
        let m = ModelShape.smolLM2_135M
        try m.validate()
        #expect(m.queriesPerGroup == 3)
        #expect(BlockLayout(shape: m).count == 30 * (3 + 2))
    }

    @Test func huggingFaceConfigParses() throws {
        let json = """
            {"num_hidden_layers": 16, "hidden_size": 2048, "num_attention_heads": 32, "num_key_value_heads": 8,
             "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
             "hidden_act": "silu", "model_type": "llama"}
            """
        let m = try ModelShape(huggingFaceConfig: Data(json.utf8))
        #expect(m.layerCount == 16 && m.kvHeadCount == 8 && m.headDim == 64 && m.attentionWeightBytes == 2)
    }

    @Test func huggingFaceConfigRejectsIndivisibleHeads() {
        let json = """
            {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 6, "num_key_value_heads": 4,
             "intermediate_size": 128, "vocab_size": 100}
            """
        #expect(throws: CoreError.self) { try ModelShape(huggingFaceConfig: Data(json.utf8), source: "bad.json") }
        do { _ = try ModelShape(huggingFaceConfig: Data(json.utf8), source: "bad.json") } catch let e as CoreError {
            #expect(e.message.contains("bad.json") && e.message.contains("6") && e.message.contains("4"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
