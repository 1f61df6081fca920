/// The K/V cache of one attention group (one K/V head): for each position so far, the rotated key and the value,
/// `headDim` F16 numbers each. Storage for `capacity` positions is reserved up front but only touched as filled.
public struct KVCache: Sendable, Equatable {
    public let headDim: Int
    public let capacity: Int
    /// Positions filled.
    public internal(set) var count: Int
    /// `capacity × headDim`; entries past `count` are unspecified.
    var keys: [Float16]
    var values: [Float16]

    public init(headDim: Int, capacity: Int) {
        self.headDim = headDim
        self.capacity = capacity
        count = 0
        keys = KVCache.reserved(capacity * headDim)
        values = KVCache.reserved(capacity * headDim)
    }

    /// An array of `n` elements whose memory is not written (so not resident until used).
    private static func reserved(_ n: Int) -> [Float16] {
        [Float16](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
    }

    /// Appends one position's key and value (`headDim` floats each).
    @inline(__always)
    mutating func append(key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        precondition(count < capacity, "K/V cache full (\(capacity) positions)")
        let base = count * headDim
        keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                for i in 0..<headDim {
                    k[base + i] = Float16(key[i])
                    v[base + i] = Float16(value[i])
                }
            }
        }
        count += 1
    }

    /// Forgets every position from `position` on (e.g. to re-run a prompt suffix).
    public mutating func truncate(to position: Int) {
        precondition(position >= 0 && position <= count)
        count = position
    }

    public static func == (a: KVCache, b: KVCache) -> Bool {
        let n = a.count * a.headDim
        return a.headDim == b.headDim && a.count == b.count
            && a.keys[0..<n].elementsEqual(b.keys[0..<n], by: { $0.bitPattern == $1.bitPattern })
            && a.values[0..<n].elementsEqual(b.values[0..<n], by: { $0.bitPattern == $1.bitPattern })
    }
}
