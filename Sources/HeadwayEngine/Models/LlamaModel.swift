public import HeadwayCore
import HeadwayGGUF

/// A llama-architecture model loaded from a GGUF file: hyperparameters plus weights that stay quantized in the
/// memory-mapped file. Immutable and shareable; generation state lives in a `LlamaSession`.
public struct LlamaModel: Sendable {
    public let file: GGUFFile
    /// The model's shape for the planners and cost models, read from the GGUF header once (`ModelShape(gguf:)`);
    /// `configuration` derives from it.
    public let shape: ModelShape
    public let configuration: LlamaConfiguration
    public let weights: LlamaWeights

    /// Maps and checks the model at `path`.
    /// - Throws: `EngineError` naming the file and the problem (unreadable or malformed GGUF, unsupported
    ///   architecture, missing metadata, missing tensor, wrong tensor shape, unsupported tensor type).
    public init(path: String) throws(EngineError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw EngineError(.unreadableFile, "\(path): not a readable GGUF model: \(error)")
        }
        try self.init(file: file)
    }

    public init(file: GGUFFile) throws(EngineError) {
        try CPUFeatures.check()
        self.file = file
        shape = try LlamaConfiguration.shape(of: file)
        configuration = try LlamaConfiguration(gguf: file, shape: shape)
        weights = try LlamaWeights(gguf: file, configuration: configuration)
    }

    // MARK: Blocks

    public func embeddingBlock() -> EmbeddingBlock { EmbeddingBlock(weights: weights, configuration: configuration) }

    /// The attention block of `group` in `layer`, for contexts of up to `positions` tokens (make its per-sequence
    /// state with `makeCache`). Pass one `rope` table to all blocks to share it.
    public func attentionBlock(layer: Int, group: Int, positions: Int, rope: RopeTable? = nil) -> AttentionBlock {
        precondition(layer < configuration.layerCount && group < configuration.kvHeadCount)
        return AttentionBlock(layer: layer, group: group, weights: weights.layers[layer], configuration: configuration,
                              positions: positions, rope: rope)
    }

    public func projectionBlock(layer: Int) -> ProjectionBlock {
        ProjectionBlock(layer: layer, weights: weights.layers[layer], configuration: configuration)
    }

    public func feedForwardBlock(layer: Int) -> FeedForwardBlock {
        FeedForwardBlock(layer: layer, weights: weights.layers[layer], configuration: configuration)
    }

    public func lmHeadBlock() -> LMHeadBlock { LMHeadBlock(weights: weights, configuration: configuration) }
}
