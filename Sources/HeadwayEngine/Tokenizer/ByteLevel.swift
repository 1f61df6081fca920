/// GPT-2's byte-level alphabet: every byte maps to one printable Unicode character, so vocabularies can hold
/// arbitrary bytes as text. Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68
/// bytes map, in order, to U+0100, U+0101, … (so space 0x20 is `Ġ` U+0120 and newline 0x0A is `Ċ` U+010A).
enum ByteLevel {
    /// `character[b]` is the scalar standing for byte `b`.
    static let character: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                out[b] = Unicode.Scalar(UInt8(b))
            } else {
                out[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return out
    }()

    /// The inverse map: scalar value → byte.
    static let byte: [UInt32: UInt8] = {
        var out: [UInt32: UInt8] = [:]
        for (b, c) in character.enumerated() { out[c.value] = UInt8(b) }
        return out
    }()

    /// The bytes a byte-level token text stands for. Characters outside the alphabet (which a well-formed vocabulary
    /// does not contain) are kept as their own UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            if let b = byte[s.value] {
                out.append(b)
            } else {
                out.append(contentsOf: String(s).utf8)
            }
        }
        return out
    }

    /// The byte-level text for raw bytes.
    static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(character[Int(b)]) }
        return String(s)
    }
}
