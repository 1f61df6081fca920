#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one `generate` call produced, with its timings.
public struct GenerationResult: Sendable, Hashable {
    public var promptTokens: Int
    /// Generated tokens (the stop token, if one was hit, is not included).
    public var tokens: [Int32]
    /// Prompt prefill plus sampling the first token.
    public var prefillSeconds: Double
    /// Every decode step after the first token.
    public var decodeSeconds: Double
    public var decodeSteps: Int
    /// CPU time of the whole process (all threads) during the decode steps: robust to other load on the machine.
    public var decodeCPUSeconds: Double = 0
    /// The fastest single decode step (with sampling): the machine's speed when nothing else interferes.
    public var fastestDecodeStepSeconds: Double = 0

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }
}

extension LlamaSession {
    /// Prefills `prompt`, then samples up to `maxTokens` tokens, calling `onToken` with each as soon as it is
    /// chosen. Stops early at a token for which `isStop` is true (not passed to `onToken`). The steps are
    /// `TokenGenerator`'s; this adds the timings.
    /// The decode loop itself does not allocate (the result's token array is reserved up front).
    public mutating func generate(
        prompt: [Int32], maxTokens: Int, sampler: inout Sampler, isStop: (Int32) -> Bool = { _ in false },
        onToken: (Int32) -> Void = { _ in }
    ) throws(EngineError) -> GenerationResult {
        var result = GenerationResult(promptTokens: prompt.count, tokens: [], prefillSeconds: 0, decodeSeconds: 0, decodeSteps: 0)
        guard maxTokens > 0 else { return result }
        result.tokens.reserveCapacity(maxTokens)
        var generator = TokenGenerator(prompt: prompt, maxTokens: maxTokens)
        let t0 = monotonicSeconds()
        var step = try generator.step(&self, sampler: &sampler, isStop: isStop)
        let t1 = monotonicSeconds()
        let c1 = processCPUSeconds()
        result.prefillSeconds = t1 - t0
        while case .token(let token) = step {
            result.tokens.append(token)
            onToken(token)
            let before = generator.decodeSteps
            let s0 = monotonicSeconds()
            step = try generator.step(&self, sampler: &sampler, isStop: isStop)
            guard generator.decodeSteps > before else { break }
            let seconds = monotonicSeconds() - s0
            if result.decodeSteps == 0 || seconds < result.fastestDecodeStepSeconds { result.fastestDecodeStepSeconds = seconds }
            result.decodeSteps += 1
        }
        result.decodeSeconds = monotonicSeconds() - t1
        result.decodeCPUSeconds = processCPUSeconds() - c1
        return result
    }
}

/// CPU seconds used by this process so far (all threads).
public func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
