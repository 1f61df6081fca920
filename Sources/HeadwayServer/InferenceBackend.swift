import HeadwayEngine

/// One generation asked of a backend: the prompt as tokens, how many tokens at most, how to sample.
public struct GenerationRequest: Sendable, Hashable {
    public var promptTokens: [Int32]
    /// At most this many tokens; the server never asks for more than the context leaves after the prompt.
    public var maxTokens: Int
    /// Temperature (0 = greedy), top-k, top-p and seed: the engine's `Sampler` semantics.
    public var sampling: SamplingParameters
    /// False: end-of-generation tokens are generated like any other and do not end the stream (llama-server's
    /// `ignore_eos`, for benchmarks that need a fixed number of tokens).
    public var stopsAtEndOfGeneration: Bool

    public init(promptTokens: [Int32], maxTokens: Int, sampling: SamplingParameters, stopsAtEndOfGeneration: Bool = true) {
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopsAtEndOfGeneration = stopsAtEndOfGeneration
    }
}

/// What generates tokens for the server: the engine in this process (`LocalBackend`), or the distributed runtime
/// (a coordinator and its workers). The HTTP layer knows nothing else about it.
///
/// Text handling (chat template, tokenizer, stop strings, streaming decode) is the server's, from `tokenizer` and
/// `chatTemplate`; a backend only turns prompt tokens into new tokens.
public protocol InferenceBackend: Sendable {
    /// The id clients name in `model` (and `/v1/models` lists).
    var modelID: String { get }
    /// Tokens the context holds: prompt plus generated.
    var contextLength: Int { get }
    var tokenizer: Tokenizer { get }
    /// The model's chat template; nil when the file has none that the engine understands (chat requests then fail).
    var chatTemplate: ChatTemplate? { get }

    /// Starts generating. Tokens arrive one at a time as they are chosen; the stream finishes after `maxTokens`
    /// tokens or at an end-of-generation token (not yielded; unless `stopsAtEndOfGeneration` is false), and throws `ServerError` when the request cannot be
    /// served (`.unavailable` when no device or worker can hold the model).
    ///
    /// Cancellation: when the consumer stops iterating (it is cancelled, or drops the stream), the backend stops
    /// the sequence and frees its state (K/V caches) promptly, before it computes more than one further step.
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<Int32, any Error>

    /// The cluster now, for the dashboard and `/metrics`.
    func status() async -> ClusterStatus
}

extension InferenceBackend {
    /// `messages` rendered by the chat template and tokenized as `headway generate --chat` does (special tokens
    /// parsed, BOS as the model asks).
    public func promptTokens(for messages: [ChatMessage]) throws(ServerError) -> [Int32] {
        guard let chatTemplate else {
            throw ServerError(.invalidValue, "model \(modelID) has no chat template this server understands; use /v1/completions")
        }
        return tokenizer.encode(chatTemplate.render(messages), addSpecial: true, parseSpecial: true)
    }

    /// A plain prompt tokenized as `headway generate` does (without `--chat`): special-token text is not parsed.
    public func promptTokens(for text: String) -> [Int32] {
        tokenizer.encode(text, addSpecial: true, parseSpecial: false)
    }
}
