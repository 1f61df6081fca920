import HeadwayGGUF

/// Byte-level BPE tokenizer read from a GGUF file (`tokenizer.ggml.model = gpt2`), matching llama.cpp's.
///
/// Encoding: special tokens are cut out of the text first (control tokens only when `parseSpecial`), the rest is split
/// into words by the pre-tokenizer named in `tokenizer.ggml.pre` (see `PreTokenizer`), and each word's bytes are merged
/// with the ranked rules of `tokenizer.ggml.merges`. Decoding maps token texts back through the byte-level alphabet.
public struct Tokenizer: Sendable {
    /// Number of entries in `tokenizer.ggml.tokens`.
    public var vocabSize: Int { texts.count }
    public let bos: Int32?
    public let eos: Int32?
    /// End-of-turn token (`tokenizer.ggml.eot_token_id`, else a control token spelled `<|im_end|>`, `<|eot_id|>`, …).
    public let eot: Int32?
    public let padding: Int32?
    public let unknown: Int32?
    /// `tokenizer.ggml.add_bos_token` (default false for byte-level BPE); applied by `encode(_:addSpecial:)`.
    public let addBOS: Bool
    /// `tokenizer.ggml.add_eos_token` (default false).
    public let addEOS: Bool
    /// `tokenizer.ggml.pre`, as read.
    public let preTokenizerName: String

    /// The token texts: the table `file` holds for `tokenizer.ggml.tokens`, shared rather than copied.
    private let texts: GGUFStringTable
    private let types: [TokenType]
    private let ids: VocabularyIndex
    private let merges: BPEMerges
    private let preTokenizer: PreTokenizer
    /// The token standing for each single byte (its byte-level character), or -1.
    private let byteTokens: [Int32]
    /// Special tokens matched in text before BPE, longest first.
    private let specials: [(id: Int32, bytes: [UInt8], alwaysMatched: Bool)]
    /// Decoded bytes of every token, flat: token `i` is `pieceBytes[pieceStarts[i]..<pieceStarts[i + 1]]`.
    private let pieceBytes: [UInt8]
    private let pieceStarts: [Int32]

