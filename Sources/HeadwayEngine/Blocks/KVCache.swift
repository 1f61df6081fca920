/// The K/V cache of one attention group (one K/V head): for each position so far, the rotated key and the value,
/// `headDim` numbers each, stored as its `KVCacheFormat` says. Storage for `capacity` positions is reserved up front
/// but only touched as filled, so resident memory follows the positions in use.
///
/// Where position `p` lives:
/// - `f16` format: F16 slot `p`.
/// - `q8_0` format: F16 slot `p` when `p < sinks`; Q8_0 row `p` when `sinks ≤ p < packedEnd`; otherwise (the most
///   recent positions, at most `recent` of them) F16 slot `sinks + (p − sinks) mod recent`, a ring. Appending a
///   position to a full ring first moves the ring's oldest position to its Q8_0 row.
public struct KVCache: Sendable, Equatable {
    public let headDim: Int
    public let capacity: Int
    public let format: KVCacheFormat
    /// Positions filled.
    public internal(set) var count: Int
    /// For `q8_0`: positions `sinks ..< packedEnd` are in Q8_0 rows (`packedEnd == sinks` when none are).
    public internal(set) var packedEnd: Int
    /// F16 slots (`format.fullSlots(capacity:) × headDim` keys and values) and Q8_0 rows (`capacity × rowBytes`
    /// for `q8_0`, none for `f16`); unfilled entries are unspecified. Shared between copies until one is mutated.
    private(set) var storage: KVStorage

    /// - Precondition: for `q8_0`, `headDim` is a multiple of 32 (see `KVCacheFormat.supports(headDim:)`).
    public init(headDim: Int, capacity: Int, format: KVCacheFormat = .f16) {
        precondition(format.supports(headDim: headDim), "format \(format) needs a head dimension that is a multiple of 32, not \(headDim)")
        self.headDim = headDim
        self.capacity = capacity
        self.format = format
        count = 0
        packedEnd = format.storage == .f16 ? 0 : min(format.sinkPositions, capacity)
        storage = KVStorage(
            slots: format.fullSlots(capacity: capacity), headDim: headDim,
            rows: format.storage == .f16 ? 0 : capacity, rowBytes: KVCacheFormat.packedRowBytes(headDim: headDim))
    }

    /// Makes `storage` this value's own before a mutation (copy on write).
    private mutating func makeUnique() {
        guard !isKnownUniquelyReferenced(&storage) else { return }
        storage = storage.copy(slotCount: min(count, storage.slots), rowCount: format.storage == .f16 ? 0 : packedEnd)
    }

    var sinks: Int { format.storage == .f16 ? 0 : min(format.sinkPositions, capacity) }
    var recent: Int { format.recentPositions }
    var rowBytes: Int { KVCacheFormat.packedRowBytes(headDim: headDim) }

    /// The F16 slot of position `p`, or `nil` when `p` is in a Q8_0 row.
    func slot(of p: Int) -> Int? {
        if format.storage == .f16 || p < sinks { return p }
        if p < packedEnd { return nil }
        return sinks + (p - sinks) % recent
    }

    /// Bytes held for the filled positions (what a migration moves, before framing).
    public var filledBytes: Int {
        let packed = format.storage == .f16 ? 0 : max(0, packedEnd - sinks)
        return 2 * ((count - packed) * 2 * headDim + packed * rowBytes)
    }

    /// Appends one position's key and value (`headDim` floats each).
    @inline(__always)
    mutating func append(key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        precondition(count < capacity, "K/V cache full (\(capacity) positions)")
        makeUnique()
        let p = count
        if format.storage == .q8_0 && p >= sinks {
            if recent == 0 {
                packRow(p, key: key, value: value)
                packedEnd = p + 1
                count += 1
                return
            }
            if p - packedEnd == recent { packOldestRecent() }
        }
        let base = slot(of: p)! * headDim
        let (k, v) = (storage.keys, storage.values)
        Kernels.storeHalves(key, count: headDim, into: k + base)
        Kernels.storeHalves(value, count: headDim, into: v + base)
        count += 1
    }

    /// Appends one position (plain-vector form, for tests and tools).
    public mutating func append(key: [Float], value: [Float]) {
        precondition(key.count == headDim && value.count == headDim, "key/value of \(key.count)/\(value.count) numbers, expected \(headDim)")
        key.withUnsafeBufferPointer { k in
            value.withUnsafeBufferPointer { v in append(key: k.baseAddress!, value: v.baseAddress!) }
        }
    }

