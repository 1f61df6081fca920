/// Row dequantization: reference (scalar, one weight at a time, straight from the GGML definitions) and fast (SIMD).
public enum Kernels {}

extension Kernels {
    /// Reference: weight `i` of a row stored as `type` at `row`.
    @inline(__always)
    static func weightReference(_ type: WeightType, _ row: UnsafeRawPointer, _ i: Int) -> Float {
        switch type {
        case .f32: return row.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        case .f16: return Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self))
        case .q4_0, .q4_1:
            let block = row + (i / 32) * type.blockBytes
            let j = i % 32
            let d = Float(block.loadUnaligned(as: Float16.self))
            let qsOffset = type == .q4_0 ? 2 : 4
            let byte = block.load(fromByteOffset: qsOffset + j % 16, as: UInt8.self)
            let q = Float(j < 16 ? byte & 0x0F : byte >> 4)
            if type == .q4_0 { return (q - 8) * d }
            let m = Float(block.loadUnaligned(fromByteOffset: 2, as: Float16.self))
            return q * d + m
        case .q8_0:
            let block = row + (i / 32) * 34
            let d = Float(block.loadUnaligned(as: Float16.self))
            return Float(block.load(fromByteOffset: 2 + i % 32, as: Int8.self)) * d
        }
    }

    /// Reference: dequantizes `count` weights of a row into `out`.
    public static func dequantizeRowReference(
        _ type: WeightType, _ row: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<count { out[i] = weightReference(type, row, i) }
    }

    /// Fast: dequantizes `count` weights (a multiple of the block size) of a row into `out`.
    public static func dequantizeRow(
        _ type: WeightType, _ row: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let o = UnsafeMutableRawPointer(out)
        switch type {
        case .f32:
            o.copyMemory(from: row, byteCount: 4 * count)
        case .f16:
            var i = 0
            while i + 16 <= count {
                let h = row.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
                o.storeBytes(of: Lanes.float(h), toByteOffset: 4 * i, as: SIMD16<Float>.self)
                i += 16
            }
            while i < count { out[i] = Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)); i += 1 }
        case .q4_0, .q4_1, .q8_0:
            for b in 0..<(count / 32) {
                let (lo, hi) = dequantizeBlock(type, row + b * type.blockBytes)
                o.storeBytes(of: lo, toByteOffset: 128 * b, as: SIMD16<Float>.self)
                o.storeBytes(of: hi, toByteOffset: 128 * b + 64, as: SIMD16<Float>.self)
            }
        }
    }

    /// Fast: the 32 weights of one quantized block as two vectors (weights 0–15, 16–31).
    @inline(__always)
    static func dequantizeBlock(_ type: WeightType, _ block: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let d = Float(block.loadUnaligned(as: Float16.self))
        switch type {
        case .q4_0:
            let (lo, hi) = nibbles(block + 2)
            return ((lo - 8) * d, (hi - 8) * d)
        case .q4_1:
            let m = Float(block.loadUnaligned(fromByteOffset: 2, as: Float16.self))
            let (lo, hi) = nibbles(block + 4)
            let mv = SIMD16<Float>(repeating: m)
            return (mv.addingProduct(lo, d), mv.addingProduct(hi, d))
        case .q8_0:
            let lo = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
            let hi = block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)
            return (Lanes.float(Lanes.int32(lo)) * d, Lanes.float(Lanes.int32(hi)) * d)
        case .f32, .f16:
            preconditionFailure("dequantizeBlock called for \(type)")
        }
    }

    /// The 32 4-bit values of 16 packed bytes as floats: low nibbles (weights 0–15) and high nibbles (16–31).
    @inline(__always)
    static func nibbles(_ qs: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let bytes = qs.loadUnaligned(as: SIMD16<UInt8>.self)
        return (Lanes.float(Lanes.int32(bytes & 0x0F)), Lanes.float(Lanes.int32(bytes &>> 4)))
    }
}
