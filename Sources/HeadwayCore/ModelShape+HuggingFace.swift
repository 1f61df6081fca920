import Foundation

extension ModelShape {
    /// Reads a Hugging Face `config.json` (Llama-style keys: `num_hidden_layers`, `hidden_size`, `num_attention_heads`,
    /// `num_key_value_heads`, `head_dim`, `intermediate_size`, `vocab_size`, `tie_word_embeddings`, `torch_dtype`).
    /// - Parameter source: the file name used in error messages.
    public init(huggingFaceConfig data: Data, source: String = "config.json") throws {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw CoreError(.malformed, "\(source): not valid JSON (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any] else {
            throw CoreError(.malformed, "\(source): top level must be a JSON object")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = json[key] else {
                if let value { return value }
                throw CoreError(.missingField, "\(source): missing field '\(key)'")
            }
            guard let n = raw as? NSNumber, let v = Int(exactly: n.doubleValue) else {
                throw CoreError(.invalidValue, "\(source): field '\(key)' must be an integer, got \(raw)")
            }
            return v
        }
        let heads = try int("num_attention_heads")
        let dim = try int("hidden_size")
        let dtype = (json["torch_dtype"] as? String) ?? "float16"
        let bytes: Double
        switch dtype {
        case "float32": bytes = 4
        case "float16", "bfloat16": bytes = 2
        case "int8": bytes = 1
        default: throw CoreError(.invalidValue, "\(source): field 'torch_dtype' has unsupported value '\(dtype)'")
        }
        let activation = (json["hidden_act"] as? String) ?? "silu"
        self.init(
            name: (json["_name_or_path"] as? String) ?? (json["model_type"] as? String) ?? source,
            layerCount: try int("num_hidden_layers"),
            modelDim: dim,
            headCount: heads,
            kvHeadCount: try int("num_key_value_heads", default: heads),
            headDim: try int("head_dim", default: heads > 0 ? dim / heads : 0),
            ffnDim: try int("intermediate_size"),
            gatedFFN: activation == "silu" || activation == "swiglu",
            vocabSize: try int("vocab_size"),
            tiedEmbeddings: (json["tie_word_embeddings"] as? Bool) ?? false,
            weightBytes: bytes)
        try validate(source: source)
    }
}
