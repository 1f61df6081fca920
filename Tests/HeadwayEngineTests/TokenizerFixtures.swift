import Foundation
import HeadwayEngine
import HeadwayGGUF
import HeadwayTestSupport

/// The real SmolLM2 tokenizer (loaded once) and the reference fixtures under `Tests/Fixtures/smollm2/`.
enum TokenizerFixtures {
    static let model: Result<GGUFFile, any Error> = Result { try GGUFFile(path: try TestModel.requiredPath()) }
    static let tokenizer: Result<Tokenizer, any Error> = Result { try Tokenizer(gguf: try model.get()) }

    struct LlamaCppReference: Decodable {
        struct Case: Decodable {
            var prompt: String
            var prompt_tokens: [Int32]
            var greedy_first_10: [Int32]
            var greedy_first_10_text: [String]
        }
        var cases: [Case]
    }

    struct TokenizerReference: Decodable {
        struct Case: Decodable {
            var text: String
            var ids: [Int32]
        }
        var cases: [Case]
    }

    static func llamaCpp() throws -> LlamaCppReference {
        try JSONDecoder().decode(
            LlamaCppReference.self, from: Data(contentsOf: TestModel.fixture("smollm2/llamacpp-reference.json")))
    }

    /// Ids from Hugging Face `tokenizers` (see `make-tokenizer-reference.py` next to the fixture).
    /// `random`: 400 seeded random strings (`make-random-texts.py`) instead of the hand-picked ones.
    static func huggingFace(random: Bool = false) throws -> TokenizerReference {
        let name = random ? "tokenizer-reference-random.json" : "tokenizer-reference.json"
        return try JSONDecoder().decode(
            TokenizerReference.self, from: Data(contentsOf: TestModel.fixture("smollm2/\(name)")))
    }
}
