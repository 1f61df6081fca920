import Foundation
import HeadwayEngine
import HeadwayGGUF
import Testing
import HeadwayTestSupport

/// The SmolLM2-135M tokenizer against llama.cpp's and Hugging Face's ids.
@Suite(.enabled(if: TestModel.isEnabled))
struct TokenizerTests {
    @Test func encodesPromptLikeLlamaCpp() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        for c in try TokenizerFixtures.llamaCpp().cases {
            #expect(tok.encode(c.prompt) == c.prompt_tokens, "\(c.prompt)")
            #expect(tok.encode(c.prompt, addSpecial: true) == c.prompt_tokens, "add_bos_token is false")
        }
        #expect(tok.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
    }

    @Test func decodesGreedyIdsLikeLlamaCpp() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let ids: [Int32] = [7042, 30, 198, 198, 504, 1797, 1918, 553, 253, 2155]
        #expect(tok.decode(ids) == " Paris.\n\nThe United States has a population")
        for c in try TokenizerFixtures.llamaCpp().cases {
            for (id, text) in zip(c.greedy_first_10, c.greedy_first_10_text) {
                #expect(String(decoding: tok.decodePiece(id), as: UTF8.self) == text, "token \(id)")
            }
        }
    }

    @Test func matchesHuggingFaceIdsOnTrickyStrings() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let reference = try TokenizerFixtures.huggingFace()
        #expect(reference.cases.count >= 60)
        for c in reference.cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids, "\(c.text.debugDescription): got \(ids), expected \(c.ids)")
        }
    }

    @Test func matchesHuggingFaceIdsOnRandomStrings() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let reference = try TokenizerFixtures.huggingFace(random: true)
        #expect(reference.cases.count == 400)
        for c in reference.cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids, "\(c.text.debugDescription): got \(ids), expected \(c.ids)")
            #expect(tok.decode(ids, renderSpecial: true) == c.text)
        }
    }

    static let tricky = [
        "12345", "I'm", "they'll've", "don't stop", "multiple   spaces", " leading", "trailing ", "\n\n\nnewlines\n",
        "tabs\t\tand\r\nCRLF", "naïve café", "e\u{301}", "emoji 🙂🚀👨‍👩‍👧‍👦", "日本語 中文 한국어", "العربية", "1,234.56",
        "<|im_start|>user\nhi<|im_end|>", "<|im_start|", "\u{0}\u{1}\u{7F} controls", "\u{FEFF}bom", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        String(repeating: "ab ", count: 200), "",
    ]

    @Test(arguments: tricky)
    func decodeInvertsEncode(_ text: String) throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        #expect(tok.decode(tok.encode(text), renderSpecial: true) == text)
        #expect(tok.decode(tok.encode(text, parseSpecial: false)) == text, "special tokens as plain text")
    }

    @Test func fixtureStringsRoundTrip() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        for c in try TokenizerFixtures.huggingFace().cases {
            #expect(tok.decode(tok.encode(c.text), renderSpecial: true) == c.text, "\(c.text.debugDescription)")
        }
    }

    @Test func specialTokensAndMetadata() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        #expect(tok.vocabSize == 49152 && tok.mergeCount == 48900)
        #expect(tok.bos == 1 && tok.eos == 2 && tok.padding == 2 && tok.unknown == 0 && tok.eot == 2)
        #expect(!tok.addBOS && !tok.addEOS && tok.preTokenizerName == "smollm")
        #expect(tok.text(of: 1) == "<|im_start|>" && tok.type(of: 1) == .control && tok.type(of: 504) == .normal)
        #expect(tok.id(of: "ĠParis") == 7042 && tok.text(of: 49152) == nil)
        #expect(tok.isEndOfGeneration(2) && !tok.isEndOfGeneration(7042))

        #expect(tok.encode("<|im_start|>user") == [1, 4093])
        let plain = tok.encode("<|im_start|>user", parseSpecial: false)
        #expect(!plain.contains(1) && plain.count > 2, "\(plain)")
        #expect(tok.decode([1, 4093, 2]) == "user", "control tokens are not rendered by default")
        #expect(tok.decode([1, 4093, 2], renderSpecial: true) == "<|im_start|>user<|im_end|>")
        #expect(tok.decode([-1, 49152, 504]) == "The", "ids outside the vocabulary decode to nothing")
    }

    @Test func digitsAreSplitOneByOne() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let ids = tok.encode("12345")
        #expect(ids.count == 5)
        #expect(ids.map { tok.decode([$0]) } == ["1", "2", "3", "4", "5"])
    }

    @Test func encodingAFewKilobytesTakesMilliseconds() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let texts = try TokenizerFixtures.huggingFace().cases.map(\.text)
        var text = ""
        while text.utf8.count < 8192 { text += texts.joined(separator: " ") }
        _ = tok.encode(text)
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { for _ in 0..<5 { ids = tok.encode(text) } } / 5
        #expect(tok.decode(ids, renderSpecial: true) == text)
        // Measured about 1-2 ms per 8 KB in release builds; the bound leaves room for a loaded machine.
        #expect(elapsed < .milliseconds(100), "encoding \(text.utf8.count) bytes took \(elapsed)")
    }
}
