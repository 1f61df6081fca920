/* SSSE3 + SSE4.1 kernels, for x86-64 CPUs without AVX2: Intel Atom, Celeron and Pentium Silver (Silvermont to
 * Tremont: Jasper Lake, Elkhart Lake and the like, common in mini PCs and NAS boxes), Core 2 (45 nm) to Ivy Bridge,
 * AMD Jaguar and Bulldozer. The quantized row products are hand-written with 128-bit pmaddubsw + pmaddwd (two halves
 * of the AVX2 lane layout); everything else is the generic C, vectorized by the compiler for SSE4.1. These CPUs
 * have no fused multiply-add and no F16 instructions: the FMA is emulated in double precision as in the portable set
 * (a · b is exact in double; the same formula, so the same results as the portable set) and F16 is converted in
 * software (hw_h2f_bits, whose branches predict well on weight scales; a branch-free form measured slower).
 * Compiled for that instruction set function by function; the rest of the program stays at the baseline. */
#include "hw_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("ssse3,sse4.1"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("ssse3,sse4.1")
#endif

#define HW_FMA(a, b, c) ((float)((double)(a) * (double)(b) + (double)(c)))
#define HW_H2F(h) hw_h2f_bits(h)
#define HW_F2H(f) hw_f2h_bits(f)
#define HW_FN(name) name##_sse4
#define HW_SET HW_KERNELS_SSE4
#define HW_NAME "sse4"
#define HW_TABLE hw_kernels_sse4
#define HW_HAS_MATMUL_Q8
#define HW_MATMUL_Q8 matmul_q8_sse4

static inline float load_f16_sse4(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return hw_h2f_bits(h); }

/* Σ of 4 consecutive u · s products per Int32 lane (u unsigned, s signed bytes). */
static inline __m128i lanes_us_sse4(__m128i u, __m128i s) {
    return _mm_madd_epi16(_mm_maddubs_epi16(u, s), _mm_set1_epi16(1));
}

/* Signed × signed bytes: |x| · (sign(x) · y) keeps the products exact for pmaddubsw. */
static inline __m128i lanes_ss_sse4(__m128i x, __m128i y) {
    return lanes_us_sse4(_mm_sign_epi8(x, x), _mm_sign_epi8(y, x));
}

/* A block's 8 lanes (lo: elements 0-15, hi: 16-31) into the 8-lane accumulator: acc = d · lane + acc, each lane
 * rounded once from double as HW_FMA does (a lane is an integer below 2^24: the same double as its float). */
static inline __m128 fma4_sse4(__m128d d, __m128i lanes, __m128 acc) {
    __m128d a0 = _mm_add_pd(_mm_mul_pd(d, _mm_cvtepi32_pd(lanes)), _mm_cvtps_pd(acc));
    __m128d a1 = _mm_add_pd(_mm_mul_pd(d, _mm_cvtepi32_pd(_mm_shuffle_epi32(lanes, 0xEE))),
                            _mm_cvtps_pd(_mm_movehl_ps(acc, acc)));
    return _mm_movelh_ps(_mm_cvtpd_ps(a0), _mm_cvtpd_ps(a1));
}

static inline void fma8_sse4(float d, __m128i lo, __m128i hi, __m128 *acc_lo, __m128 *acc_hi) {
    __m128d dd = _mm_set1_pd((double)d);
    *acc_lo = fma4_sse4(dd, lo, *acc_lo);
    *acc_hi = fma4_sse4(dd, hi, *acc_hi);
}

static inline float hsum_sse4(__m128 lo, __m128 hi) {
    float a[8];
    _mm_storeu_ps(a, lo);
    _mm_storeu_ps(a + 4, hi);
    return hw_hsum8(a);
}

static inline __m128i nibbles_lo_sse4(__m128i x) { return _mm_and_si128(x, _mm_set1_epi8(0x0F)); }
static inline __m128i nibbles_hi_sse4(__m128i x) { return _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0F)); }
static inline __m128i load_sse4(const void *p) { return _mm_loadu_si128((const __m128i *)p); }

