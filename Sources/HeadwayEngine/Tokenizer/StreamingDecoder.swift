/// Turns a stream of tokens into text as soon as it is valid UTF-8.
///
/// A token may end in the middle of a multi-byte character (byte-level BPE splits rare characters and emoji into
/// byte tokens); those bytes are held back until the character is complete.
///
/// ```swift
/// var stream = StreamingDecoder(tokenizer: tokenizer)
/// for token in generated { print(stream.append(token), terminator: "") }
/// print(stream.finish())
/// ```
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let renderSpecial: Bool
    /// Bytes of an incomplete trailing character (at most 3).
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Appends a token and returns the text it completes (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        append(bytes: tokenizer.decodePiece(token, renderSpecial: renderSpecial))
    }

    /// Appends raw bytes and returns the text they complete (possibly empty). Invalid sequences become U+FFFD.
    public mutating func append<C: Collection<UInt8>>(bytes: C) -> String {
        pending.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns what is left (an unfinished character becomes U+FFFD) and resets the decoder.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Whether bytes are held back waiting for the rest of a character.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Length of the prefix of `bytes` that does not end inside an unfinished (but so far valid) UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Find the last byte that is not a continuation byte (10xxxxxx), looking back at most 3 bytes.
        var i = n - 1
        while i >= 0 && i >= n - 4 && bytes[i] & 0xC0 == 0x80 { i -= 1 }
        guard i >= 0 && i >= n - 4 else { return n }
        let lead = bytes[i]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return n  // ASCII or an invalid lead: nothing to wait for
        }
        return n - i < length ? i : n
    }
}
