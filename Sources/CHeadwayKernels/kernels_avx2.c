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

/* The 32 weights of a Q4 block as unsigned bytes in element order (low nibbles, then high nibbles). */
static inline __m256i nibbles_avx2(const uint8_t *p) {
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0F));
}

/* Σ of 4 consecutive u · s products per Int32 lane, as floats (u unsigned, s signed bytes). */
static inline __m256 dot_us_avx2(__m256i u, __m256i s) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

/* Signed × signed bytes: |x| · (sign(x) · y) keeps the products exact for vpmaddubsw. */
static inline __m256 dot_ss_avx2(__m256i x, __m256i y) {
    return dot_us_avx2(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

static inline float hsum_avx2(__m256 v) {
    float a[8];
    _mm256_storeu_ps(a, v);
    return hw_hsum8(a);
}

static inline __m256i act_avx2(const int8_t *q, int b) { return _mm256_loadu_si256((const __m256i *)(q + 32 * b)); }

static inline void dot_q4_1_x2_avx2(const uint8_t *r0, const uint8_t *r1, const int8_t *q, const float *s,
                                    const float *m, int blocks, float *o0, float *o1) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float m0 = 0, m1 = 0;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p0 = r0 + 20 * b, *p1 = r1 + 20 * b;
        __m256i y = act_avx2(q, b);
        float sy = s[b], my = m[b];
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p0) * sy), dot_us_avx2(nibbles_avx2(p0 + 4), y), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p1) * sy), dot_us_avx2(nibbles_avx2(p1 + 4), y), acc1);
        m0 += hw_h2f_avx2(*(const uint16_t *)(p0 + 2)) * my;
        m1 += hw_h2f_avx2(*(const uint16_t *)(p1 + 2)) * my;
    }
    *o0 = hsum_avx2(acc0) + m0;
    *o1 = hsum_avx2(acc1) + m1;
}

static inline float dot_q4_1_avx2(const uint8_t *row, const int8_t *q, const float *s, const float *m, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    float mm = 0;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 20 * b;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p) * s[b]), dot_us_avx2(nibbles_avx2(p + 4), act_avx2(q, b)), acc);
        mm += hw_h2f_avx2(*(const uint16_t *)(p + 2)) * m[b];
    }
    return hsum_avx2(acc) + mm;
}

static inline float dot_q4_0_avx2(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 18 * b;
        __m256i w = _mm256_sub_epi8(nibbles_avx2(p + 2), eight);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p) * s[b]), dot_ss_avx2(w, act_avx2(q, b)), acc);
    }
    return hsum_avx2(acc);
}

static inline void dot_q8_0_x2_avx2(const uint8_t *r0, const uint8_t *r1, const int8_t *q, const float *s, int blocks,
                                    float *o0, float *o1) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p0 = r0 + 34 * b, *p1 = r1 + 34 * b;
        __m256i y = act_avx2(q, b);
        float sy = s[b];
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p0) * sy),
                               dot_ss_avx2(_mm256_loadu_si256((const __m256i *)(p0 + 2)), y), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p1) * sy),
                               dot_ss_avx2(_mm256_loadu_si256((const __m256i *)(p1 + 2)), y), acc1);
    }
    *o0 = hsum_avx2(acc0);
    *o1 = hsum_avx2(acc1);
}

static inline float dot_q8_0_avx2(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 34 * b;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx2(*(const uint16_t *)p) * s[b]),
                              dot_ss_avx2(_mm256_loadu_si256((const __m256i *)(p + 2)), act_avx2(q, b)), acc);
    }
    return hsum_avx2(acc);
}

static void matmul_q8_avx2(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    for (int t0 = row_begin; t0 < row_end; t0 += 16) {
        int t1 = t0 + 16 < row_end ? t0 + 16 : row_end;
        for (int t = 0; t < tokens; t++) {
            const int8_t *q = qs + (size_t)t * 32 * blocks;
            const float *s = scales + (size_t)t * blocks, *m = sums + (size_t)t * blocks;
            float *o = out + (size_t)t * out_stride;
            int r = t0;
            switch (type) {
            case HW_Q4_1:
                for (; r + 1 < t1; r += 2) dot_q4_1_x2_avx2(w + r * row_bytes, w + (r + 1) * row_bytes, q, s, m, blocks, o + r, o + r + 1);
                if (r < t1) o[r] = dot_q4_1_avx2(w + r * row_bytes, q, s, m, blocks);
                break;
            case HW_Q4_0:
                for (; r < t1; r++) o[r] = dot_q4_0_avx2(w + r * row_bytes, q, s, blocks);
                break;
            case HW_Q8_0:
                for (; r + 1 < t1; r += 2) dot_q8_0_x2_avx2(w + r * row_bytes, w + (r + 1) * row_bytes, q, s, blocks, o + r, o + r + 1);
                if (r < t1) o[r] = dot_q8_0_avx2(w + r * row_bytes, q, s, blocks);
                break;
            }
        }
    }
}

#include "generic.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
