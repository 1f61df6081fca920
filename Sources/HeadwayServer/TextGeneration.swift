import Foundation
import HeadwayEngine

/// Runs one request on a backend and turns its tokens into text: streaming decode (UTF-8 across tokens), stop
/// strings, the token limit, timing and metrics. Both endpoints, streamed or not, go through it.
///
/// `start` waits for the first token (or the backend's refusal), so that a request the backend cannot serve gets
/// its own HTTP status even when it asked for a stream; `finish` generates the rest.
struct TextGeneration: Sendable {
    let backend: any InferenceBackend
    let metrics: ServerMetrics

    struct Outcome: Sendable {
        var text = ""
        var tokens: [Int32] = []
        var promptTokens: Int
        /// `stop` (end-of-generation token or a stop string) or `length` (max_tokens or the context's end).
        var finishReason = "stop"
    }

    /// A generation under way. Dropping it (or `close`) stops the backend's sequence.
    final class Running: @unchecked Sendable {
        let request: GenerationRequest
        let stop: [String]
        let started: ContinuousClock.Instant
        fileprivate var iterator: AsyncThrowingStream<Int32, any Error>.AsyncIterator?
        fileprivate var first: Int32?

        fileprivate init(_ request: GenerationRequest, stop: [String], started: ContinuousClock.Instant,
                         iterator: AsyncThrowingStream<Int32, any Error>.AsyncIterator) {
            self.request = request
            self.stop = stop
            self.started = started
            self.iterator = iterator
        }

        /// Lets go of the backend's stream, which ends its sequence.
        func close() { iterator = nil }
    }

    /// Checks the prompt against the context and the token limit against what the context leaves.
    func request(prompt: [Int32], settings: GenerationSettings) throws(ServerError) -> GenerationRequest {
        let context = backend.contextLength
        guard !prompt.isEmpty else { throw ServerError(.invalidValue, "the prompt is empty (0 tokens)", param: "prompt") }
        guard prompt.count < context else {
            throw ServerError(.contextLengthExceeded,
                "the prompt is \(prompt.count) tokens, longer than the context of \(context) tokens (prompt and generated tokens together); shorten the prompt",
                param: "messages")
        }
        let room = context - prompt.count
        return GenerationRequest(promptTokens: prompt, maxTokens: min(settings.maxTokens ?? room, room),
                                 sampling: settings.sampling, stopsAtEndOfGeneration: !settings.ignoreEOS)
    }

    /// Submits `request` and waits for its first token; throws the backend's error (`ServerError`) if it refuses.
    func start(_ request: GenerationRequest, stop: [String]) async throws -> Running {
        let started = ContinuousClock.now
        var iterator = backend.generate(request).makeAsyncIterator()
        let first = try await iterator.next()
        let running = Running(request, stop: stop, started: started, iterator: iterator)
        running.first = first
        if first != nil { metrics.timeToFirstToken(ContinuousClock.now - started) }
        return running
    }

    /// Generates the rest, calling `onText` with each piece of text as soon as it is final. Throws what the backend
    /// throws, or what `onText` throws (a client that went away); either way the backend's sequence is stopped.
    func finish(_ running: Running, onText: (String) async throws -> Void) async throws -> Outcome {
        defer { running.close() }
        var decoder = StreamingDecoder(tokenizer: backend.tokenizer)
        var matcher = StopMatcher(running.stop)
        var outcome = Outcome(promptTokens: running.request.promptTokens.count)
        var stopped = false
        var last = ContinuousClock.now
        func emit(_ text: String) async throws {
            guard !text.isEmpty else { return }
            outcome.text += text
            try await onText(text)
        }
        var next = running.first
        running.first = nil
        while let token = next {
            metrics.tokenGenerated()
            outcome.tokens.append(token)
            let (text, hit) = matcher.feed(decoder.append(token))
            try await emit(text)
            if hit {
                stopped = true
                break
            }
            guard running.iterator != nil else { break }
            next = try await running.iterator!.next()
            let now = ContinuousClock.now
            if next != nil { metrics.tokenLatency(now - last) }
            last = now
        }
        if Task.isCancelled { throw CancellationError() }
        if !stopped {
            let (text, hit) = matcher.feed(decoder.finish())
            try await emit(text)
            stopped = hit
            if !hit { try await emit(matcher.flush()) }
        }
        outcome.finishReason = !stopped && outcome.tokens.count >= running.request.maxTokens ? "length" : "stop"
        return outcome
    }
}
