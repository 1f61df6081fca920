import HeadwayEngine
import HeadwayGGUF
import Testing

/// Token text ↔ id lookups (the tokenizer's hash table over the vocabulary's string table).
@Suite struct TokenizerVocabularyTests {
    @Test func everyTextFindsItsId() throws {
        let extra = (0..<5000).map { "w\($0)" } + ["Ġthe", "日本", String(repeating: "x", count: 40)]
        let t = try TinyVocab.tokenizer(TinyVocab.make(extra: extra))
        #expect(t.vocabSize == 256 + extra.count)
        for id in 0..<Int32(t.vocabSize) {
            let text = try #require(t.text(of: id))
            #expect(t.id(of: text) == id, "\(text)")
        }
        #expect(t.id(of: "w5000") == nil && t.id(of: "") == nil && t.id(of: "Ġthe ") == nil)
        #expect(t.text(of: -1) == nil && t.text(of: Int32(t.vocabSize)) == nil)
    }

    @Test func aRepeatedTextMapsToItsFirstId() throws {
        // "a" is byte token 97 and again id 256; "bc" appears at 257 and 258.
        let t = try TinyVocab.tokenizer(TinyVocab.make(extra: ["a", "bc", "bc"], merges: ["b c"]))
        #expect(t.id(of: "a") == 97 && t.id(of: "bc") == 257)
        #expect(t.encode("abc") == [97, 257])
    }
}