/* One row after the other, as every set (see HW_MATMUL_Q8_ROWS). */
static inline float dot_q4_1_sse4(const uint8_t *row, const int8_t *q, const float *s, const float *m, int blocks) {
    __m128 lo = _mm_setzero_ps(), hi = lo;
    float mm = 0;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 20 * b;
        __m128i x = load_sse4(p + 4);
        const int8_t *y = q + 32 * b;
        fma8_sse4(load_f16_sse4(p) * s[b], lanes_us_sse4(nibbles_lo_sse4(x), load_sse4(y)),
                  lanes_us_sse4(nibbles_hi_sse4(x), load_sse4(y + 16)), &lo, &hi);
        mm += load_f16_sse4(p + 2) * m[b];
    }
    return hsum_sse4(lo, hi) + mm;
}

static inline float dot_q4_0_sse4(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m128 lo = _mm_setzero_ps(), hi = lo;
    const __m128i eight = _mm_set1_epi8(8);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 18 * b;
        __m128i x = load_sse4(p + 2);
        const int8_t *y = q + 32 * b;
        fma8_sse4(load_f16_sse4(p) * s[b], lanes_ss_sse4(_mm_sub_epi8(nibbles_lo_sse4(x), eight), load_sse4(y)),
                  lanes_ss_sse4(_mm_sub_epi8(nibbles_hi_sse4(x), eight), load_sse4(y + 16)), &lo, &hi);
    }
    return hsum_sse4(lo, hi);
}

static inline float dot_q8_0_sse4(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m128 lo = _mm_setzero_ps(), hi = lo;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 34 * b;
        const int8_t *y = q + 32 * b;
        fma8_sse4(load_f16_sse4(p) * s[b], lanes_ss_sse4(load_sse4(p + 2), load_sse4(y)),
                  lanes_ss_sse4(load_sse4(p + 18), load_sse4(y + 16)), &lo, &hi);
    }
    return hsum_sse4(lo, hi);
}

/* Prompt rows: 1 weight row × 4 tokens per step (8 accumulator registers of the 16), the row's nibbles unpacked once
 * per block for the 4 tokens; each (row, token) takes dot_q4_1_sse4's operations in the same order, so the outputs
 * equal the one-token path's. */
static inline void q4_1_tile_sse4(const uint8_t *const *r, const int8_t *const *y, const float *sy, const float *my,
                                  int blocks, float (*o)[4]) {
    __m128 lo[4], hi[4];
    float mm[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4; j++) lo[j] = hi[j] = _mm_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = r[0] + 20 * b;
        __m128i x = load_sse4(p + 4), ul = nibbles_lo_sse4(x), uh = nibbles_hi_sse4(x);
        float d = load_f16_sse4(p), m = load_f16_sse4(p + 2);
        for (int j = 0; j < 4; j++) {
            const int8_t *yb = y[j] + 32 * b;
            fma8_sse4(d * sy[4 * b + j], lanes_us_sse4(ul, load_sse4(yb)), lanes_us_sse4(uh, load_sse4(yb + 16)),
                      &lo[j], &hi[j]);
            mm[j] += m * my[4 * b + j];
        }
    }
    for (int j = 0; j < 4; j++) o[0][j] = hsum_sse4(lo[j], hi[j]) + mm[j];
}

static __attribute__((noinline)) void matmul_q4_1_tokens_sse4(const uint8_t *w, size_t row_bytes, int row_begin,
                                                              int row_end, int blocks, int tokens, const int8_t *qs,
                                                              const float *scales, const float *sums, float *out,
                                                              size_t out_stride) {
    HW_Q4_1_TILED_BODY(q4_1_tile_sse4, 1);
}

static void matmul_q8_sse4(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    HW_MATMUL_Q8_BODY(matmul_q4_1_tokens_sse4, dot_q4_1_sse4, dot_q4_0_sse4, dot_q8_0_sse4);
}

#include "generic.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