    /// Reads the vocabulary, merges, token types and special ids from `file`'s metadata.
    /// - Throws: `GGUFError` naming the key: `.missingKey`, `.invalidValue` (wrong type, ids out of range, lengths
    ///   that disagree), `.unsupported` (a tokenizer model other than `gpt2`, or an unknown pre-tokenizer).
    public init(gguf file: GGUFFile) throws {
        let model = try file.requiredString(GGUFKey.tokenizerModel)
        guard model == "gpt2" else {
            throw GGUFError(
                .unsupported,
                "\(file.name): tokenizer model '\(model)' (\(GGUFKey.tokenizerModel)) is not supported; only 'gpt2' (byte-level BPE) is"
            )
        }
        preTokenizerName = file.string(GGUFKey.tokenizerPre) ?? "gpt2"
        guard let pre = PreTokenizer.byName[preTokenizerName] else {
            throw GGUFError(
                .unsupported,
                "\(file.name): pre-tokenizer '\(preTokenizerName)' (\(GGUFKey.tokenizerPre)) is not supported; known: \(PreTokenizer.byName.keys.sorted().joined(separator: ", "))"
            )
        }
        preTokenizer = pre

        let texts = try file.requiredStringTable(GGUFKey.tokens)
        self.texts = texts
        guard !texts.isEmpty, texts.count < Int(Int32.max) else {
            throw GGUFError(.invalidValue, "\(file.name): '\(GGUFKey.tokens)' has \(texts.count) entries")
        }
        // Token ids and piece offsets are 32-bit.
        guard texts.utf8Count < Int(Int32.max) else {
            throw GGUFError(.invalidValue, "\(file.name): '\(GGUFKey.tokens)' holds \(texts.utf8Count) bytes of text; at most \(Int32.max) are supported")
        }
        if file.value(GGUFKey.tokenTypes) != nil {
            let raw = try file.requiredIntArray(GGUFKey.tokenTypes)
            guard raw.count == texts.count else {
                throw GGUFError(
                    .invalidValue,
                    "\(file.name): '\(GGUFKey.tokenTypes)' has \(raw.count) entries but '\(GGUFKey.tokens)' has \(texts.count)"
                )
            }
            types = raw.map { Int32(exactly: $0).flatMap(TokenType.init(rawValue:)) ?? .undefined }
        } else {
            types = Array(repeating: .normal, count: texts.count)
        }
        let tokenTypes = self.types

        let ids = VocabularyIndex(texts: texts)
        self.ids = ids

        let count = texts.count
        func specialID(_ key: String) throws -> Int32? {
            guard file.value(key) != nil else { return nil }
            let v = try file.requiredInt(key)
            guard (0..<count).contains(v) else {
                throw GGUFError(.invalidValue, "\(file.name): '\(key)' = \(v) is outside the vocabulary (0..<\(count))")
            }
            return Int32(v)
        }
        bos = try specialID(GGUFKey.bosTokenID)
        eos = try specialID(GGUFKey.eosTokenID)
        padding = try specialID(GGUFKey.paddingTokenID)
        unknown = try specialID(GGUFKey.unknownTokenID)
        let eotCandidates = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"]
        eot =
            try specialID("tokenizer.ggml.eot_token_id")
            ?? eotCandidates.lazy.compactMap { ids.id(of: $0) }.first { tokenTypes[Int($0)] == .control }
        addBOS = file.bool(GGUFKey.addBOS) ?? false
        addEOS = file.bool(GGUFKey.addEOS) ?? false

        let mergeTexts = try file.requiredStringTable(GGUFKey.merges)
        var rules: [UInt64: UInt64] = [:]
        rules.reserveCapacity(mergeTexts.count)
        var joined: [UInt8] = []
        for rank in mergeTexts.indices {
            let rule: (left: Int32, right: Int32, merged: Int32)? = try mergeTexts.withUTF8(rank) { text in
                guard let (left, right) = BPEMerges.parts(of: text) else {
                    throw GGUFError(
                        .invalidValue,
                        "\(file.name): '\(GGUFKey.merges)'[\(rank)] = \"\(mergeTexts[rank])\" is not 'left right'")
                }
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: left)
                joined.append(contentsOf: right)
                // Rules whose parts or result are not tokens can never fire on token ids; the vocabulary makes them moot.
                guard let l = ids.id(of: left), let r = ids.id(of: right),
                    let merged = joined.withUnsafeBytes({ ids.id(of: $0) })
                else { return nil }
                return (l, r, merged)
            }
            guard let (l, r, merged) = rule else { continue }
            let key = BPEMerges.key(l, r)
            if rules[key] == nil { rules[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)) }
        }
        merges = BPEMerges(rules: rules)

        byteTokens = (0..<256).map { ids.id(of: String(ByteLevel.character[$0])) ?? -1 }

        specials = texts.indices
            .filter { [.control, .userDefined, .unknown].contains(tokenTypes[$0]) && !texts.utf8($0).isEmpty }
            .map { (Int32($0), Array(texts.utf8($0)), tokenTypes[$0] == .userDefined) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }

        var pieceBytes: [UInt8] = []
        pieceBytes.reserveCapacity(texts.utf8Count)  // a byte-level character stands for one byte, so this is enough
        var pieceStarts: [Int32] = [0]
        pieceStarts.reserveCapacity(count + 1)
        for (i, type) in tokenTypes.enumerated() {
            if type == .normal || type == .undefined || type == .unused || type == .byte {
                pieceBytes.append(contentsOf: ByteLevel.decode(texts[i]))
            } else {
                pieceBytes.append(contentsOf: texts.utf8(i))
            }
            pieceStarts.append(Int32(pieceBytes.count))
        }
        self.pieceBytes = pieceBytes
        self.pieceStarts = pieceStarts
    }

    // MARK: Vocabulary

    /// The vocabulary text of a token (byte-level form for normal tokens, e.g. `ĠParis`).
    public func text(of token: Int32) -> String? {
        texts.indices.contains(Int(token)) ? texts[Int(token)] : nil
    }

    public func type(of token: Int32) -> TokenType? {
        types.indices.contains(Int(token)) ? types[Int(token)] : nil
    }

    /// The id of the token whose vocabulary text is `text`.
    public func id(of text: String) -> Int32? { ids.id(of: text) }

    /// Whether generation should stop at `token`: the end-of-sequence or end-of-turn token.
    public func isEndOfGeneration(_ token: Int32) -> Bool { token == eos || token == eot }

    /// Number of merge rules in use.
    public var mergeCount: Int { merges.count }

    // MARK: Encoding

    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the model asks (`tokenizer.ggml.add_bos_token` / `add_eos_token`).
    ///   - parseSpecial: match control tokens such as `<|im_start|>` written in `text` as single tokens;
    ///     when false they are tokenized as ordinary text. User-defined tokens are always matched.
    /// - Complexity: O(n log n) in the length of the text.
    public func encode(_ text: String, addSpecial: Bool = false, parseSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecial, addBOS, let bos { out.append(bos) }
        let bytes = Array(text.utf8)
        var symbols: [Int32] = []
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
            case .text(let range):
                for word in preTokenizer.split(bytes[range]) {
                    symbols.removeAll(keepingCapacity: true)
                    for b in bytes[(range.lowerBound + word.lowerBound)..<(range.lowerBound + word.upperBound)] {
                        let t = byteTokens[Int(b)]
                        if t >= 0 {
                            symbols.append(t)
                        } else if let unknown {
                            symbols.append(unknown)
                        }
                    }
                    if !symbols.isEmpty { merges.apply(&symbols, into: &out) }
                }
            }
        }
        if addSpecial, addEOS, let eos { out.append(eos) }
        return out
    }

    private enum Fragment {
        case token(Int32)
        case text(Range<Int>)
    }

    /// Cuts special tokens out of `bytes`, longest tokens first (llama.cpp `tokenizer_st_partition`).
    private func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in specials where parseSpecial || special.alwaysMatched {
            let needle = special.bytes
            let first = needle[0]
            var updated: [Fragment] = []
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment, range.count >= needle.count else {
                    updated.append(fragment)
                    continue
                }
                var start = range.lowerBound
                var i = range.lowerBound
                while i + needle.count <= range.upperBound {
                    if bytes[i] == first && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                        if start < i { updated.append(.text(start..<i)) }
                        updated.append(.token(special.id))
                        i += needle.count
                        start = i
                        changed = true
                    } else {
                        i += 1
                    }
                }
                if start < range.upperBound { updated.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = updated }
        }
        return fragments
    }

    // MARK: Decoding

    /// The bytes `token` stands for (possibly part of a UTF-8 sequence). Control tokens give their text only when
    /// `renderSpecial`; ids outside the vocabulary give no bytes.
    public func decodePiece(_ token: Int32, renderSpecial: Bool = false) -> ArraySlice<UInt8> {
        let i = Int(token)
        guard i >= 0, i < texts.count else { return [] }
        if !renderSpecial, types[i] == .control || types[i] == .unknown { return [] }
        return pieceBytes[Int(pieceStarts[i])..<Int(pieceStarts[i + 1])]
    }

    /// The text of `tokens`; invalid UTF-8 (a sequence cut off by the last token) becomes U+FFFD.
    public func decode(_ tokens: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for t in tokens { bytes.append(contentsOf: decodePiece(t, renderSpecial: renderSpecial)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
