#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory of one `KVCache`: F16 slots for keys and values, and Q8_0 rows for keys and values, in one anonymous
/// private mapping made for the whole capacity at once.
///
/// Why `mmap` and not arrays: a page of an anonymous mapping becomes resident only when first written and returns to
/// the system when the mapping is removed, so a cache costs memory in proportion to the positions filled, whatever
/// the allocator did before (a `malloc`ed buffer may reuse pages another session already touched).
final class KVStorage: @unchecked Sendable {
    let slots: Int
    let headDim: Int
    let rows: Int
    let rowBytes: Int
    let keys: UnsafeMutablePointer<Float16>
    let values: UnsafeMutablePointer<Float16>
    let packedKeys: UnsafeMutableRawPointer
    let packedValues: UnsafeMutableRawPointer
    private let base: UnsafeMutableRawPointer
    private let byteCount: Int

    /// Room for `slots` F16 positions and `rows` Q8_0 rows of `rowBytes`, keys and values each.
    init(slots: Int, headDim: Int, rows: Int, rowBytes: Int) {
        self.slots = slots
        self.headDim = headDim
        self.rows = rows
        self.rowBytes = rowBytes
        let full = (2 * slots * headDim + 63) / 64 * 64
        let packed = (rows * rowBytes + 63) / 64 * 64
        byteCount = max(2 * full + 2 * packed, 1)
        guard let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            // Address space, not memory: only an exhausted address space or a mapping limit gets here.
            fatalError("K/V cache: cannot reserve \(byteCount) bytes of address space (errno \(errno))")
        }
        base = p
        keys = p.bindMemory(to: Float16.self, capacity: slots * headDim)
        values = (p + full).bindMemory(to: Float16.self, capacity: slots * headDim)
        packedKeys = p + 2 * full
        packedValues = p + 2 * full + packed
    }

    deinit { munmap(base, byteCount) }

    /// A copy holding the first `slotCount` F16 slots and the first `rowCount` Q8_0 rows (the rest stays untouched).
    func copy(slotCount: Int, rowCount: Int) -> KVStorage {
        let c = KVStorage(slots: slots, headDim: headDim, rows: rows, rowBytes: rowBytes)
        c.keys.update(from: keys, count: slotCount * headDim)
        c.values.update(from: values, count: slotCount * headDim)
        c.packedKeys.copyMemory(from: packedKeys, byteCount: rowCount * rowBytes)
        c.packedValues.copyMemory(from: packedValues, byteCount: rowCount * rowBytes)
        return c
    }
}
