import Foundation
import HeadwayEngine
import Testing
import HeadwayTestSupport

/// The llama.cpp reference run recorded in `Tests/Fixtures/smollm2/llamacpp-reference.json`.
struct LlamaCppReference: Decodable {
    struct Case: Decodable {
        var prompt: String
        var prompt_tokens: [Int32]
        var greedy_first_10: [Int32]
        var top5_logits_first_generated: [[Double]]
        var top3_logits_per_prompt_position: [[[Double]]]
    }
    var cases: [Case]

    static func load() throws -> LlamaCppReference {
        let data = try Data(contentsOf: TestModel.fixture("smollm2/llamacpp-reference.json"))
        return try JSONDecoder().decode(LlamaCppReference.self, from: data)
    }
}

@Suite(.serialized) struct LlamaReferenceTests {
    static let tolerance: Float = 0.25

    /// With the F16 cache, and with the default format (whose F16 window holds these short sequences whole).
    @Test(.enabled(if: TestModel.isEnabled), arguments: [1, 2], [KVCacheFormat.f16, .standard])
    func greedyTokensAndLogitsMatchLlamaCpp(threads: Int, format: KVCacheFormat) throws {
        let model = try LlamaModel(path: try TestModel.requiredPath())
        let tokenizer = try Tokenizer(gguf: model.file)
        let reference = try LlamaCppReference.load()
        for c in reference.cases {
            let promptTokens = tokenizer.encode(c.prompt, addSpecial: true)
            #expect(promptTokens == c.prompt_tokens, "tokenizing '\(c.prompt)'")
            var session = LlamaSession(model: model, contextLength: 64, pool: WorkerPool(threads: threads), cacheFormat: format)
            let perPosition = try session.prefillAllLogits(promptTokens)
            for (pos, expected) in c.top3_logits_per_prompt_position.enumerated() {
                for pair in expected {
                    let got = perPosition[pos][Int(pair[0])]
                    #expect(abs(got - Float(pair[1])) <= Self.tolerance,
                            "position \(pos), token \(Int(pair[0])): \(got) vs llama.cpp \(pair[1])")
                }
                let top = perPosition[pos].indices.max { perPosition[pos][$0] < perPosition[pos][$1] }!
                #expect(top == Int(expected[0][0]), "position \(pos): argmax \(top) vs llama.cpp \(Int(expected[0][0]))")
            }
            let first = perPosition.last!
            for pair in c.top5_logits_first_generated {
                let got = first[Int(pair[0])]
                #expect(abs(got - Float(pair[1])) <= Self.tolerance,
                        "first generated, token \(Int(pair[0])): \(got) vs llama.cpp \(pair[1])")
            }
            var tokens: [Int32] = []
            var next = Int32(first.indices.max { first[$0] < first[$1] }!)
            for _ in 0..<c.greedy_first_10.count {
                tokens.append(next)
                next = Sampler.argmax(try session.decode(next))
            }
            #expect(tokens == c.greedy_first_10, "greedy tokens for '\(c.prompt)'")
        }
    }
}
