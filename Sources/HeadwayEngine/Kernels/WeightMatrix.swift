/// A read-only `rows × cols` weight matrix in one of the `WeightType` layouts, row-major: row `r` starts at
/// `base + r · rowBytes`. In a loaded model it points into the memory-mapped GGUF file (GGUF `ne = [cols, rows]`);
/// `owner` keeps that memory alive.
public struct WeightMatrix: @unchecked Sendable {
    public let type: WeightType
    public let rows: Int
    public let cols: Int
    public let base: UnsafeRawPointer
    /// Bytes of one row.
    public let rowBytes: Int
    let owner: AnyObject?

    /// Wraps memory the caller keeps alive through `owner`.
    public init(type: WeightType, rows: Int, cols: Int, base: UnsafeRawPointer, owner: AnyObject?) {
        precondition(cols % type.blockElements == 0, "cols \(cols) is not a multiple of the \(type) block size")
        self.type = type
        self.rows = rows
        self.cols = cols
        self.base = base
        self.rowBytes = type.rowBytes(cols: cols)
        self.owner = owner
    }

    /// Copies `bytes` (as produced by `Quantize.matrix`) into memory owned by the matrix.
    public init(type: WeightType, rows: Int, cols: Int, bytes: [UInt8]) {
        precondition(bytes.count == rows * type.rowBytes(cols: cols), "byte count \(bytes.count) does not match \(rows)×\(cols) \(type)")
        let storage = ByteStorage(bytes)
        self.init(type: type, rows: rows, cols: cols, base: UnsafeRawPointer(storage.pointer), owner: storage)
    }

    /// Quantizes a row-major float matrix (test and tool helper).
    public init(quantizing values: [Float], rows: Int, cols: Int, as type: WeightType) {
        self.init(type: type, rows: rows, cols: cols, bytes: Quantize.matrix(values, rows: rows, cols: cols, as: type))
    }

    /// Start of row `r`.
    @inline(__always) public func row(_ r: Int) -> UnsafeRawPointer { base + r &* rowBytes }

    /// Bytes of the whole matrix.
    public var byteCount: Int { rows * rowBytes }
}

/// Heap bytes with a stable address, 64-byte aligned.
final class ByteStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }
    deinit { pointer.deallocate() }
}

extension WeightMatrix {
    /// The rows `range` as a matrix of their own (a view; no copy).
    public func rows(_ range: Range<Int>) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) out of 0..<\(rows)")
        return WeightMatrix(type: type, rows: range.count, cols: cols, base: row(range.lowerBound), owner: owner)
    }
}
