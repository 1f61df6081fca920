/// A vocabulary entry's kind (GGUF `tokenizer.ggml.token_type`, llama.cpp `llama_token_type`).
public enum TokenType: Int32, Sendable, Hashable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// Special tokens such as `<|im_start|>`: matched in text only when `parseSpecial` is set, and rendered by
    /// `decode` only when `renderSpecial` is set.
    case control = 3
    /// Added tokens: always matched as a whole in text, and rendered as their raw text.
    case userDefined = 4
    case unused = 5
    /// `<0xAB>` byte tokens (SentencePiece vocabularies).
    case byte = 6
}
