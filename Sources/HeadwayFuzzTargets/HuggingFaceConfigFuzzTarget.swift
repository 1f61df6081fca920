import Foundation
import HeadwayCore

/// A Hugging Face `config.json` (`ModelShape(huggingFaceConfig:)`), as a scenario's `model: {config: PATH}` reads it.
public enum HuggingFaceConfigFuzzTarget: FuzzTarget {
    public static let name = "hf-config"
    static let fileName = "fuzz-config.json"

    public static func seeds() -> [[UInt8]] {
        [
            #"{"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "hidden_act": "silu", "_name_or_path": "smollm2"}"#,
            #"{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "head_dim": 32, "intermediate_size": 128, "vocab_size": 100, "torch_dtype": "float32", "hidden_act": "gelu"}"#,
        ].map { Array($0.utf8) }
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        do {
            let shape = try ModelShape(huggingFaceConfig: Data(input), source: fileName)
            _ = (shape.attentionGroupWeightCount, shape.projectionWeightCount, shape.ffnWeightCount)
            return true
        } catch {
            try expect(error, is: CoreError.self, naming: fileName) { $0.message }
            return false
        }
    }
}
