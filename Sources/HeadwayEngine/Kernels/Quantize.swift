/// Float → block quantizers with GGML's reference rounding (`quantize_row_*_ref`). Used to build test models and
/// to compare kernels; the engine itself never quantizes weights.
public enum Quantize {
    /// Encodes `values` (count a multiple of `type.blockElements`) as one row of `type`.
    public static func row(_ values: [Float], as type: WeightType) -> [UInt8] {
        precondition(values.count % type.blockElements == 0, "row length \(values.count) is not a multiple of \(type.blockElements)")
        var out: [UInt8] = []
        out.reserveCapacity(type.rowBytes(cols: values.count))
        func appendHalf(_ h: Float16) { withUnsafeBytes(of: h.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        switch type {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            for v in values { appendHalf(Float16(v)) }
        case .q8_0:
            for b in stride(from: 0, to: values.count, by: 32) {
                let x = values[b..<b + 32]
                let amax = x.map { abs($0) }.max() ?? 0
                let d = amax / 127
                let id: Float = d != 0 ? 1 / d : 0
                appendHalf(Float16(d))
                for v in x { out.append(UInt8(bitPattern: Int8((v * id).rounded()))) }
            }
        case .q4_0:
            for b in stride(from: 0, to: values.count, by: 32) {
                let x = Array(values[b..<b + 32])
                var amax: Float = 0, maxv: Float = 0
                for v in x where abs(v) > amax { amax = abs(v); maxv = v }
                let d = maxv / -8
                let id: Float = d != 0 ? 1 / d : 0
                appendHalf(Float16(d))
                for j in 0..<16 {
                    let q0 = min(15, Int(Int8(clamping: Int((x[j] * id + 8.5).rounded(.towardZero)))))
                    let q1 = min(15, Int(Int8(clamping: Int((x[j + 16] * id + 8.5).rounded(.towardZero)))))
                    out.append(UInt8(q0) | UInt8(q1) << 4)
                }
            }
        case .q4_1:
            for b in stride(from: 0, to: values.count, by: 32) {
                let x = Array(values[b..<b + 32])
                let lo = x.min() ?? 0, hi = x.max() ?? 0
                let d = (hi - lo) / 15
                let id: Float = d != 0 ? 1 / d : 0
                appendHalf(Float16(d))
                appendHalf(Float16(lo))
                for j in 0..<16 {
                    let q0 = min(15, Int(Int8(clamping: Int(((x[j] - lo) * id + 0.5).rounded(.towardZero)))))
                    let q1 = min(15, Int(Int8(clamping: Int(((x[j + 16] - lo) * id + 0.5).rounded(.towardZero)))))
                    out.append(UInt8(q0) | UInt8(q1) << 4)
                }
            }
        }
        return out
    }

    /// Encodes a row-major `rows × cols` matrix, row by row.
    public static func matrix(_ values: [Float], rows: Int, cols: Int, as type: WeightType) -> [UInt8] {
        precondition(values.count == rows * cols)
        var out: [UInt8] = []
        out.reserveCapacity(rows * type.rowBytes(cols: cols))
        for r in 0..<rows { out += row(Array(values[r * cols..<(r + 1) * cols]), as: type) }
        return out
    }
}
