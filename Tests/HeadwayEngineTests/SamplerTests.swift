import HeadwayEngine
import Testing

@Suite struct SamplerTests {
    let logits: [Float] = [0.1, 2.0, -1.0, 1.9, 0.5, 3.0, 2.9, -4.0]

    @Test func greedyPicksTheArgmax() {
        var s = Sampler(.greedy, vocabSize: logits.count)
        #expect(logits.withUnsafeBufferPointer { s.sample($0) } == 5)
        var k1 = Sampler(SamplingParameters(temperature: 1, topK: 1), vocabSize: logits.count)
        #expect(logits.withUnsafeBufferPointer { k1.sample($0) } == 5)
    }

    @Test func sameSeedSameTokens() {
        func run(seed: UInt64) -> [Int32] {
            var s = Sampler(SamplingParameters(temperature: 1.5, topK: 0, topP: 1, seed: seed), vocabSize: logits.count)
            return (0..<50).map { _ in logits.withUnsafeBufferPointer { s.sample($0) } }
        }
        #expect(run(seed: 9) == run(seed: 9))
        #expect(run(seed: 9) != run(seed: 10))
    }

    @Test func topKAndTopPRestrictTheCandidates() {
        var k2 = Sampler(SamplingParameters(temperature: 5, topK: 2, topP: 1, seed: 3), vocabSize: logits.count)
        let drawn = Set((0..<300).map { _ in logits.withUnsafeBufferPointer { k2.sample($0) } })
        #expect(drawn == [5, 6])
        // With a tiny top-p only the most likely token survives.
        var p = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 0.01, seed: 3), vocabSize: logits.count)
        #expect(Set((0..<100).map { _ in logits.withUnsafeBufferPointer { p.sample($0) } }) == [5])
        // Without limits every token can be drawn at a high temperature.
        var all = Sampler(SamplingParameters(temperature: 100, topK: 0, topP: 1, seed: 4), vocabSize: logits.count)
        #expect(Set((0..<2000).map { _ in logits.withUnsafeBufferPointer { all.sample($0) } }).count == logits.count)
    }
}
