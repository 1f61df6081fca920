import HeadwayEngine
import HeadwayGGUF
import Testing

/// BPE merging, pre-tokenization and special-token matching on tiny hand-made vocabularies.
@Suite struct TokenizerBPETests {
    func ids(_ s: String) -> [Int32] { s.utf8.map { Int32($0) } }

    @Test func lowestRankMergesFirst() throws {
        // "b c" outranks "a b": abc -> a + bc.
        let t1 = try TinyVocab.tokenizer(TinyVocab.make(extra: ["ab", "bc"], merges: ["b c", "a b"]))
        #expect(t1.encode("abc") == [Int32(UInt8(ascii: "a")), 257])
        let t2 = try TinyVocab.tokenizer(TinyVocab.make(extra: ["ab", "bc"], merges: ["a b", "b c"]))
        #expect(t2.encode("abc") == [256, Int32(UInt8(ascii: "c"))])
    }

    @Test func mergesChainAndTiesGoLeftmost() throws {
        let t = try TinyVocab.tokenizer(TinyVocab.make(extra: ["aa", "aaaa"], merges: ["a a", "aa aa"]))
        #expect(t.encode("aaa") == [256, 97], "leftmost pair first")
        #expect(t.encode("aaaa") == [257])
        #expect(t.encode("aaaaaaa") == [257, 256, 97])
        #expect(t.decode(t.encode("aaaaaaa")) == "aaaaaaa")
        let long = String(repeating: "a", count: 10_000)
        #expect(t.encode(long).count == 2500)
    }

    @Test func mergesNeverCrossWordBoundaries() throws {
        let w = TinyVocab.make(extra: ["aĠ", "Ġa", "12"], merges: ["a Ġ", "Ġ a", "1 2"])
        let smol = try TinyVocab.tokenizer(w)
        #expect(smol.encode("a a") == [97, 257], "words are 'a' and ' a'")
        #expect(smol.encode("12") == [49, 50], "smollm splits digits one by one")
        let gpt2 = try TinyVocab.tokenizer(
            TinyVocab.make(extra: ["aĠ", "Ġa", "12"], merges: ["a Ġ", "Ġ a", "1 2"], pre: "gpt2"))
        #expect(gpt2.encode("12") == [258], "gpt2 keeps digit runs together")
    }

    @Test func preTokenizerFollowsTheGPT2Pattern() throws {
        // With every byte a token and merges only inside words, word boundaries show as merged tokens.
        let extra = ["Ġ", "ĠĠ", "'s", "Ġhi", "hi", "!!", "Ġ!!", "ĊĊ"].filter { $0.count > 1 }
        let merges = ["Ġ Ġ", "' s", "h i", "Ġ hi", "! !", "Ġ !!", "Ċ Ċ"]
        let t = try TinyVocab.tokenizer(TinyVocab.make(extra: extra, merges: merges))
        func pieces(_ s: String) -> [String] { t.encode(s).map { t.decode([$0]) } }
        #expect(pieces("hi's") == ["hi", "'s"])
        #expect(pieces("hi  hi") == ["hi", " ", " hi"], "\\s+(?!\\S) leaves one space for the word")
        #expect(pieces("hi!! !!") == ["hi", "!!", " !!"])
        #expect(pieces("hi\n\nhi") == ["hi", "\n", "\n", "hi"])
        #expect(pieces("hi\n\n") == ["hi", "\n\n"], "trailing whitespace run stays whole")
        #expect(pieces("  ") == ["  "])
    }

    @Test func specialTokensAreCutOutLongestFirst() throws {
        let w = TinyVocab.make(specials: [("<s>", 3), ("<s><s>", 3), ("[U]", 4)])
        let t = try TinyVocab.tokenizer(w)
        #expect(t.encode("x<s><s>y<s>") == [120, 257, 121, 256])
        #expect(t.encode("x<s>", parseSpecial: false) == ids("x<s>"))
        #expect(t.encode("a[U]b", parseSpecial: false) == [97, 258, 98], "user-defined tokens always match")
        #expect(t.decode([97, 258, 256]) == "a[U]", "user-defined text renders, control does not")
        #expect(t.decode([97, 258, 256], renderSpecial: true) == "a[U]<s>")
    }

    @Test func addSpecialAddsBOSOnlyWhenTheModelAsks() throws {
        var w = TinyVocab.make(specials: [("<s>", 3)], bos: 256)
        #expect(try TinyVocab.tokenizer(w).encode("a", addSpecial: true) == [97])
        w.add("tokenizer.ggml.add_bos_token", .bool(true))
        let t = try TinyVocab.tokenizer(w)
        #expect(t.encode("a", addSpecial: true) == [256, 97] && t.encode("a") == [97] && t.bos == 256)
    }

    @Test func unsupportedOrInconsistentMetadataIsAnError() throws {
        func expectError(
            _ w: GGUFWriter, _ code: GGUFError.Code, _ mentions: [String],
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            do {
                _ = try TinyVocab.tokenizer(w)
                Issue.record("expected \(code)", sourceLocation: sourceLocation)
            } catch let e as GGUFError {
                #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
                for m in mentions + ["tiny.gguf"] {
                    #expect(e.message.contains(m), "'\(e.message)' should mention \(m)", sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        expectError(TinyVocab.make(model: "llama"), .unsupported, ["'llama'", "tokenizer.ggml.model"])
        expectError(TinyVocab.make(pre: "llama-bpe"), .unsupported, ["'llama-bpe'", "tokenizer.ggml.pre"])
        expectError(TinyVocab.make(types: [1, 1]), .invalidValue, ["token_type", "2 entries", "256"])
        expectError(TinyVocab.make(bos: 999), .invalidValue, ["bos_token_id", "999"])
        expectError(TinyVocab.make(merges: ["abc"]), .invalidValue, ["merges", "abc"])
        var noTokens = GGUFWriter()
        noTokens.add("tokenizer.ggml.model", .string("gpt2"))
        expectError(noTokens, .missingKey, ["tokenizer.ggml.tokens"])
    }
}
