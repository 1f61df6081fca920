/// Kernels for the K/V cache: storing a row in Q8_0, and accumulating probability-weighted value rows.
/// Each has a plain reference form (`…Reference`) the tests hold it to.
extension Kernels {
    /// Encodes `count` floats (a multiple of 32) as Q8_0 blocks at `out` (34 bytes per block), with GGML's rounding
    /// (`quantize_row_q8_0_ref`: d = max|x| / 127, q = round-half-away(x / d)).
    @inline(__always)
    static func quantizeQ8_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        var o = out
        for b in stride(from: 0, to: count, by: 32) {
            let lo = UnsafeRawPointer(x + b).loadUnaligned(as: SIMD16<Float>.self)
            let hi = UnsafeRawPointer(x + b + 16).loadUnaligned(as: SIMD16<Float>.self)
            let d = Lanes.maxMagnitude(lo, hi) / 127
            let id: Float = d != 0 ? 1 / d : 0
            o.storeBytes(of: Float16(d), as: Float16.self)
            // Once per cached position and row, so plain scalar rounding (as the reference) is fast enough.
            for i in 0..<32 { o.storeBytes(of: Int8((x[b + i] * id).rounded()), toByteOffset: 2 + i, as: Int8.self) }
            o += 34
        }
    }

    /// `out[i] += scale · row[i]` for an F16 row of `count` numbers.
    @inline(__always)
    static func addScaledF16(_ row: UnsafeRawPointer, scale: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        let o = UnsafeMutableRawPointer(out)
        let s = SIMD16<Float>(repeating: scale)
        var i = 0
        while i + 16 <= count {
            var acc = o.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc.addProduct(s, Lanes.float(row.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)))
            o.storeBytes(of: acc, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            out[i] += scale * Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self))
            i += 1
        }
    }

    /// `out[i] += scale · value(i)` for a Q8_0 row of `count` numbers (a multiple of 32).
    @inline(__always)
    static func addScaledQ8_0(_ row: UnsafeRawPointer, scale: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        let o = UnsafeMutableRawPointer(out)
        var p = row
        for b in stride(from: 0, to: count, by: 32) {
            let s = SIMD16<Float>(repeating: scale * Float(p.loadUnaligned(as: Float16.self)))
            var lo = o.loadUnaligned(fromByteOffset: 4 * b, as: SIMD16<Float>.self)
            var hi = o.loadUnaligned(fromByteOffset: 4 * b + 64, as: SIMD16<Float>.self)
            lo.addProduct(s, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))))
            hi.addProduct(s, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))))
            o.storeBytes(of: lo, toByteOffset: 4 * b, as: SIMD16<Float>.self)
            o.storeBytes(of: hi, toByteOffset: 4 * b + 64, as: SIMD16<Float>.self)
            p += 34
        }
    }
}

/// Attention kernels over many cached rows.
extension Kernels {
    /// Σ over `vectors` SIMD16 slices of row · x, left as a vector (its lane sum is the dot product): an F16 row.
    @inline(__always)
    static func dotVectorF16(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, vectors: Int) -> SIMD16<Float> {
        var acc = SIMD16<Float>()
        for c in 0..<vectors {
            acc.addProduct(Lanes.float(row.loadUnaligned(fromByteOffset: 32 * c, as: SIMD16<Float16>.self)),
                           x.loadUnaligned(fromByteOffset: 64 * c, as: SIMD16<Float>.self))
        }
        return acc
    }

    /// The same for a Q8_0 row of `blocks` blocks: Σ d_b · (q · x), as `dotQ8_0`.
    @inline(__always)
    static func dotVectorQ8_0(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks: Int) -> SIMD16<Float> {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        for b in 0..<blocks {
            let p = row + 34 * b, xp = x + 128 * b
            let dv = SIMD16<Float>(repeating: Float(p.loadUnaligned(as: Float16.self)))
            acc0.addProduct(dv, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))) * xp.loadUnaligned(as: SIMD16<Float>.self))
            acc1.addProduct(dv, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))) * xp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
        }
        return acc0 + acc1
    }

    /// Lane k = the lane sum of vector k: pairs are folded (adjacent lanes added) level by level, 15 folds in all
    /// instead of 16 horizontal sums.
    @inline(__always)
    static func laneSums(
        _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ v2: SIMD16<Float>, _ v3: SIMD16<Float>,
        _ v4: SIMD16<Float>, _ v5: SIMD16<Float>, _ v6: SIMD16<Float>, _ v7: SIMD16<Float>,
        _ v8: SIMD16<Float>, _ v9: SIMD16<Float>, _ v10: SIMD16<Float>, _ v11: SIMD16<Float>,
        _ v12: SIMD16<Float>, _ v13: SIMD16<Float>, _ v14: SIMD16<Float>, _ v15: SIMD16<Float>
    ) -> SIMD16<Float> {
        @inline(__always) func fold(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
            SIMD16(lowHalf: Lanes.pairSums(a), highHalf: Lanes.pairSums(b))
        }
        let a = fold(fold(fold(v0, v1), fold(v2, v3)), fold(fold(v4, v5), fold(v6, v7)))
        let b = fold(fold(fold(v8, v9), fold(v10, v11)), fold(fold(v12, v13), fold(v14, v15)))
        return fold(a, b)
    }

    /// Dot products of x with the 16 F16 rows at `rows + k · stride`, as one vector.
    @inline(__always)
    static func dots16F16(_ rows: UnsafeRawPointer, stride: Int, _ x: UnsafeRawPointer, vectors: Int) -> SIMD16<Float> {
        @inline(__always) func d(_ k: Int) -> SIMD16<Float> { dotVectorF16(rows + k * stride, x, vectors: vectors) }
        return laneSums(d(0), d(1), d(2), d(3), d(4), d(5), d(6), d(7), d(8), d(9), d(10), d(11), d(12), d(13), d(14), d(15))
    }

    /// Dot products of x with the 16 Q8_0 rows at `rows + k · stride`, as one vector.
    @inline(__always)
    static func dots16Q8_0(_ rows: UnsafeRawPointer, stride: Int, _ x: UnsafeRawPointer, blocks: Int) -> SIMD16<Float> {
        @inline(__always) func d(_ k: Int) -> SIMD16<Float> { dotVectorQ8_0(rows + k * stride, x, blocks: blocks) }
        return laneSums(d(0), d(1), d(2), d(3), d(4), d(5), d(6), d(7), d(8), d(9), d(10), d(11), d(12), d(13), d(14), d(15))
    }
}

/// Plain scalar forms of the K/V cache kernels.
extension Kernels {
    public static func quantizeQ8_0Reference(_ x: [Float]) -> [UInt8] {
        Quantize.row(x, as: .q8_0)
    }

    public static func addScaledQ8_0Reference(_ row: [UInt8], scale: Float, into out: inout [Float]) {
        row.withUnsafeBytes { r in
            for i in out.indices { out[i] += scale * weightReference(.q8_0, r.baseAddress!, i) }
        }
    }

    /// The fast kernels, callable with arrays (tests).
    public static func quantizeQ8_0(_ x: [Float]) -> [UInt8] {
        precondition(x.count % 32 == 0)
        var out = [UInt8](repeating: 0, count: x.count / 32 * 34)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { quantizeQ8_0(xp.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        return out
    }

    public static func addScaledQ8_0(_ row: [UInt8], scale: Float, into out: inout [Float]) {
        let n = out.count
        row.withUnsafeBytes { r in out.withUnsafeMutableBufferPointer { addScaledQ8_0(r.baseAddress!, scale: scale, count: n, into: $0.baseAddress!) } }
    }
}
