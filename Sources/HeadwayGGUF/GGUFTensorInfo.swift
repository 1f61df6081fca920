/// One entry of a GGUF file's tensor index: where a tensor's bytes are and how to read them.
public struct GGUFTensorInfo: Sendable, Hashable {
    public let name: String
    /// Dimensions in GGUF order: `dimensions[0]` (ne[0]) is the fastest-varying one, i.e. the row length.
    /// A PyTorch weight of shape (out, in) is stored as `[in, out]`.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the tensor's data in the file (data section start + relative offset).
    public let offset: Int
    /// Bytes the tensor's data occupies: `elementCount / type.blockSize * type.typeSize`.
    public let byteCount: Int
    public let elementCount: Int

    public init(name: String, dimensions: [Int], type: GGMLType, offset: Int, byteCount: Int, elementCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
        self.elementCount = elementCount
    }

    /// Row length (ne[0]).
    public var rowLength: Int { dimensions.first ?? 1 }
    /// Number of rows: the product of all dimensions but the first (`GGUFFile` checks that it fits in `Int`; for an
    /// info made elsewhere an overflowing product saturates at `Int.max`).
    public var rowCount: Int {
        var rows = 1
        for n in dimensions.dropFirst() {
            let (p, overflow) = rows.multipliedReportingOverflow(by: n)
            if overflow { return Int.max }
            rows = p
        }
        return rows
    }
    /// Bytes of one row (rows are whole blocks).
    public var rowByteCount: Int { rowLength / type.blockSize * type.typeSize }
}
