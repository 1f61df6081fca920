/// GGML tensor element types, with the ids GGUF stores (ggml.h `enum ggml_type`).
///
/// Ids 4, 5 (Q4_2, Q4_3) and 31–33, 36–38 (repacked layouts) were removed from GGML and are not valid in files.
public enum GGMLType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_XXS = 16
    case iq2_XS = 17
    case iq3_XXS = 18
    case iq1_S = 19
    case iq4_NL = 20
    case iq3_S = 21
    case iq2_S = 22
    case iq4_XS = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_M = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39
    case nvfp4 = 40
    case q1_0 = 41

    /// The name GGML and gguf-py use (`Q4_1`, `IQ2_XXS`, `BF16`).
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq3_XXS: "IQ3_XXS"
        case .iq1_S: "IQ1_S"
        case .iq4_NL: "IQ4_NL"
        case .iq3_S: "IQ3_S"
        case .iq2_S: "IQ2_S"
        case .iq4_XS: "IQ4_XS"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .f64: "F64"
        case .iq1_M: "IQ1_M"
        case .bf16: "BF16"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        case .nvfp4: "NVFP4"
        case .q1_0: "Q1_0"
        }
    }

    /// Elements per block (1 for plain scalar types, 32 for Q4_0…Q8_1, 256 for the K-quants).
    public var blockSize: Int { layout.elements }

    /// Bytes per block (Q4_1: 2 + 2 + 16 = 20; Q8_0: 2 + 32 = 34).
    public var typeSize: Int { layout.bytes }

    /// Average storage in bytes per element: `typeSize / blockSize` (Q4_1: 0.625, Q8_0: 1.0625).
    public var bytesPerElement: Double { Double(typeSize) / Double(blockSize) }

    /// Whether the type stores elements in blocks with shared scales.
    public var isQuantized: Bool { blockSize > 1 }

    /// (elements, bytes) per block, as ggml-common.h defines the structs (QK_K = 256).
    private var layout: (elements: Int, bytes: Int) {
        let qk = 256
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .f64: return (1, 8)
        case .i8: return (1, 1)
        case .i16: return (1, 2)
        case .i32: return (1, 4)
        case .i64: return (1, 8)
        case .q4_0: return (32, 2 + 16)  // d, qs[16]
        case .q4_1: return (32, 2 + 2 + 16)  // d, m, qs[16]
        case .q5_0: return (32, 2 + 4 + 16)  // d, qh[4], qs[16]
        case .q5_1: return (32, 2 + 2 + 4 + 16)  // d, m, qh[4], qs[16]
        case .q8_0: return (32, 2 + 32)  // d, qs[32]
        case .q8_1: return (32, 2 + 2 + 32)  // d, s (halves), qs[32]
        case .q2_K: return (qk, 2 + 2 + qk / 16 + qk / 4)
        case .q3_K: return (qk, 2 + qk / 4 + qk / 8 + 12)
        case .q4_K: return (qk, 2 + 2 + qk / 2 + 12)
        case .q5_K: return (qk, 2 + 2 + qk / 2 + qk / 8 + 12)
        case .q6_K: return (qk, 2 + qk / 2 + qk / 4 + qk / 16)
        case .q8_K: return (qk, 4 + qk + qk / 8)  // float d, qs[256], bsums[16] (int16)
        case .iq2_XXS: return (qk, 2 + qk / 4)
        case .iq2_XS: return (qk, 2 + qk / 4 + qk / 32)
        case .iq3_XXS: return (qk, 2 + qk / 4 + qk / 8)
        case .iq1_S: return (qk, 2 + qk / 8 + qk / 16)
        case .iq4_NL: return (32, 2 + 16)
        case .iq3_S: return (qk, 2 + qk / 4 + qk / 8 + qk / 32 + 4)
        case .iq2_S: return (qk, 2 + qk / 4 + qk / 16)
        case .iq4_XS: return (qk, 2 + 2 + qk / 2 + qk / 64)
        case .iq1_M: return (qk, qk / 8 + qk / 16 + qk / 32)
        case .tq1_0: return (qk, 2 + 4 * 13)
        case .tq2_0: return (qk, 2 + 64)
        case .mxfp4: return (32, 1 + 16)
        case .nvfp4: return (64, 4 + 32)
        case .q1_0: return (128, 2 + 16)
        }
    }
}
