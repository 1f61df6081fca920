/// Generation one step at a time: the loop that `LlamaSession.generate` runs, cut into steps so that a caller can
/// interleave several sequences (each with its own session) on one engine, or stop between any two steps.
///
/// A step is one chunk of the prompt (prefill), or one new token: the first token is sampled from the logits after
/// the prompt's last chunk, every later one after decoding the previous token. Generation ends at a token for which
/// `isStop` is true (not emitted), after `maxTokens` tokens, or when the session's context is full. The decode steps
/// do not allocate.
public struct TokenGenerator: Sendable {
    public enum FinishReason: String, Sendable, Hashable {
        /// A stop token was sampled.
        case stop
        /// `maxTokens` tokens were generated, or the context is full.
        case length
    }

    public enum Step: Sendable, Hashable {
        /// A chunk of the prompt was run; `done` prompt tokens are in the cache so far.
        case prefilled(done: Int)
        /// A new token.
        case token(Int32)
        /// Nothing more to generate (no computation was done by this step, except for a sampled stop token).
        case finished(FinishReason)
    }

    public let prompt: [Int32]
    public let maxTokens: Int
    /// Prompt tokens run so far.
    public private(set) var prefilled = 0
    /// Tokens emitted so far.
    public private(set) var generated = 0
    /// Decode steps run (each after an emitted token).
    public private(set) var decodeSteps = 0
    public private(set) var finishReason: FinishReason?
    private var last: Int32 = 0

    /// - Precondition: `prompt` is not empty.
    public init(prompt: [Int32], maxTokens: Int) {
        precondition(!prompt.isEmpty, "generation needs at least one prompt token")
        self.prompt = prompt
        self.maxTokens = maxTokens
        if maxTokens <= 0 { finishReason = .length }
    }

    /// Runs the next step on `session` (which must hold nothing but this generation's earlier steps).
    /// - Parameter prefillChunk: prompt tokens per prefill step; `nil` runs the whole prompt in one step.
    public mutating func step(
        _ session: inout LlamaSession, sampler: inout Sampler, isStop: (Int32) -> Bool, prefillChunk: Int? = nil
    ) throws(EngineError) -> Step {
        if let finishReason { return .finished(finishReason) }
        let token: Int32
        if prefilled < prompt.count {
            let n = min(max(prefillChunk ?? prompt.count, 1), prompt.count - prefilled)
            let logits = n == prompt.count
                ? try session.prefill(prompt) : try session.prefill(Array(prompt[prefilled..<prefilled + n]))
            prefilled += n
            if prefilled < prompt.count { return .prefilled(done: prefilled) }
            token = sampler.sample(logits)
        } else {
            if generated == maxTokens || session.position == session.contextLength {
                finishReason = .length
                return .finished(.length)
            }
            token = sampler.sample(try session.decode(last))
            decodeSteps += 1
        }
        if isStop(token) {
            finishReason = .stop
            return .finished(.stop)
        }
        generated += 1
        last = token
        return .token(token)
    }
}
