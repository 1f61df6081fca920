/// Metadata key names as GGUF spells them (gguf-py `Keys`). The only place these strings appear.
public enum GGUFKey {
    public static let architecture = "general.architecture"
    public static let name = "general.name"
    public static let alignment = "general.alignment"

    public static func blockCount(_ arch: String) -> String { "\(arch).block_count" }
    public static func embeddingLength(_ arch: String) -> String { "\(arch).embedding_length" }
    public static func feedForwardLength(_ arch: String) -> String { "\(arch).feed_forward_length" }
    public static func contextLength(_ arch: String) -> String { "\(arch).context_length" }
    public static func vocabSize(_ arch: String) -> String { "\(arch).vocab_size" }
    public static func headCount(_ arch: String) -> String { "\(arch).attention.head_count" }
    public static func headCountKV(_ arch: String) -> String { "\(arch).attention.head_count_kv" }
    /// Width of one key head (head dim). Default: embedding_length / head_count.
    public static func keyLength(_ arch: String) -> String { "\(arch).attention.key_length" }
    public static func valueLength(_ arch: String) -> String { "\(arch).attention.value_length" }
    public static func rmsNormEpsilon(_ arch: String) -> String { "\(arch).attention.layer_norm_rms_epsilon" }
    public static func ropeFreqBase(_ arch: String) -> String { "\(arch).rope.freq_base" }
    public static func ropeDimensionCount(_ arch: String) -> String { "\(arch).rope.dimension_count" }

    public static let tokenizerModel = "tokenizer.ggml.model"
    public static let tokenizerPre = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let tokenTypes = "tokenizer.ggml.token_type"
    public static let scores = "tokenizer.ggml.scores"
    public static let merges = "tokenizer.ggml.merges"
    public static let bosTokenID = "tokenizer.ggml.bos_token_id"
    public static let eosTokenID = "tokenizer.ggml.eos_token_id"
    public static let unknownTokenID = "tokenizer.ggml.unknown_token_id"
    public static let paddingTokenID = "tokenizer.ggml.padding_token_id"
    public static let addBOS = "tokenizer.ggml.add_bos_token"
    public static let addEOS = "tokenizer.ggml.add_eos_token"
    public static let chatTemplate = "tokenizer.chat_template"
}
