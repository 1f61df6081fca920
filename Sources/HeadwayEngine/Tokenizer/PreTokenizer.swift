/// Splits text into words before BPE, as llama.cpp does for byte-level BPE vocabularies (`llm_tokenizer_bpe`).
///
/// - `gpt2`: the GPT-2 pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
/// - `digitsThenGPT2` (`smollm`, `starcoder`, …): first every `\p{N}` character becomes its own piece (HF
///   `Digits(individual_digits: true)`), then the GPT-2 pattern splits each remaining piece.
///
/// The pattern is matched by hand over Unicode scalar categories rather than with a regex engine.
/// `\p{L}` is general category L*, `\p{N}` is Nd/Nl/No, and `\s` is the White_Space property.
enum PreTokenizer: Sendable, Hashable {
    case gpt2
    case digitsThenGPT2

    /// `tokenizer.ggml.pre` values and the split each uses (llama.cpp `LLAMA_VOCAB_PRE_TYPE_*`).
    static let byName: [String: PreTokenizer] = [
        "gpt2": .gpt2, "mpt": .gpt2, "olmo": .gpt2,
        "smollm": .digitsThenGPT2, "starcoder": .digitsThenGPT2, "refact": .digitsThenGPT2,
        "command-r": .digitsThenGPT2, "codeshell": .digitsThenGPT2, "exaone": .digitsThenGPT2,
        "minerva-7b": .digitsThenGPT2,
    ]

    enum CharClass: UInt8 { case letter, number, whitespace, other }

    private static let asciiClass: [CharClass] = (0..<128).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case 0x09...0x0D, 0x20: .whitespace
        default: .other
        }
    }

    static func classify(_ s: Unicode.Scalar) -> CharClass {
        if s.value < 128 { return asciiClass[Int(s.value)] }
        let p = s.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Splits valid UTF-8 `bytes` into word byte ranges (relative to `bytes.startIndex`), in order, covering all bytes.
    func split(_ bytes: ArraySlice<UInt8>) -> [Range<Int>] {
        // Scalars with their categories and UTF-8 start offsets; `starts` has one extra entry for the end.
        var values: [UInt32] = []
        var classes: [CharClass] = []
        var starts: [Int] = []
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count + 1)
        var offset = 0
        for s in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            values.append(s.value)
            classes.append(Self.classify(s))
            starts.append(offset)
            offset += UTF8.width(s)
        }
        starts.append(offset)

        var words: [Range<Int>] = []
        words.reserveCapacity(values.count / 3 + 1)
        switch self {
        case .gpt2:
            Self.splitGPT2(values, classes, 0..<values.count) {
                words.append(starts[$0.lowerBound]..<starts[$0.upperBound])
            }
        case .digitsThenGPT2:
            var segmentStart = 0
            for i in 0..<values.count where classes[i] == .number {
                if segmentStart < i {
                    Self.splitGPT2(values, classes, segmentStart..<i) {
                        words.append(starts[$0.lowerBound]..<starts[$0.upperBound])
                    }
                }
                words.append(starts[i]..<starts[i + 1])
                segmentStart = i + 1
            }
            if segmentStart < values.count {
                Self.splitGPT2(values, classes, segmentStart..<values.count) {
                    words.append(starts[$0.lowerBound]..<starts[$0.upperBound])
                }
            }
        }
        return words
    }

    /// The GPT-2 pattern over scalars `range`; positions outside the range count as "no character".
    private static func splitGPT2(
        _ values: [UInt32], _ classes: [CharClass], _ range: Range<Int>, _ emit: (Range<Int>) -> Void
    ) {
        let end = range.upperBound
        func value(_ i: Int) -> UInt32? { i < end ? values[i] : nil }
        func cls(_ i: Int) -> CharClass? { i < end ? classes[i] : nil }
        let apostrophe = UInt32(UInt8(ascii: "'"))
        let space = UInt32(UInt8(ascii: " "))
        func ascii(_ c: Character) -> UInt32 { UInt32(c.asciiValue!) }

        var pos = range.lowerBound
        while pos < end {
            let start = pos
            let c = values[pos]
            // 's|'t|'re|'ve|'m|'ll|'d
            if c == apostrophe, let n = value(pos + 1) {
                if n == ascii("s") || n == ascii("t") || n == ascii("m") || n == ascii("d") {
                    pos += 2
                    emit(start..<pos)
                    continue
                }
                if let nn = value(pos + 2),
                    (n == ascii("r") && nn == ascii("e")) || (n == ascii("v") && nn == ascii("e"))
                        || (n == ascii("l") && nn == ascii("l"))
                {
                    pos += 3
                    emit(start..<pos)
                    continue
                }
            }
            // An optional leading space belongs to the following letter, number or symbol run.
            let lead = c == space ? pos + 1 : pos
            if let k = cls(lead), k != .whitespace {
                pos = lead
                if k == .other {
                    while let k2 = cls(pos), k2 == .other { pos += 1 }
                } else {
                    while cls(pos) == k { pos += 1 }
                }
                emit(start..<pos)
                continue
            }
            // \s+(?!\S) leaves the last space of a run for the next word; \s+ takes a run at the end.
            var spaces = 0
            while cls(pos + spaces) == .whitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < end {
                pos += spaces - 1
            } else if spaces > 0 {
                pos += spaces
            } else {
                pos += 1
            }
            emit(start..<pos)
        }
    }
}
