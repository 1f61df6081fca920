/// Tensor names of the llama family as GGUF files spell them (llama.cpp `LLM_TENSOR_NAMES`).
///
/// Conventions that bite (see also the engine's loader):
/// - GGUF dimensions are listed fastest-varying first (`ne[0]` is the row length), the reverse of PyTorch's shape.
/// - `output.weight` may be absent; the LM head then reuses `token_embd.weight` (tied embeddings).
public enum TensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    public static let output = "output.weight"

    public static func attentionNorm(_ layer: Int) -> String { "blk.\(layer).attn_norm.weight" }
    public static func attentionQuery(_ layer: Int) -> String { "blk.\(layer).attn_q.weight" }
    public static func attentionKey(_ layer: Int) -> String { "blk.\(layer).attn_k.weight" }
    public static func attentionValue(_ layer: Int) -> String { "blk.\(layer).attn_v.weight" }
    public static func attentionOutput(_ layer: Int) -> String { "blk.\(layer).attn_output.weight" }
    public static func ffnNorm(_ layer: Int) -> String { "blk.\(layer).ffn_norm.weight" }
    public static func ffnGate(_ layer: Int) -> String { "blk.\(layer).ffn_gate.weight" }
    public static func ffnUp(_ layer: Int) -> String { "blk.\(layer).ffn_up.weight" }
    public static func ffnDown(_ layer: Int) -> String { "blk.\(layer).ffn_down.weight" }
}
