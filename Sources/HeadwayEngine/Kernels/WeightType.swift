/// Storage formats of weight rows the kernels read, with GGML's exact block layouts (ggml-common.h).
///
/// Block-quantized types store 32 consecutive weights of a row per block:
/// - `q4_0`: `f16 d` + 16 bytes; weight `j` is the low nibble of byte `j`, weight `j + 16` the high nibble; value `(q - 8) · d`.
/// - `q4_1`: `f16 d`, `f16 m` + 16 bytes with the same nibble order; value `q · d + m`.
/// - `q8_0`: `f16 d` + 32 `int8`; value `q · d`.
/// `f16` and `f32` are plain little-endian elements (block of one).
public enum WeightType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case f32, f16, q4_0, q4_1, q8_0

    /// Weights per block.
    public var blockElements: Int {
        switch self {
        case .f32, .f16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }
    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16: 2
        case .q4_0: MemoryLayout<BlockQ4_0>.size
        case .q4_1: MemoryLayout<BlockQ4_1>.size
        case .q8_0: MemoryLayout<BlockQ8_0>.size
        }
    }
    /// Bytes of one row of `cols` weights (`cols` must be a multiple of `blockElements`).
    public func rowBytes(cols: Int) -> Int { cols / blockElements * blockBytes }
    public var description: String { rawValue.uppercased() }
}

/// Weights per quantization block (GGML `QK4_0 = QK4_1 = QK8_0 = 32`).
public let quantBlockElements = 32

/// GGML `block_q4_0`: 18 bytes.
public struct BlockQ4_0: Sendable {
    public var d: Float16
    public var qs: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
}

/// GGML `block_q4_1`: 20 bytes.
public struct BlockQ4_1: Sendable {
    public var d: Float16
    public var m: Float16
    public var qs: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
}

/// GGML `block_q8_0`: 34 bytes.
public struct BlockQ8_0: Sendable {
    public var d: Float16
    public var qs: (Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8,
                    Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8)
}
