import HeadwayGGUF

/// Token text → id, as a hash table of token ids over the vocabulary's own string table.
///
/// A `[String: Int32]` would hold a second copy of every token text (and a heap object for each one longer than 15
/// bytes); this table stores only ids, 4 bytes per slot, and compares candidates against `texts`. Open addressing with
/// linear probing, at most 3/4 full. When a text occurs more than once, the lowest id wins.
struct VocabularyIndex: Sendable {
    let texts: GGUFStringTable
    /// Token ids, or -1 for an empty slot; `slots.count` is a power of two.
    private let slots: [Int32]
    /// log2 of `slots.count`.
    private let bits: UInt64

    /// - Precondition: `texts.count < Int32.max`.
    init(texts: GGUFStringTable) {
        var capacity = 8
        while capacity * 3 < texts.count * 4 { capacity *= 2 }
        let bits = UInt64(capacity.trailingZeroBitCount)
        var slots = [Int32](repeating: -1, count: capacity)
        for id in texts.indices {
            texts.withUTF8(id) { text in
                var i = Self.slot(of: text, bits: bits)
                while slots[i] >= 0 {
                    if texts.withUTF8(Int(slots[i]), { $0.elementsEqual(text) }) { return }
                    i = (i + 1) & (capacity - 1)
                }
                slots[i] = Int32(id)
            }
        }
        self.texts = texts
        self.slots = slots
        self.bits = bits
    }

    /// The id of the token whose text is `utf8`.
    func id(of utf8: UnsafeRawBufferPointer) -> Int32? {
        let mask = slots.count - 1
        var i = Self.slot(of: utf8, bits: bits)
        while true {
            let id = slots[i]
            if id < 0 { return nil }
            if texts.withUTF8(Int(id), { $0.elementsEqual(utf8) }) { return id }
            i = (i + 1) & mask
        }
    }

    /// The id of the token whose text is `text`.
    func id(of text: String) -> Int32? {
        var text = text
        return text.withUTF8 { id(of: UnsafeRawBufferPointer($0)) }
    }

    /// FNV-1a of the bytes, spread by a Fibonacci multiplication; the top `bits` bits pick the slot.
    private static func slot(of bytes: UnsafeRawBufferPointer, bits: UInt64) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: (h &* 0x9e37_79b9_7f4a_7c15) >> (64 - bits))
    }
}
