import HeadwayEngine
import Testing

@Suite struct QuantBlockTests {
    @Test func blockSizesMatchGGML() {
        #expect(MemoryLayout<BlockQ4_0>.size == 18)
        #expect(MemoryLayout<BlockQ4_1>.size == 20)
        #expect(MemoryLayout<BlockQ8_0>.size == 34)
        #expect(WeightType.q8_0.rowBytes(cols: 64) == 68)
        #expect(WeightType.f16.rowBytes(cols: 64) == 128)
    }

    @Test func handBuiltQ8_0BlockDequantizes() {
        var bytes: [UInt8] = Array(withUnsafeBytes(of: Float16(2.0).bitPattern.littleEndian) { Array($0) })
        bytes += (1...32).map { UInt8($0) }
        let expected = (1...32).map { Float(2 * $0) }
        for fast in [false, true] {
            var out = [Float](repeating: 0, count: 32)
            bytes.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer { o in
                    if fast {
                        Kernels.dequantizeRow(.q8_0, raw.baseAddress!, count: 32, into: o.baseAddress!)
                    } else {
                        Kernels.dequantizeRowReference(.q8_0, raw.baseAddress!, count: 32, into: o.baseAddress!)
                    }
                }
            }
            #expect(out == expected, "fast=\(fast): \(out)")
        }
    }

    @Test func handBuiltQ4BlocksUseGGMLNibbleOrder() {
        // Byte j holds weight j (low nibble) and weight j + 16 (high nibble).
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let half = { (x: Float) in withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { Array($0) } }
        let q4_0 = half(0.5) + qs
        let q4_1 = half(0.25) + half(-1) + qs
        let q = (0..<16).map(Float.init) + (0..<16).map { Float(15 - $0) }
        for (type, bytes, expected) in [
            (WeightType.q4_0, q4_0, q.map { ($0 - 8) * 0.5 }), (.q4_1, q4_1, q.map { $0 * 0.25 - 1 }),
        ] {
            var ref = [Float](repeating: 0, count: 32), fast = ref
            bytes.withUnsafeBytes { raw in
                Kernels.dequantizeRowReference(type, raw.baseAddress!, count: 32, into: &ref)
                Kernels.dequantizeRow(type, raw.baseAddress!, count: 32, into: &fast)
            }
            #expect(ref == expected, "\(type) reference: \(ref)")
            #expect(fast == expected, "\(type) fast: \(fast)")
        }
    }

    @Test(arguments: WeightType.allCases)
    func quantizeRoundTripErrorIsBounded(_ type: WeightType) {
        let x = randomFloats(256, seed: 7, scale: 3)
        let bytes = Quantize.row(x, as: type)
        #expect(bytes.count == type.rowBytes(cols: 256))
        var y = [Float](repeating: 0, count: 256)
        bytes.withUnsafeBytes { Kernels.dequantizeRowReference(type, $0.baseAddress!, count: 256, into: &y) }
        // Half a quantization step of the widest block (values in [-3, 3]), plus F16 rounding of the scales.
        let bound: Float = switch type {
        case .f32: 0
        case .f16: 2e-3
        case .q8_0: 3.0 / 127 / 2 + 1e-3
        case .q4_1: 6.0 / 15 / 2 + 1e-2
        case .q4_0: 3.0 / 8 + 1e-2
        }
        let err = maxAbsDiff(x, y)
        #expect(err <= bound, "\(type): max error \(err) > \(bound)")
    }

    @Test(arguments: WeightType.allCases)
    func fastDequantizeMatchesReference(_ type: WeightType) {
        let x = randomFloats(320, seed: 11)
        let bytes = Quantize.row(x, as: type)
        var ref = [Float](repeating: 0, count: 320), fast = ref
        bytes.withUnsafeBytes { raw in
            Kernels.dequantizeRowReference(type, raw.baseAddress!, count: 320, into: &ref)
            Kernels.dequantizeRow(type, raw.baseAddress!, count: 320, into: &fast)
        }
        #expect(maxAbsDiff(ref, fast) <= 1e-6, "\(type)")
    }
}
