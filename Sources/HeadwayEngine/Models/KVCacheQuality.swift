#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a K/V cache format moves the model's output from a reference format (normally `.f16`), measured the way
/// llama.cpp's `llama-perplexity --kl-divergence` does: the same token sequence is fed to both, and at every
/// position the next-token distributions are compared.
public struct KVCacheQuality: Sendable, Hashable {
    public var format: KVCacheFormat
    public var reference: KVCacheFormat
    /// Positions compared.
    public var positions: Int
    /// KL(P_reference ‖ P_format) in nats: mean, 99th percentile and maximum over the positions.
    public var meanKL: Double
    public var p99KL: Double
    public var maxKL: Double
    /// Share of positions where both pick the same most likely token.
    public var top1Agreement: Double
    /// Largest |Δ logit| over positions, among the reference's 5 most likely tokens.
    public var maxTop5LogitDifference: Double
    /// Perplexity of the token sequence under each format (tokens sampled from the reference, so ≈ its entropy).
    public var referencePerplexity: Double
    public var perplexity: Double
    /// The sampled tokens (after the prompt), so other engines can be compared on the same sequence.
    public var tokens: [Int32]

    /// Samples `length` tokens after `prompt` from a `reference`-format session (temperature 1, `seed`), feeds the
    /// same tokens to a `format` session, and compares their logits at every generated position.
    /// - Throws: `EngineError` when `prompt.count + length` exceeds `contextLength` or the prompt is empty.
    public static func measure(
        model: LlamaModel, format: KVCacheFormat, reference: KVCacheFormat = .f16, prompt: [Int32], length: Int,
        contextLength: Int, seed: UInt64 = 1, pool: WorkerPool
    ) throws(EngineError) -> KVCacheQuality {
        guard length >= 1, prompt.count + length <= contextLength else {
            throw EngineError(.invalidArgument,
                "cache quality: \(prompt.count) prompt + \(length) tokens must fit the context of \(contextLength)")
        }
        var a = LlamaSession(model: model, contextLength: contextLength, pool: pool, cacheFormat: reference)
        var b = LlamaSession(model: model, contextLength: contextLength, pool: pool, cacheFormat: format)
        let vocab = model.configuration.vocabSize
        var sampler = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, seed: seed), vocabSize: vocab)
        var kls: [Double] = []
        var tokens: [Int32] = []
        var agree = 0, maxDiff = 0.0, nllA = 0.0, nllB = 0.0
        var pa = [Double](repeating: 0, count: vocab), pb = pa
        var la = try a.prefill(prompt), lb = try b.prefill(prompt)
        for step in 0..<length {
            logSoftmax(la, into: &pa)
            logSoftmax(lb, into: &pb)
            var kl = 0.0
            for i in 0..<vocab where pa[i] > -50 { kl += exp(pa[i]) * (pa[i] - pb[i]) }
            kls.append(max(0, kl))
            if Sampler.argmax(la) == Sampler.argmax(lb) { agree += 1 }
            for i in topIndices(la, 5) { maxDiff = max(maxDiff, Double(abs(la[i] - lb[i]))) }
            let token = sampler.sample(la)
            tokens.append(token)
            nllA -= pa[Int(token)]
            nllB -= pb[Int(token)]
            if step + 1 < length {
                la = try a.decode(token)
                lb = try b.decode(token)
            }
        }
        let sorted = kls.sorted()
        let n = Double(length)
        return KVCacheQuality(
            format: format, reference: reference, positions: length, meanKL: kls.reduce(0, +) / n,
            p99KL: sorted[min(sorted.count - 1, Int((0.99 * n).rounded(.down)))], maxKL: sorted.last ?? 0,
            top1Agreement: Double(agree) / n, maxTop5LogitDifference: maxDiff,
            referencePerplexity: exp(nllA / n), perplexity: exp(nllB / n), tokens: tokens)
    }

    private static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, into out: inout [Double]) {
        let m = Double(logits.max() ?? 0)
        var sum = 0.0
        for x in logits { sum += exp(Double(x) - m) }
        let lse = m + log(sum)
        for i in logits.indices { out[i] = Double(logits[i]) - lse }
    }

    private static func topIndices(_ logits: UnsafeBufferPointer<Float>, _ k: Int) -> [Int] {
        var best: [Int] = []
        for i in logits.indices {
            if best.count < k { best.append(i); best.sort { logits[$0] > logits[$1] }; continue }
            if logits[i] > logits[best[k - 1]] {
                best[k - 1] = i
                best.sort { logits[$0] > logits[$1] }
            }
        }
        return best
    }
}
