import Foundation
import HeadwayEngine

/// Runs every sequence of a `LocalBackend` on one engine thread, interleaved one step at a time.
///
/// Up to `maxActive` sequences are active, each with its own `LlamaSession` (its own K/V caches); the others wait
/// in arrival order, at most `maxQueued` of them. Each round gives every active sequence one step, in arrival
/// order: a prompt chunk of up to `prefillChunk` tokens, or one new token. All steps share one `WorkerPool`, so one
/// step runs at a time with all the pool's threads. A sequence whose consumer has gone is dropped (and its session
/// released) before its next step.
final class EngineLoop: @unchecked Sendable {
    /// One request's generation; owned by the engine thread once admitted.
    final class Sequence: @unchecked Sendable {
        let request: GenerationRequest
        let continuation: AsyncThrowingStream<Int32, any Error>.Continuation
        var generator: TokenGenerator
        var sampler: Sampler
        var session: LlamaSession?
        /// Set (under the loop's lock) when the consumer stops listening.
        var cancelled = false

        init(_ request: GenerationRequest, vocabSize: Int, continuation: AsyncThrowingStream<Int32, any Error>.Continuation) {
            self.request = request
            self.continuation = continuation
            generator = TokenGenerator(prompt: request.promptTokens, maxTokens: request.maxTokens)
            sampler = Sampler(request.sampling, vocabSize: vocabSize)
        }
    }

    let model: LlamaModel
    let tokenizer: Tokenizer
    let contextLength: Int
    let cacheFormat: KVCacheFormat
    let maxActive: Int
    let maxQueued: Int
    let prefillChunk: Int
    private let pool: WorkerPool
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Sequence] = []
    private var active: [Sequence] = []
    private var samples: [ClusterStatus.LatencySample] = []
    private var samplesStart = 0
    private var tokensGenerated = 0
    private var stopping = false
    static let latencySamplesKept = 600

    init(model: LlamaModel, tokenizer: Tokenizer, contextLength: Int, cacheFormat: KVCacheFormat, threads: Int,
         maxActive: Int, maxQueued: Int, prefillChunk: Int = 32) {
        self.model = model
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.cacheFormat = cacheFormat
        self.maxActive = maxActive
        self.maxQueued = maxQueued
        self.prefillChunk = prefillChunk
        pool = WorkerPool(threads: threads)
        // The thread keeps the loop alive until `stop()` ends it.
        let thread = Thread { self.run() }
        thread.name = "headway-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Ends the engine thread after the current round; sequences still open finish with an error. The owner
    /// (`LocalBackend`) calls it when it goes away.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues `request`; its tokens arrive on the returned stream.
    func submit(_ request: GenerationRequest) -> AsyncThrowingStream<Int32, any Error> {
        AsyncThrowingStream { continuation in
            let sequence = Sequence(request, vocabSize: model.configuration.vocabSize, continuation: continuation)
            condition.lock()
            if stopping || waiting.count >= maxQueued {
                let reason = stopping ? "the server is shutting down"
                    : "all \(maxActive) sequence slots are busy and \(waiting.count) requests are already queued (limit \(maxQueued))"
                condition.unlock()
                continuation.finish(throwing: ServerError(.unavailable, reason))
                return
            }
            waiting.append(sequence)
            condition.signal()
            condition.unlock()
            continuation.onTermination = { [weak self] _ in self?.cancel(sequence) }
        }
    }

    private func cancel(_ sequence: Sequence) {
        condition.lock()
        sequence.cancelled = true
        condition.signal()
        condition.unlock()
    }

    /// Active and waiting sequences, tokens generated so far, recent per-token step times (oldest first).
    func snapshot() -> (active: Int, queued: Int, tokens: Int, samples: [ClusterStatus.LatencySample]) {
        condition.lock()
        defer { condition.unlock() }
        let ordered = Array(samples[samplesStart...] + samples[..<samplesStart])
        return (active.count, waiting.count, tokensGenerated, ordered)
    }

    private func record(tokenSeconds: Double?) {
        // Caller holds the lock.
        tokensGenerated += 1
        guard let tokenSeconds else { return }
        let sample = ClusterStatus.LatencySample(time: Date().timeIntervalSince1970, seconds: tokenSeconds)
        if samples.count < Self.latencySamplesKept {
            samples.append(sample)
        } else {
            samples[samplesStart] = sample
            samplesStart = (samplesStart + 1) % samples.count
        }
    }

    private func run() {
        while true {
            condition.lock()
            // Drop what was cancelled, admit what fits, or sleep.
            waiting.removeAll { s in
                if s.cancelled { s.continuation.finish() }
                return s.cancelled
            }
            active.removeAll { s in
                if s.cancelled { s.session = nil; s.continuation.finish() }
                return s.cancelled
            }
            while active.count < maxActive, !waiting.isEmpty { active.append(waiting.removeFirst()) }
            if stopping {
                let open = active + waiting
                active.removeAll()
                waiting.removeAll()
                condition.unlock()
                for s in open { s.continuation.finish(throwing: ServerError(.unavailable, "the server is shutting down")) }
                return
            }
            if active.isEmpty {
                condition.wait()
                condition.unlock()
                continue
            }
            let round = active
            condition.unlock()
            for s in round { step(s) }
        }
    }

    /// One step of `s`; finishes its stream when it is done or failed.
    private func step(_ s: Sequence) {
        condition.lock()
        let cancelled = s.cancelled
        condition.unlock()
        if cancelled { return }  // dropped at the top of the next round
        if s.session == nil {
            s.session = LlamaSession(model: model, contextLength: contextLength, pool: pool, cacheFormat: cacheFormat)
        }
        let isDecode = s.generator.prefilled == s.generator.prompt.count
        let t0 = monotonicSeconds()
        let result: TokenGenerator.Step
        do {
            let tokenizer = tokenizer
            result = try s.generator.step(
                &s.session!, sampler: &s.sampler,
                isStop: s.request.stopsAtEndOfGeneration ? { tokenizer.isEndOfGeneration($0) } : { _ in false },
                prefillChunk: prefillChunk)
        } catch {
            finish(s, error: ServerError(.internalError, "engine: \(error)"))
            return
        }
        switch result {
        case .prefilled:
            break
        case .token(let token):
            let seconds = monotonicSeconds() - t0
            condition.lock()
            record(tokenSeconds: isDecode ? seconds : nil)
            condition.unlock()
            if case .terminated = s.continuation.yield(token) { cancel(s) }
        case .finished:
            finish(s, error: nil)
        }
    }

    private func finish(_ s: Sequence, error: ServerError?) {
        condition.lock()
        active.removeAll { $0 === s }
        s.session = nil
        condition.unlock()
        if let error { s.continuation.finish(throwing: error) } else { s.continuation.finish() }
    }
}
