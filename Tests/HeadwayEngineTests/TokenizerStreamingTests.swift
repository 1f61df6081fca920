import HeadwayEngine
import HeadwayGGUF
import Testing
import HeadwayTestSupport

@Suite struct TokenizerStreamingTests {
    /// A tokenizer whose vocabulary is just the 256 byte tokens, so every byte is its own token.
    static func byteTokenizer() throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(bytes: TinyVocab.make().serialize(), name: "bytes.gguf"))
    }

    @Test func holdsBackSplitCharactersUntilComplete() throws {
        let tok = try Self.byteTokenizer()
        let text = "a🙂é日"
        let ids = tok.encode(text)
        #expect(ids.count == text.utf8.count, "one token per byte")
        var stream = StreamingDecoder(tokenizer: tok)
        let emitted = ids.map { stream.append($0) }
        #expect(emitted == ["a", "", "", "", "🙂", "", "é", "", "", "日"])
        #expect(!stream.hasPendingBytes && stream.finish() == "")
    }

    @Test func invalidAndUnfinishedBytesBecomeReplacementCharacters() {
        let tok = try! Self.byteTokenizer()
        var stream = StreamingDecoder(tokenizer: tok)
        #expect(stream.append(bytes: [0xFF, 0x41]) == "\u{FFFD}A")
        #expect(stream.append(bytes: [0xE6, 0x97]) == "")
        #expect(stream.hasPendingBytes)
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.append(bytes: [0xC3]) == "" && stream.append(bytes: [0x41]) == "\u{FFFD}A")
        #expect(stream.append(bytes: Array("xyz".utf8)) == "xyz")
    }

    @Test(.enabled(if: TestModel.isEnabled))
    func streamingTheRealModelMatchesDecode() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let text = "Emoji 🙂🚀, CJK 日本語, rare ∰ and 𝔘𝔫𝔦 — streamed."
        let ids = tok.encode(text)
        var stream = StreamingDecoder(tokenizer: tok)
        var out = ""
        var heldBack = 0
        for id in ids {
            let piece = stream.append(id)
            if piece.isEmpty { heldBack += 1 }
            out += piece
        }
        out += stream.finish()
        #expect(out == text)
        #expect(heldBack > 0, "some token ends inside a character")
    }
}
