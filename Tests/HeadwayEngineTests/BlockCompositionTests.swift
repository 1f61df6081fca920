import HeadwayEngine
import Testing

@Suite struct BlockCompositionTests {
    static let prompt: [Int32] = [3, 14, 15, 92, 65, 35, 89]

    /// The forward pass run block by block through the plain-vector API, one token at a time, single-threaded:
    /// what a coordinator does when every block sits on another device.
    struct BlockByBlock {
        var model: LlamaModel
        var embedding: EmbeddingBlock
        var attention: [[AttentionBlock]]
        var caches: [[KVCache]]
        var projection: [ProjectionBlock]
        var feedForward: [FeedForwardBlock]
        var lmHead: LMHeadBlock

        init(_ model: LlamaModel, capacity: Int, cacheFormat: KVCacheFormat = .f16) {
            let c = model.configuration
            self.model = model
            embedding = model.embeddingBlock()
            attention = (0..<c.layerCount).map { l in (0..<c.kvHeadCount).map { model.attentionBlock(layer: l, group: $0, positions: capacity) } }
            caches = attention.map { $0.map { $0.makeCache(capacity: capacity, format: cacheFormat) } }
            projection = (0..<c.layerCount).map { model.projectionBlock(layer: $0) }
            feedForward = (0..<c.layerCount).map { model.feedForwardBlock(layer: $0) }
            lmHead = model.lmHeadBlock()
        }

        mutating func step(_ token: Int32) throws -> [Float] {
            var x = try embedding([token])
            for l in 0..<model.configuration.layerCount {
                var heads: [Float] = []
                for g in attention[l].indices { heads += attention[l][g](x, cache: &caches[l][g]) }
                x = projection[l](heads: heads, residual: x)
                x = feedForward[l](x)
            }
            return lmHead(x)
        }
    }

    @Test(arguments: [WeightType.q4_1, .q4_0, .q8_0, .f16])
    func composedBlocksGiveTheSessionLogits(_ type: WeightType) throws {
        let model = try TinyLlama(weightType: type).model()
        var session = LlamaSession(model: model, contextLength: 32, pool: WorkerPool(threads: 2), maxBatch: 4, cacheFormat: .f16)
        var blocks = BlockByBlock(model, capacity: 32)
        let batched = try session.prefillAllLogits(Self.prompt)
        for (t, token) in Self.prompt.enumerated() {
            let single = try blocks.step(token)
            #expect(maxAbsDiff(single, batched[t]) <= 1e-4, "\(type) position \(t): maxDiff \(maxAbsDiff(single, batched[t]))")
        }
        for token: Int32 in [7, 8, 9] {
            let fromSession = Array(try session.decode(token))
            let fromBlocks = try blocks.step(token)
            #expect(maxAbsDiff(fromSession, fromBlocks) <= 1e-4, "\(type) decode \(token)")
        }
        #expect(session.position == Self.prompt.count + 3)
    }

    @Test func attentionCacheSerializesAndRestoresExactly() throws {
        let model = try TinyLlama().model()
        var original = LlamaSession(model: model, contextLength: 32, pool: .serial)
        _ = try original.prefill(Self.prompt)
        var migrated = LlamaSession(model: model, contextLength: 32, pool: WorkerPool(threads: 2))
        for i in original.attention.indices {
            let bytes = original.snapshot(i)
            try migrated.restore(i, from: bytes)
            #expect(migrated.caches[i] == original.caches[i])
            #expect(migrated.snapshot(i) == bytes)
        }
        #expect(migrated.position == Self.prompt.count)
        for token: Int32 in [5, 6, 7, 8] {
            let a = Array(try original.decode(token))
            let b = Array(try migrated.decode(token))
            #expect(a == b, "logits after restoring differ at token \(token): maxDiff \(maxAbsDiff(a, b))")
        }
    }

    @Test func restoringAMismatchedSnapshotThrows() throws {
        let model = try TinyLlama().model()
        var session = LlamaSession(model: model, contextLength: 16, pool: .serial)
        _ = try session.prefill([1, 2, 3])
        let bytes = session.snapshot(0)
        var other = KVCache(headDim: model.configuration.headDim, capacity: 16, format: .f16)  // L1.head_0
        #expect(throws: EngineError.self) { try other.restore(from: bytes, layer: 1, group: 0) }
        var same = KVCache(headDim: model.configuration.headDim, capacity: 16, format: .f16)  // L0.head_0
        #expect(throws: EngineError.self) { try same.restore(from: Array(bytes.dropLast(2)), layer: 0, group: 0) }
        #expect(throws: EngineError.self) { try same.restore(from: [1, 2, 3], layer: 0, group: 0) }
        var small = KVCache(headDim: model.configuration.headDim, capacity: 2, format: .f16)  // L0.head_0
        do {
            try small.restore(from: bytes, layer: 0, group: 0)
            Issue.record("restoring 3 positions into a capacity of 2 did not throw")
        } catch {
            #expect(error.code == .badCacheSnapshot && error.message.contains("L0.head_0"), "\(error)")
        }
        try same.restore(from: bytes, layer: 0, group: 0)
        #expect(same.count == 3)
    }

    /// The configuration derives from the shape read once from the header (`LlamaModel.shape`).
    @Test func configurationDerivesFromTheModelShape() throws {
        let model = try TinyLlama(layers: 3, modelDim: 96, heads: 6, kvHeads: 3, ffnDim: 160).model()
        let (s, c) = (model.shape, model.configuration)
        #expect(s.layerCount == 3 && s.modelDim == 96 && s.headCount == 6 && s.kvHeadCount == 3 && s.headDim == 16)
        #expect(c.layerCount == s.layerCount && c.modelDim == s.modelDim && c.headCount == s.headCount
                && c.kvHeadCount == s.kvHeadCount && c.headDim == s.headDim && c.ffnDim == s.ffnDim)
        #expect(c.vocabSize == 97 && s.vocabSize == 97, "no tokenizer in the file: the embedding rows give the vocabulary")
    }

    @Test func contextOverflowThrows() throws {
        let model = try TinyLlama().model()
        var session = LlamaSession(model: model, contextLength: 4, pool: .serial)
        _ = try session.prefill([1, 2, 3])
        _ = try session.decode(4)
        #expect(throws: EngineError.self) { _ = try session.decode(5) }
        #expect(throws: EngineError.self) { _ = try session.decode(500) }
    }

    @Test func outOfVocabularyTokenThrows() throws {
        let model = try TinyLlama().model()
        var session = LlamaSession(model: model, contextLength: 8, pool: .serial)
        do {
            _ = try session.prefill([1, 97])
            Issue.record("token 97 of a 97-token vocabulary was accepted")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("97"), "\(error)")
        }
    }
}
