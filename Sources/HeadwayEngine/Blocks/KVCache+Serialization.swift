/// Byte form of an attention block's cache, for moving the block to another device.
///
/// Layout (little-endian): magic `HWKV`, then `u32` fields: version (= 2), layer, group, headDim, count, storage
/// (0 = F16, 1 = Q8_0), sink positions, recent positions, packedEnd (see `KVCache`); then the keys of positions
/// `0 ..< count` in order, then their values. A position takes `2 · headDim` bytes (F16) where the cache holds it in
/// F16 and one Q8_0 row (`headDim / 32 · 34` bytes) where it holds it in Q8_0, so a snapshot moves exactly the
/// cache's filled bytes and restores them bit for bit.
extension KVCache {
    static let cacheMagic: [UInt8] = Array("HWKV".utf8)
    static let cacheVersion: UInt32 = 2
    static let cacheHeaderBytes = 40

    /// The cache's filled positions as bytes (see the layout above), labelled with the block of `layer` and `group`.
    public func serialized(layer: Int, group: Int) -> [UInt8] {
        let c = self
        var out = [UInt8]()
        out.reserveCapacity(Self.cacheHeaderBytes + c.filledBytes)
        out += Self.cacheMagic
        for v in [Self.cacheVersion, UInt32(layer), UInt32(group), UInt32(c.headDim), UInt32(c.count), c.format.storage.code,
                  UInt32(c.format.sinkPositions), UInt32(c.format.recentPositions), UInt32(c.packedEnd)] {
            withUnsafeBytes(of: v.littleEndian) { out += $0 }
        }
        for value in [false, true] {
            for p in 0..<c.count { out += c.storedBytes(p, value: value) }  // F16 bytes are little-endian on x86-64 and arm64
        }
        return out
    }

    /// Replaces this cache's contents with one serialized by `serialized(layer:group:)` for the same layer and group,
    /// in the same cache format; the capacity stays this cache's.
    /// - Throws: `EngineError.Code.badCacheSnapshot` naming the mismatching field.
    public mutating func restore(from bytes: [UInt8], layer: Int, group: Int) throws(EngineError) {
        let cache = self
        func fail(_ why: String) -> EngineError {
            EngineError(.badCacheSnapshot, "K/V snapshot for block L\(layer).head_\(group): \(why)")
        }
        guard bytes.count >= 8, Array(bytes[0..<4]) == Self.cacheMagic else {
            throw fail("missing 'HWKV' header (\(bytes.count) bytes)")
        }
        func u32(_ at: Int) -> Int {
            Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        let version = u32(4)
        guard version == Self.cacheVersion else { throw fail("version \(version), expected \(Self.cacheVersion)") }
        guard bytes.count >= Self.cacheHeaderBytes else {
            throw fail("\(bytes.count) bytes, shorter than the \(Self.cacheHeaderBytes)-byte header")
        }
        let (l, g, hd, count) = (u32(8), u32(12), u32(16), u32(20))
        let (storageCode, sinks, recent, packedEnd) = (u32(24), u32(28), u32(32), u32(36))
        guard l == layer, g == group else { throw fail("snapshot is of block L\(l).head_\(g)") }
        guard hd == cache.headDim else { throw fail("head dimension \(hd), expected \(cache.headDim)") }
        guard count <= cache.capacity else { throw fail("\(count) positions exceed the capacity \(cache.capacity)") }
        guard let storage = KVCacheFormat.Storage(code: UInt32(storageCode)) else {
            throw fail("unknown storage code \(storageCode)")
        }
        let format = KVCacheFormat(storage: storage, sinkPositions: sinks, recentPositions: recent)
        // The raw fields too: an F16 format ignores sink and recent counts, but a snapshot writes them as 0.
        guard format == cache.format, sinks == cache.format.sinkPositions, recent == cache.format.recentPositions else {
            throw fail("cache format \(format) (\(sinks) sink and \(recent) recent positions in the header), this block's is \(cache.format)")
        }
        var restored = KVCache(headDim: hd, capacity: cache.capacity, format: format)
        guard restored.isValidLayout(count: count, packedEnd: packedEnd) else {
            throw fail("packedEnd \(packedEnd) is inconsistent with \(count) positions in format \(format)")
        }
        restored.count = count
        restored.packedEnd = packedEnd
        let expected = Self.cacheHeaderBytes + restored.filledBytes
        guard bytes.count == expected else {
            throw fail("\(bytes.count) bytes, expected \(expected) for \(count) positions")
        }
        var at = Self.cacheHeaderBytes
        bytes.withUnsafeBytes { raw in
            for value in [false, true] {
                for p in 0..<count {
                    let n = restored.storedBytes(p, value: value).count
                    restored.setStoredBytes(p, value: value, from: UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]))
                    at += n
                }
            }
        }
        self = restored
    }
}

extension KVCache {
    /// Whether `count` positions with Q8_0 rows up to `packedEnd` is a layout this cache can be in.
    func isValidLayout(count: Int, packedEnd: Int) -> Bool {
        guard count >= 0, count <= capacity else { return false }
        if format.storage == .f16 { return packedEnd == 0 }
        if count <= sinks { return packedEnd == sinks }
        if recent == 0 { return packedEnd == count }
        return packedEnd >= sinks && packedEnd <= count && count - packedEnd <= recent
    }
}
