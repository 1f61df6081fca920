/* AVX2 + FMA + F16C kernels (x86-64: Intel Haswell, AMD Zen and later), compiled for that instruction set function by
 * function (`target` attribute), so the rest of the program stays at the baseline. The quantized dot products use
 * llama.cpp's x86 instructions (vpmaddubsw + vpmaddwd: 8 Int32 lanes of 4 consecutive products, one FMA per block). */
#include "hw_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

static inline float hw_h2f_avx2(uint16_t h) { _Float16 v; memcpy(&v, &h, 2); return (float)v; }
static inline uint16_t hw_f2h_avx2(float f) { _Float16 v = (_Float16)f; uint16_t h; memcpy(&h, &v, 2); return h; }

#define HW_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#define HW_H2F(h) hw_h2f_avx2(h)
#define HW_F2H(f) hw_f2h_avx2(f)
#define HW_FN(name) name##_avx2
#define HW_SET HW_KERNELS_AVX2
#define HW_NAME "avx2"
#define HW_TABLE hw_kernels_avx2
#define HW_HAS_MATMUL_Q8
#define HW_MATMUL_Q8 matmul_q8_avx2

/* Σ of 4 consecutive u · s products per Int32 lane, as floats (u unsigned, s signed bytes). */
static inline __m256 dot_us_avx2(__m256i u, __m256i s) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

#include "rows_avx.inc"

/* Prompt rows: Q4_1 weights × Q8_1 activations of several tokens at once. A tile of 2 weight rows × 4 tokens keeps its
 * 8 accumulators in registers; per block, each row's nibbles are unpacked once for the 4 tokens and each token's
 * activations loaded once for the 2 rows, and the 4 tokens' scales and sums come from a transposed copy (`sy`, `my`:
 * block b of token k at 4b + k). Each (row, token) accumulates exactly as dot_q4_1_avx2 does, same operations in the
 * same order, so the outputs are bit-identical to the one-token path. */
static inline void q4_1_tile_avx2(const uint8_t *const *r, const int8_t *const *y, const float *sy, const float *my,
                                  int blocks, float (*o)[4]) {
    const uint8_t *r0 = r[0], *r1 = r[1];
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m128 m0 = _mm_setzero_ps(), m1 = m0;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p0 = r0 + 20 * b, *p1 = r1 + 20 * b;
        __m128 s4 = _mm_loadu_ps(sy + 4 * b), n4 = _mm_loadu_ps(my + 4 * b);
        int32_t dm0, dm1;
        memcpy(&dm0, p0, 4);
        memcpy(&dm1, p1, 4);
        __m128 f0 = _mm_cvtph_ps(_mm_cvtsi32_si128(dm0)), f1 = _mm_cvtph_ps(_mm_cvtsi32_si128(dm1));
        float d0[4], d1[4];
        _mm_storeu_ps(d0, _mm_mul_ps(_mm_broadcastss_ps(f0), s4));
        _mm_storeu_ps(d1, _mm_mul_ps(_mm_broadcastss_ps(f1), s4));
        m0 = _mm_add_ps(m0, _mm_mul_ps(_mm_permute_ps(f0, 0x55), n4));
        m1 = _mm_add_ps(m1, _mm_mul_ps(_mm_permute_ps(f1, 0x55), n4));
        __m256i u0 = nibbles_avx2(p0 + 4), u1 = nibbles_avx2(p1 + 4);
        __m256i y0 = act_avx2(y[0], b), y1 = act_avx2(y[1], b), y2 = act_avx2(y[2], b), y3 = act_avx2(y[3], b);
        a00 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d0[0]), dot_us_avx2(u0, y0), a00);
        a10 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d1[0]), dot_us_avx2(u1, y0), a10);
        a01 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d0[1]), dot_us_avx2(u0, y1), a01);
        a11 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d1[1]), dot_us_avx2(u1, y1), a11);
        a02 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d0[2]), dot_us_avx2(u0, y2), a02);
        a12 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d1[2]), dot_us_avx2(u1, y2), a12);
        a03 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d0[3]), dot_us_avx2(u0, y3), a03);
        a13 = _mm256_fmadd_ps(_mm256_broadcast_ss(&d1[3]), dot_us_avx2(u1, y3), a13);
    }
    float n0[4], n1[4];
    _mm_storeu_ps(n0, m0);
    _mm_storeu_ps(n1, m1);
    o[0][0] = hsum_avx2(a00) + n0[0]; o[0][1] = hsum_avx2(a01) + n0[1]; o[0][2] = hsum_avx2(a02) + n0[2]; o[0][3] = hsum_avx2(a03) + n0[3];
    o[1][0] = hsum_avx2(a10) + n1[0]; o[1][1] = hsum_avx2(a11) + n1[1]; o[1][2] = hsum_avx2(a12) + n1[2]; o[1][3] = hsum_avx2(a13) + n1[3];
}

static __attribute__((noinline)) void matmul_q4_1_tokens_avx2(const uint8_t *w, size_t row_bytes, int row_begin, int row_end, int blocks,
                                    int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                                    size_t out_stride) {
    HW_Q4_1_TILED_BODY(q4_1_tile_avx2, 2);
}

static void matmul_q8_avx2(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    HW_MATMUL_Q8_BODY(matmul_q4_1_tokens_avx2, dot_q4_1_avx2, dot_q4_0_avx2, dot_q8_0_avx2);
}

#include "attend_avx.inc"

#include "generic.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
