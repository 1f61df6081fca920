import HeadwayEngine
import Testing
import HeadwayTestSupport

/// What the Q8_0 cache costs on the real model, against the F16 cache (`KVCacheQuality`).
@Suite(.serialized) struct KVCacheQualityTests {
    static let prompt = "The history of the printing press begins in the fifteenth century, when Johannes Gutenberg"

    @Test(.enabled(if: TestModel.isEnabled))
    func sameFormatGivesIdenticalDistributions() throws {
        let model = try LlamaModel(path: try TestModel.requiredPath())
        let prompt = try Tokenizer(gguf: model.file).encode(Self.prompt)
        let q = try KVCacheQuality.measure(model: model, format: .f16, prompt: prompt, length: 24, contextLength: 64,
                                           pool: WorkerPool(threads: 2))
        #expect(q.meanKL == 0 && q.maxKL == 0 && q.top1Agreement == 1 && q.maxTop5LogitDifference == 0)
        #expect(q.perplexity == q.referencePerplexity)
    }

    /// A small F16 window (16 positions), so most of the 200 positions are read back from Q8_0.
    @Test(.enabled(if: TestModel.isEnabled))
    func quantizedCacheStaysCloseToF16() throws {
        let model = try LlamaModel(path: try TestModel.requiredPath())
        let prompt = try Tokenizer(gguf: model.file).encode(Self.prompt)
        let q = try KVCacheQuality.measure(model: model, format: KVCacheFormat("q8_0:4:16")!, prompt: prompt,
                                           length: 200, contextLength: 256, pool: WorkerPool(threads: 2))
        #expect(q.meanKL > 0 && q.meanKL < 0.01, "mean KL \(q.meanKL)")
        #expect(q.top1Agreement >= 0.9, "top-1 agreement \(q.top1Agreement)")
        #expect(abs(q.perplexity / q.referencePerplexity - 1) < 0.02, "perplexity \(q.perplexity) vs \(q.referencePerplexity)")
    }
}
