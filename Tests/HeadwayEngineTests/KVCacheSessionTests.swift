import HeadwayEngine
import Testing

/// Sessions and blocks with a Q8_0 K/V cache (a tiny model with 32-number heads, so Q8_0 applies).
@Suite struct KVCacheSessionTests {
    static let format = KVCacheFormat("q8_0:1:3")!
    static let prompt: [Int32] = [3, 14, 15, 92, 65, 35, 89]

    static func model() throws -> LlamaModel { try TinyLlama(modelDim: 64, heads: 2, kvHeads: 1).model() }

    @Test func composedBlocksGiveTheSessionLogits() throws {
        let model = try Self.model()
        // Token by token in both, so the session's queries see the same positions in F16 as the blocks' queries.
        var session = LlamaSession(model: model, contextLength: 32, pool: WorkerPool(threads: 2), cacheFormat: Self.format)
        var blocks = BlockCompositionTests.BlockByBlock(model, capacity: 32, cacheFormat: Self.format)
        #expect(session.cacheFormat == Self.format)
        for token in Self.prompt + [7, 8, 9] {
            let a = Array(try session.decode(token))
            let b = try blocks.step(token)
            #expect(maxAbsDiff(a, b) <= 1e-4, "token \(token): maxDiff \(maxAbsDiff(a, b))")
        }
        #expect(session.caches[0].packedEnd == 1 + (Self.prompt.count + 3 - 1 - 3))
    }

    @Test func aQuantizedCacheChangesTheLogitsOnlySlightly() throws {
        let model = try Self.model()
        var exact = LlamaSession(model: model, contextLength: 32, pool: .serial, cacheFormat: .f16)
        var packed = LlamaSession(model: model, contextLength: 32, pool: .serial, cacheFormat: .q8_0)
        let a = try exact.prefillAllLogits(Self.prompt), b = try packed.prefillAllLogits(Self.prompt)
        let diff = zip(a, b).map { maxAbsDiff($0, $1) }.max()!
        let scale = a.flatMap { $0 }.map { abs($0) }.max()!
        #expect(diff > 0 && diff < 0.02 * scale, "max logit difference \(diff) (logits up to \(scale))")
        #expect(zip(a, b).allSatisfy { x, y in x.withUnsafeBufferPointer(Sampler.argmax) == y.withUnsafeBufferPointer(Sampler.argmax) })
    }

    @Test func quantizedCacheSerializesAndRestoresExactly() throws {
        let model = try Self.model()
        for extra in [0, 1, 5] {
            var original = LlamaSession(model: model, contextLength: 32, pool: .serial, cacheFormat: Self.format)
            _ = try original.prefill(Self.prompt)
            for t in 0..<extra { _ = try original.decode(Int32(t + 1)) }
            var migrated = LlamaSession(model: model, contextLength: 32, pool: WorkerPool(threads: 2), cacheFormat: Self.format)
            for i in original.attention.indices {
                let bytes = original.snapshot(i)
                #expect(bytes.count == 40 + original.caches[i].filledBytes)
                try migrated.restore(i, from: bytes)
                #expect(migrated.caches[i] == original.caches[i])
                #expect(migrated.snapshot(i) == bytes)
            }
            for token: Int32 in [5, 6, 7, 8] {
                let a = Array(try original.decode(token)), b = Array(try migrated.decode(token))
                #expect(a == b, "after \(extra) extra tokens, logits differ at token \(token): maxDiff \(maxAbsDiff(a, b))")
            }
        }
    }

    @Test func snapshotsOfAnotherFormatOrLayoutAreRejected() throws {
        let model = try Self.model()
        var session = LlamaSession(model: model, contextLength: 16, pool: .serial, cacheFormat: Self.format)
        _ = try session.prefill(Self.prompt)
        let bytes = session.snapshot(0)
        var f16 = KVCache(headDim: model.configuration.headDim, capacity: 16, format: .f16)  // L0.head_0
        do {
            try f16.restore(from: bytes, layer: 0, group: 0)
            Issue.record("a q8_0 snapshot restored into an f16 cache")
        } catch {
            #expect(error.code == .badCacheSnapshot && error.message.contains("q8_0:1:3") && error.message.contains("f16"), "\(error)")
        }
        var same = KVCache(headDim: model.configuration.headDim, capacity: 16, format: Self.format)  // L0.head_0
        var badLayout = bytes
        badLayout[36] = 0  // packedEnd 0 < 1 sink position
        #expect(throws: EngineError.self) { try same.restore(from: badLayout, layer: 0, group: 0) }
        var badStorage = bytes
        badStorage[24] = 7
        #expect(throws: EngineError.self) { try same.restore(from: badStorage, layer: 0, group: 0) }
        var oldVersion = bytes
        oldVersion[4] = 1
        #expect(throws: EngineError.self) { try same.restore(from: oldVersion, layer: 0, group: 0) }
        #expect(throws: EngineError.self) { try same.restore(from: Array(bytes.dropLast(1)), layer: 0, group: 0) }
        #expect(throws: EngineError.self) { try same.restore(from: Array(bytes.prefix(30)), layer: 0, group: 0) }
        try same.restore(from: bytes, layer: 0, group: 0)
        #expect(same == session.caches[0])
    }

    /// A model whose heads are not a multiple of 32 numbers keeps an F16 cache whatever format is asked for.
    @Test func headsThatQ8_0CannotHoldFallBackToF16() throws {
        let model = try TinyLlama().model()
        let session = LlamaSession(model: model, contextLength: 8, pool: .serial, cacheFormat: .standard)
        #expect(session.cacheFormat == .f16)
    }
}
