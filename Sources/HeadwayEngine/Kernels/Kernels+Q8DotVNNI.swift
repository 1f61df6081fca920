#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX-512 VNNI (+VL) versions of the Q4_1 and Q8_0 dot kernels, as llama.cpp builds them for such CPUs:
/// `vpdpbusd` does `vpmaddubsw` + `vpmaddwd` in one instruction. The products of 8-bit values are exact and no
/// pair sum reaches the Int16 saturation bound of `vpmaddubsw` (15·127·2, 127·127·2 < 32767), so the Int32 lane
/// sums — and, with the same FMA order, the results — are bit-identical to the AVX2 and portable kernels.
/// Four rows at once: each activation block is loaded once and four independent FMA chains hide the latency.
/// Needs a CPU with AVX512-VNNI and AVX512-VL (the package builds the engine for `cascadelake`; see Package.swift).
extension Kernels {
    /// `_mm256_dpbusd_epi32` is a C macro (not imported), so this goes through the 512-bit form and keeps the low
    /// half; LLVM emits the 256-bit `vpdpbusd`.
    @inline(__always)
    static func vnniDot(_ u: __m256i, _ s: __m256i) -> __m256 {
        let r = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(u), _mm512_zextsi256_si512(s))
        return _mm256_cvtepi32_ps(_mm512_castsi512_si256(r))
    }

    @inline(__always)
    static func vnniDotSigned(_ x: __m256i, _ y: __m256i) -> __m256 {
        vnniDot(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
    }

    /// The 32 weights of a Q4 block as unsigned bytes in element order: the 16 packed bytes broadcast to both
    /// halves, the upper half shifted right by 4 (bits shifted in from the next byte are masked off).
    @inline(__always)
    static func vnniNibbles(_ packed: UnsafeRawPointer) -> __m256i {
        let both = _mm256_broadcastsi128_si256(packed.loadUnaligned(as: SIMD2<Int64>.self))
        return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F))
    }

    /// A Q4_1 block's `d` and `m` times the activation block's scale and sum, in one F16 conversion:
    /// lane 0 = d · s_y, lane 1 = m · Σ_y (the same products the scalar form computes).
    @inline(__always)
    static func scaledDM(_ p: UnsafeRawPointer, _ sm: __m128) -> __m128 {
        _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(p.loadUnaligned(as: Int32.self))), sm)
    }

    @inline(__always)
    static func f16(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
        Float(p.loadUnaligned(fromByteOffset: offset, as: Float16.self))
    }

    static func dotQ4_1Q8VNNIx4(
        _ row: UnsafeRawPointer, rowBytes: Int, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
        _ sums: UnsafePointer<Float>, blocks: Int
    ) -> SIMD4<Float> {
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        // Lane 1 of each accumulates m · Σ_y in block order, like the scalar `m += …` (lane 0 is unused).
        var m0 = _mm_setzero_ps(), m1 = _mm_setzero_ps(), m2 = _mm_setzero_ps(), m3 = _mm_setzero_ps()
        var p0 = row
        let p1off = rowBytes, p2off = 2 * rowBytes, p3off = 3 * rowBytes
        for b in 0..<blocks {
            let y = avx2Activations(q, b)
            let sm = SIMD4<Float>(scales[b], sums[b], 0, 0)
            let p1 = p0 + p1off, p2 = p0 + p2off, p3 = p0 + p3off
            let s0 = scaledDM(p0, sm), s1 = scaledDM(p1, sm), s2 = scaledDM(p2, sm), s3 = scaledDM(p3, sm)
            a0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s0), vnniDot(vnniNibbles(p0 + 4), y), a0)
            a1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s1), vnniDot(vnniNibbles(p1 + 4), y), a1)
            a2 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s2), vnniDot(vnniNibbles(p2 + 4), y), a2)
            a3 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s3), vnniDot(vnniNibbles(p3 + 4), y), a3)
            m0 = _mm_add_ps(m0, s0)
            m1 = _mm_add_ps(m1, s1)
            m2 = _mm_add_ps(m2, s2)
            m3 = _mm_add_ps(m3, s3)
            p0 += 20
        }
        return SIMD4(Lanes.ggmlSum(a0) + m0[1], Lanes.ggmlSum(a1) + m1[1], Lanes.ggmlSum(a2) + m2[1],
                     Lanes.ggmlSum(a3) + m3[1])
    }

    static func dotQ4_1Q8VNNI(
        _ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ sums: UnsafePointer<Float>,
        blocks: Int
    ) -> Float {
        var acc = _mm256_setzero_ps()
        var m: Float = 0
        var p = row
        for b in 0..<blocks {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(p) * scales[b]), vnniDot(avx2Nibbles(p + 4), avx2Activations(q, b)), acc)
            m += f16(p, 2) * sums[b]
            p += 20
        }
        return Lanes.ggmlSum(acc) + m
    }

    static func dotQ4_0Q8VNNI(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = _mm256_setzero_ps()
        var p = row
        let eight = _mm256_set1_epi8(8)
        for b in 0..<blocks {
            let w = _mm256_sub_epi8(avx2Nibbles(p + 2), eight)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(p) * scales[b]), vnniDotSigned(w, avx2Activations(q, b)), acc)
            p += 18
        }
        return Lanes.ggmlSum(acc)
    }

    static func dotQ8_0Q8VNNIx4(
        _ row: UnsafeRawPointer, rowBytes: Int, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int
    ) -> SIMD4<Float> {
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        var p0 = row
        let p1off = rowBytes, p2off = 2 * rowBytes, p3off = 3 * rowBytes
        for b in 0..<blocks {
            let y = avx2Activations(q, b)
            let sy = scales[b]
            let p1 = p0 + p1off, p2 = p0 + p2off, p3 = p0 + p3off
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(p0) * sy),
                                 vnniDotSigned(p0.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), a0)
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(p1) * sy),
                                 vnniDotSigned(p1.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), a1)
            a2 = _mm256_fmadd_ps(_mm256_set1_ps(f16(p2) * sy),
                                 vnniDotSigned(p2.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), a2)
            a3 = _mm256_fmadd_ps(_mm256_set1_ps(f16(p3) * sy),
                                 vnniDotSigned(p3.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), a3)
            p0 += 34
        }
        return SIMD4(Lanes.ggmlSum(a0), Lanes.ggmlSum(a1), Lanes.ggmlSum(a2), Lanes.ggmlSum(a3))
    }

    static func dotQ8_0Q8VNNI(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = _mm256_setzero_ps()
        var p = row
        for b in 0..<blocks {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(p) * scales[b]),
                                  vnniDotSigned(p.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), avx2Activations(q, b)),
                                  acc)
            p += 34
        }
        return Lanes.ggmlSum(acc)
    }

    /// One tile of rows for one token with the VNNI kernels.
    @inline(__always)
    static func vnniTile(
        _ w: WeightMatrix, _ tile: Range<Int>, _ q: UnsafeRawPointer, _ s: UnsafePointer<Float>, _ m: UnsafePointer<Float>,
        _ o: UnsafeMutablePointer<Float>, blocks: Int
    ) {
        var r = tile.lowerBound
        switch w.type {
        case .q4_1:
            while r + 3 < tile.upperBound {
                let v = dotQ4_1Q8VNNIx4(w.row(r), rowBytes: w.rowBytes, q, s, m, blocks: blocks)
                (o[r], o[r + 1], o[r + 2], o[r + 3]) = (v[0], v[1], v[2], v[3])
                r += 4
            }
            while r < tile.upperBound { o[r] = dotQ4_1Q8VNNI(w.row(r), q, s, m, blocks: blocks); r += 1 }
        case .q4_0: for r in tile { o[r] = dotQ4_0Q8VNNI(w.row(r), q, s, blocks: blocks) }
        case .q8_0:
            while r + 3 < tile.upperBound {
                let v = dotQ8_0Q8VNNIx4(w.row(r), rowBytes: w.rowBytes, q, s, blocks: blocks)
                (o[r], o[r + 1], o[r + 2], o[r + 3]) = (v[0], v[1], v[2], v[3])
                r += 4
            }
            while r < tile.upperBound { o[r] = dotQ8_0Q8VNNI(w.row(r), q, s, blocks: blocks); r += 1 }
        case .f16, .f32: break
        }
    }
}
#endif
