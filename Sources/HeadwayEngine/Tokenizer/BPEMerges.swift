/// BPE merge rules keyed by token ids, and the merge loop for one word.
///
/// A rule `left right` (rank = its index in `tokenizer.ggml.merges`) joins two adjacent symbols into the token
/// `left+right`. The word's symbols start as one byte-level token per byte; the lowest-ranked applicable rule is
/// applied first, the leftmost on ties (llama.cpp `llm_tokenizer_bpe_session`). Candidates sit in a binary heap and
/// are re-validated when popped, so a word of n bytes costs O(n log n).
struct BPEMerges: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let rules: [UInt64: UInt64]

    init(rules: [UInt64: UInt64]) { self.rules = rules }

    var count: Int { rules.count }

    /// The two parts of a rule's text `left right`: split at the first space after the first character.
    /// `nil` for a text shorter than 3 bytes or without such a space.
    static func parts(of text: UnsafeRawBufferPointer) -> (left: UnsafeRawBufferPointer, right: UnsafeRawBufferPointer)? {
        guard text.count >= 3, let space = text[1...].firstIndex(of: 0x20) else { return nil }
        return (UnsafeRawBufferPointer(rebasing: text[..<space]), UnsafeRawBufferPointer(rebasing: text[(space + 1)...]))
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    func rule(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let v = rules[Self.key(left, right)] else { return nil }
        return (UInt32(v >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: v)))
    }

    /// Merges `symbols` (token ids, one per byte) in place and appends the result to `output`.
    func apply(_ symbols: inout [Int32], into output: inout [Int32]) {
        let n = symbols.count
        if n == 1 {
            output.append(symbols[0])
            return
        }
        var next = [Int32](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = i + 1 < n ? Int32(i + 1) : -1 }
            count = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = Int32(i - 1) }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)
        // Heap entries: rank << 32 | left position; the minimum is the lowest rank, then the leftmost.
        var heap = MinHeap()
        heap.reserve(n)
        for i in 0..<(n - 1) {
            if let r = rule(symbols[i], symbols[i + 1]) { heap.push(UInt64(r.rank) << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let rank = UInt32(top >> 32)
            let left = Int(UInt32(truncatingIfNeeded: top))
            guard alive[left] else { continue }
            let right = Int(next[left])
            guard right >= 0, let r = rule(symbols[left], symbols[right]), r.rank == rank else { continue }
            symbols[left] = r.merged
            alive[right] = false
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = Int32(left) }
            let before = Int(prev[left])
            if before >= 0, let r2 = rule(symbols[before], symbols[left]) {
                heap.push(UInt64(r2.rank) << 32 | UInt64(before))
            }
            if after >= 0, let r2 = rule(symbols[left], symbols[Int(after)]) {
                heap.push(UInt64(r2.rank) << 32 | UInt64(left))
            }
        }
        var i = 0
        while i >= 0 {
            output.append(symbols[i])
            i = Int(next[i])
        }
    }
}

/// A binary min-heap of `UInt64`.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ v: UInt64) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] > items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