    /// Softmax attention of one query (`headDim` floats, rounded to F16 as the engine does) over the first `length`
    /// positions, with the engine's kernel (`kernels`, or the set in use; plain-vector form, for tests).
    public func attention(query: [Float], length: Int, kernels: KernelSet? = nil) -> [Float] {
        precondition(query.count == headDim && length >= 1 && length <= count)
        let q = query.map { Float(Float16($0)) }
        var scores = [Float](repeating: 0, count: length)
        var out = [Float](repeating: 0, count: headDim)
        Kernels.attend(view(), query: q, length: length, scores: &scores, out: &out, kernels: kernels)
        return out
    }

    /// Moves position `packedEnd` from its F16 ring slot to its Q8_0 row.
    private mutating func packOldestRecent() {
        let p = packedEnd
        let base = slot(of: p)! * headDim
        let hd = headDim
        let (k, v) = (storage.keys, storage.values)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hd) { tmp in
            let t = tmp.baseAddress!
            Kernels.loadHalves(k + base, count: hd, into: t)
            Kernels.loadHalves(v + base, count: hd, into: t + hd)
            packRow(p, key: t, value: t + hd)
        }
        packedEnd = p + 1
    }

    private mutating func packRow(_ p: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        Kernels.quantizeQ8_0(key, count: headDim, into: storage.packedKeys + p * rowBytes)
        Kernels.quantizeQ8_0(value, count: headDim, into: storage.packedValues + p * rowBytes)
    }

    /// Forgets every position from `position` on (e.g. to re-run a prompt suffix). Positions already moved to Q8_0
    /// stay there.
    public mutating func truncate(to position: Int) {
        precondition(position >= 0 && position <= count)
        count = position
        packedEnd = max(sinks, min(packedEnd, position))
    }

    /// The key and value of position `p` as floats (for tests; slow).
    public func entry(_ p: Int) -> (key: [Float], value: [Float]) {
        precondition(p >= 0 && p < count, "position \(p) is not filled (\(count) are)")
        let (hd, type): (Int, WeightType) = (headDim, slot(of: p) != nil ? .f16 : .q8_0)
        func floats(value: Bool) -> [Float] {
            [Float](unsafeUninitializedCapacity: hd) { out, n in
                Kernels.dequantizeRowReference(type, storedBytes(p, value: value).baseAddress!, count: hd, into: out.baseAddress!)
                n = hd
            }
        }
        return (floats(value: false), floats(value: true))
    }

    /// The stored bytes of position `p`'s key or value: `2 · headDim` bytes of F16 or one Q8_0 row.
    func storedBytes(_ p: Int, value: Bool) -> UnsafeRawBufferPointer {
        if let s = slot(of: p) {
            return UnsafeRawBufferPointer(start: (value ? storage.values : storage.keys) + s * headDim, count: 2 * headDim)
        }
        return UnsafeRawBufferPointer(start: (value ? storage.packedValues : storage.packedKeys) + p * rowBytes, count: rowBytes)
    }

    /// Overwrites the stored bytes of position `p`'s key or value (layout set up by the caller; snapshots).
    mutating func setStoredBytes(_ p: Int, value: Bool, from bytes: UnsafeRawBufferPointer) {
        makeUnique()
        let target = UnsafeMutableRawBufferPointer(mutating: storedBytes(p, value: value))
        precondition(bytes.count == target.count)
        target.copyMemory(from: bytes)
    }

    /// A raw view for the attention kernel, valid while this cache is neither mutated nor released.
    func view() -> KVCacheView {
        KVCacheView(
            keys: UnsafeRawPointer(storage.keys), values: UnsafeRawPointer(storage.values),
            packedKeys: UnsafeRawPointer(storage.packedKeys), packedValues: UnsafeRawPointer(storage.packedValues),
            headDim: headDim, isPacked: format.storage == .q8_0, sinks: sinks, recent: recent, packedEnd: packedEnd)
    }

    /// Same format, same positions, and bit-identical stored numbers.
    public static func == (a: KVCache, b: KVCache) -> Bool {
        guard a.headDim == b.headDim, a.format == b.format, a.count == b.count, a.packedEnd == b.packedEnd else { return false }
        for p in 0..<a.count {
            for value in [false, true] where !a.storedBytes(p, value: value).elementsEqual(b.storedBytes(p, value: value)) {
                return false
            }
        }
        return true
    }
}

extension KVCacheFormat {
    /// Whether a cache of this format can hold heads of `headDim` numbers (Q8_0 needs whole blocks of 32).
    public func supports(headDim: Int) -> Bool { storage == .f16 || headDim % 32 == 0 }
}
