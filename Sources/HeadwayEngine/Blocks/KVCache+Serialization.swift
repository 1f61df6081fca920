/// Byte form of an attention block's cache, for moving the block to another device.
///
/// Layout (little-endian): magic `HWKV`, version `u32 = 1`, layer `u32`, group `u32`, headDim `u32`, count `u32`,
/// then `count · headDim` F16 keys, then as many F16 values.
extension AttentionBlock {
    static let cacheMagic: [UInt8] = Array("HWKV".utf8)
    static let cacheVersion: UInt32 = 1
    static let cacheHeaderBytes = 24

    /// The cache's filled positions as bytes (see the layout above).
    public func serializedCache() -> [UInt8] {
        let n = cache.count * cache.headDim
        var out = [UInt8]()
        out.reserveCapacity(Self.cacheHeaderBytes + 4 * n)
        out += Self.cacheMagic
        for v in [Self.cacheVersion, UInt32(layer), UInt32(group), UInt32(cache.headDim), UInt32(cache.count)] {
            withUnsafeBytes(of: v.littleEndian) { out += $0 }
        }
        for h in cache.keys[0..<n] { withUnsafeBytes(of: h.bitPattern.littleEndian) { out += $0 } }
        for h in cache.values[0..<n] { withUnsafeBytes(of: h.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    /// Replaces the cache with one serialized by `serializedCache()` from the same layer and group.
    /// - Throws: `EngineError.Code.badCacheSnapshot` naming the mismatching field.
    public mutating func restoreCache(from bytes: [UInt8]) throws(EngineError) {
        func fail(_ why: String) -> EngineError {
            EngineError(.badCacheSnapshot, "K/V snapshot for block L\(layer).head_\(group): \(why)")
        }
        guard bytes.count >= Self.cacheHeaderBytes, Array(bytes[0..<4]) == Self.cacheMagic else {
            throw fail("missing 'HWKV' header (\(bytes.count) bytes)")
        }
        func u32(_ at: Int) -> Int {
            Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        let (version, l, g, hd, count) = (u32(4), u32(8), u32(12), u32(16), u32(20))
        guard version == Self.cacheVersion else { throw fail("version \(version), expected \(Self.cacheVersion)") }
        guard l == layer, g == group else { throw fail("snapshot is of block L\(l).head_\(g)") }
        guard hd == cache.headDim else { throw fail("head dimension \(hd), expected \(cache.headDim)") }
        guard count <= cache.capacity else { throw fail("\(count) positions exceed the capacity \(cache.capacity)") }
        let n = count * hd
        guard bytes.count == Self.cacheHeaderBytes + 4 * n else {
            throw fail("\(bytes.count) bytes, expected \(Self.cacheHeaderBytes + 4 * n) for \(count) positions")
        }
        var restored = KVCache(headDim: hd, capacity: cache.capacity)
        bytes.withUnsafeBytes { raw in
            restored.keys.withUnsafeMutableBufferPointer { k in
                restored.values.withUnsafeMutableBufferPointer { v in
                    for i in 0..<n {
                        k[i] = Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 24 + 2 * i, as: UInt16.self)))
                        v[i] = Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 24 + 2 * (n + i), as: UInt16.self)))
                    }
                }
            }
        }
        restored.count = count
        cache = restored
    }
}
