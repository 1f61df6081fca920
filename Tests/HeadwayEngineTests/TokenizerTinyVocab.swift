import HeadwayEngine
import HeadwayGGUF

/// Tiny byte-level BPE vocabularies written with `GGUFWriter`, for tokenizer tests that need no model file.
///
/// Ids 0...255 are the byte tokens in byte order (id `b` stands for byte `b`), followed by `extra` tokens
/// (byte-level text, e.g. `Ġa` for " a") and then the special tokens.
enum TinyVocab {
    /// The byte-level character of a byte (`Ġ` for space), as GPT-2 vocabularies spell it.
    static func char(_ b: UInt8) -> String {
        var n: UInt32 = 256
        for x in 0..<256 {
            let printable = (0x21...0x7E).contains(x) || (0xA1...0xAC).contains(x) || (0xAE...0xFF).contains(x)
            if x == Int(b) { return String(Unicode.Scalar(printable ? UInt32(x) : n)!) }
            if !printable { n += 1 }
        }
        fatalError()
    }

    static func make(
        extra: [String] = [], merges: [String] = [], specials: [(String, Int32)] = [], pre: String? = "smollm",
        model: String = "gpt2", bos: UInt32? = nil, types: [Int32]? = nil
    ) -> GGUFWriter {
        let tokens = (0..<256).map { char(UInt8($0)) } + extra + specials.map(\.0)
        var w = GGUFWriter()
        w.add("tokenizer.ggml.model", .string(model))
        if let pre { w.add("tokenizer.ggml.pre", .string(pre)) }
        w.add("tokenizer.ggml.tokens", .array(.strings(tokens)))
        let t = types ?? (Array(repeating: 1, count: 256 + extra.count) + specials.map(\.1))
        w.add("tokenizer.ggml.token_type", .array(GGUFArray(t.map(GGUFValue.int32))))
        w.add("tokenizer.ggml.merges", .array(.strings(merges)))
        if let bos { w.add("tokenizer.ggml.bos_token_id", .uint32(bos)) }
        return w
    }

    static func tokenizer(_ w: GGUFWriter) throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(bytes: w.serialize(), name: "tiny.gguf"))
    }
}
