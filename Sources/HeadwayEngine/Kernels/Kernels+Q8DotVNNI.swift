#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX-512 VNNI (+VL) versions of the Q4_1 and Q8_0 dot kernels, as llama.cpp builds them for such CPUs:
/// `vpdpbusd` does `vpmaddubsw` + `vpmaddwd` in one instruction. The products of 8-bit values are exact and no
/// pair sum reaches the Int16 saturation bound of `vpmaddubsw` (15·127·2, 127·127·2 < 32767), so the Int32 lane
/// sums — and, with the same FMA order, the results — are bit-identical to the AVX2 and portable kernels.
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

    static func dotQ4_1Q8VNNI(
        _ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ sums: UnsafePointer<Float>,
        blocks: Int
    ) -> Float {
        var acc = _mm256_setzero_ps()
        // Lane 1 accumulates m · Σ_y in block order, like the scalar `m += …` of the other kernels (lane 0 unused).
        var m = _mm_setzero_ps()
        var p = row
        for b in 0..<blocks {
            let dm = scaledDM(p, SIMD4<Float>(scales[b], sums[b], 0, 0))
            acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(dm), vnniDot(vnniNibbles(p + 4), avx2Activations(q, b)), acc)
            m = _mm_add_ps(m, dm)
            p += 20
        }
        return Lanes.ggmlSum(acc) + m[1]
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

    /// One tile of rows for one token with the VNNI kernels, one row after the other: each row is one sequential
    /// stream through memory, which the hardware prefetcher follows (interleaving 2–4 rows, which shares the
    /// activation loads, measured ~25% slower in decode, which streams the weights from DRAM).
    @inline(__always)
    static func vnniTile(
        _ w: WeightMatrix, _ tile: Range<Int>, _ q: UnsafeRawPointer, _ s: UnsafePointer<Float>, _ m: UnsafePointer<Float>,
        _ o: UnsafeMutablePointer<Float>, blocks: Int
    ) {
        switch w.type {
        case .q4_1: for r in tile { o[r] = dotQ4_1Q8VNNI(w.row(r), q, s, m, blocks: blocks) }
        case .q4_0: for r in tile { o[r] = dotQ4_0Q8VNNI(w.row(r), q, s, blocks: blocks) }
        case .q8_0: for r in tile { o[r] = dotQ8_0Q8VNNI(w.row(r), q, s, blocks: blocks) }
        case .f16, .f32: break
        }
    }
}
#endif
