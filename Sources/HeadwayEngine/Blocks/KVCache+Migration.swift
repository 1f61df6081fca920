/// What a staged migration needs of a cache besides snapshots: the positions appended since an earlier snapshot (the
/// short final copy), and a checksum to verify that the destination holds the very same bytes.
extension KVCache {
    /// The keys and values of positions `start ..< count` as F16 (per position: `headDim` key numbers, then `headDim`
    /// value numbers), or `nil` when one of them is no longer held in F16 (it aged into Q8_0 rows: take a snapshot).
    public func rowsSince(_ start: Int) -> [UInt8]? {
        precondition(start >= 0 && start <= count, "position \(start) outside 0...\(count)")
        for p in start..<count where slot(of: p) == nil { return nil }
        var out = [UInt8]()
        out.reserveCapacity((count - start) * 4 * headDim)
        for p in start..<count {
            out += storedBytes(p, value: false)
            out += storedBytes(p, value: true)
        }
        return out
    }

    /// Appends positions given as `rowsSince(count)` produced them on a cache that was equal to this one. The numbers
    /// go through `append`, so positions that age out of the F16 window are packed exactly as on the source.
    /// - Throws: `EngineError.Code.badCacheSnapshot` when the bytes are not whole positions or overflow the capacity.
    public mutating func appendRows(_ bytes: [UInt8]) throws(EngineError) {
        let hd = headDim
        let perPosition = 4 * hd
        guard bytes.count % perPosition == 0 else {
            throw EngineError(.badCacheSnapshot, "K/V rows of \(bytes.count) bytes are not whole positions of \(perPosition) bytes")
        }
        let n = bytes.count / perPosition
        guard n <= capacity - count else {
            throw EngineError(.badCacheSnapshot, "\(n) K/V rows do not fit: \(count) of \(capacity) positions used")
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hd) { tmp in
            let t = tmp.baseAddress!
            bytes.withUnsafeBytes { raw in
                let halves = raw.bindMemory(to: Float16.self)
                for r in 0..<n {
                    for i in 0..<(2 * hd) { t[i] = Float(halves[r * 2 * hd + i]) }
                    append(key: t, value: t + hd)
                }
            }
        }
    }

    /// A 64-bit checksum of the layout and every stored byte of the filled positions (FNV-1a over 8-byte words):
    /// equal caches give equal checksums.
    public var checksum: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ w: UInt64) { h = (h ^ w) &* 0x100_0000_01b3 }
        mix(UInt64(count))
        mix(UInt64(packedEnd))
        for value in [false, true] {
            for p in 0..<count {
                let b = storedBytes(p, value: value)
                var i = 0
                while i + 8 <= b.count {
                    mix(b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    i += 8
                }
                while i < b.count {
                    mix(UInt64(b[i]))
                    i += 1
                }
            }
        }
        return h
    }
}
