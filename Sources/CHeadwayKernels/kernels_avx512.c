/* AVX-512 VNNI kernels (x86-64: Intel Cascade Lake / Ice Lake and later, AMD Zen 4 and later): vpdpbusd does
 * vpmaddubsw + vpmaddwd in one instruction on 256-bit vectors (AVX-512 VL). Products of 8-bit values are exact and no
 * pair sum reaches vpmaddubsw's Int16 bound, so the Int32 lanes, and with the same FMA order the results, equal the
 * AVX2 kernels'. Compiled for that instruction set function by function; the rest of the program stays at the
 * baseline. */
#include "hw_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")
#endif

static inline float hw_h2f_avx512_vnni(uint16_t h) { _Float16 v; memcpy(&v, &h, 2); return (float)v; }
static inline uint16_t hw_f2h_avx512_vnni(float f) { _Float16 v = (_Float16)f; uint16_t h; memcpy(&h, &v, 2); return h; }

#define HW_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#define HW_H2F(h) hw_h2f_avx512_vnni(h)
#define HW_F2H(f) hw_f2h_avx512_vnni(f)
#define HW_FN(name) name##_avx512_vnni
#define HW_SET HW_KERNELS_AVX512_VNNI
#define HW_NAME "avx512-vnni"
#define HW_TABLE hw_kernels_avx512_vnni
#define HW_HAS_MATMUL_Q8
#define HW_MATMUL_Q8 matmul_q8_avx512_vnni

static inline __m256 dot_us_avx512_vnni(__m256i u, __m256i s) {
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s));
}

static inline __m256 dot_ss_avx512_vnni(__m256i x, __m256i y) {
    return dot_us_avx512_vnni(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

/* The 16 packed bytes broadcast to both halves, the upper half shifted right by 4, masked to nibbles. */
static inline __m256i nibbles_avx512_vnni(const uint8_t *p) {
    __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p));
    return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F));
}

static inline float hsum_avx512_vnni(__m256 v) {
    float a[8];
    _mm256_storeu_ps(a, v);
    return hw_hsum8(a);
}

static inline __m256i act_avx512_vnni(const int8_t *q, int b) { return _mm256_loadu_si256((const __m256i *)(q + 32 * b)); }

static inline float dot_q4_1_avx512_vnni(const uint8_t *row, const int8_t *q, const float *s, const float *m, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    /* Lane 1 accumulates m · Σy in block order, like the scalar sum of the other kernels (lane 0: d · s_y). */
    __m128 mm = _mm_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 20 * b;
        int32_t dm_bits;
        memcpy(&dm_bits, p, 4);
        __m128 dm = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(dm_bits)), _mm_setr_ps(s[b], m[b], 0, 0));
        acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(dm), dot_us_avx512_vnni(nibbles_avx512_vnni(p + 4), act_avx512_vnni(q, b)), acc);
        mm = _mm_add_ps(mm, dm);
    }
    float lanes[4];
    _mm_storeu_ps(lanes, mm);
    return hsum_avx512_vnni(acc) + lanes[1];
}

static inline float dot_q4_0_avx512_vnni(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 18 * b;
        __m256i w = _mm256_sub_epi8(nibbles_avx512_vnni(p + 2), eight);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx512_vnni(*(const uint16_t *)p) * s[b]), dot_ss_avx512_vnni(w, act_avx512_vnni(q, b)), acc);
    }
    return hsum_avx512_vnni(acc);
}

static inline float dot_q8_0_avx512_vnni(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 34 * b;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(hw_h2f_avx512_vnni(*(const uint16_t *)p) * s[b]),
                              dot_ss_avx512_vnni(_mm256_loadu_si256((const __m256i *)(p + 2)), act_avx512_vnni(q, b)), acc);
    }
    return hsum_avx512_vnni(acc);
}

/* Prompt rows: a tile of 4 weight rows × 4 tokens (16 accumulators, in the 32 vector registers AVX-512 VL gives),
 * each row's nibbles unpacked once per block for the 4 tokens and each token's activations loaded once for the 4
 * rows; scales and sums of the 4 tokens from the driver's transposed copy (see HW_Q4_1_TILED_BODY). Each (row, token)
 * takes the operations of dot_q4_1_avx512_vnni in the same order (the m · s term as lane 1 of its `dm` product
 * there, a separate product here: the same rounding), so the outputs are bit-identical to the one-token path. */
static inline void q4_1_tile_avx512_vnni(const uint8_t *const *r, const int8_t *const *y, const float *sy,
                                         const float *my, int blocks, float (*o)[4]) {
    __m256 acc[4][4];
    __m128 mm[4];
    for (int i = 0; i < 4; i++) {
        mm[i] = _mm_setzero_ps();
        for (int j = 0; j < 4; j++) acc[i][j] = _mm256_setzero_ps();
    }
    for (int b = 0; b < blocks; b++) {
        __m128 s4 = _mm_loadu_ps(sy + 4 * b), n4 = _mm_loadu_ps(my + 4 * b);
        __m256i yv[4];
        for (int j = 0; j < 4; j++) yv[j] = act_avx512_vnni(y[j], b);
        for (int i = 0; i < 4; i++) {
            const uint8_t *p = r[i] + 20 * b;
            int32_t dm_bits;
            memcpy(&dm_bits, p, 4);
            __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(dm_bits));
            float ds[4];
            _mm_storeu_ps(ds, _mm_mul_ps(_mm_broadcastss_ps(f), s4));
            mm[i] = _mm_add_ps(mm[i], _mm_mul_ps(_mm_permute_ps(f, 0x55), n4));
            __m256i u = nibbles_avx512_vnni(p + 4);
            for (int j = 0; j < 4; j++)
                acc[i][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(&ds[j]), dot_us_avx512_vnni(u, yv[j]), acc[i][j]);
        }
    }
    for (int i = 0; i < 4; i++) {
        float n[4];
        _mm_storeu_ps(n, mm[i]);
        for (int j = 0; j < 4; j++) o[i][j] = hsum_avx512_vnni(acc[i][j]) + n[j];
    }
}

static __attribute__((noinline)) void matmul_q4_1_tokens_avx512_vnni(const uint8_t *w, size_t row_bytes, int row_begin, int row_end, int blocks,
                                           int tokens, const int8_t *qs, const float *scales, const float *sums,
                                           float *out, size_t out_stride) {
    HW_Q4_1_TILED_BODY(q4_1_tile_avx512_vnni, 4);
}

/* One row after the other: each row is one sequential stream through memory, which the hardware prefetcher
 * follows (interleaving rows measured slower in decode, which streams the weights from DRAM). */
static void matmul_q8_avx512_vnni(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    if (type == HW_Q4_1 && tokens > 1 && blocks <= HW_TILE_MAX_BLOCKS) {
        matmul_q4_1_tokens_avx512_vnni(w, row_bytes, row_begin, row_end, blocks, tokens, qs, scales, sums, out, out_stride);
        return;
    }
    for (int t0 = row_begin; t0 < row_end; t0 += 16) {
        int t1 = t0 + 16 < row_end ? t0 + 16 : row_end;
        for (int t = 0; t < tokens; t++) {
            const int8_t *q = qs + (size_t)t * 32 * blocks;
            const float *s = scales + (size_t)t * blocks, *m = sums + (size_t)t * blocks;
            float *o = out + (size_t)t * out_stride;
            switch (type) {
            case HW_Q4_1: for (int r = t0; r < t1; r++) o[r] = dot_q4_1_avx512_vnni(w + r * row_bytes, q, s, m, blocks); break;
            case HW_Q4_0: for (int r = t0; r < t1; r++) o[r] = dot_q4_0_avx512_vnni(w + r * row_bytes, q, s, blocks); break;
            case HW_Q8_0: for (int r = t0; r < t1; r++) o[r] = dot_q8_0_avx512_vnni(w + r * row_bytes, q, s, blocks); break;
            }
        }
    }
}

/* attend_rows' inner kernels in 256-bit intrinsics (the compiler's own vectorization of the generic loops transposes
 * with scatters and mixes vector widths). Same operations in the same order as the generic forms. */
#define HW_HAS_KEYS8
static inline void HW_FN(keys8_f16)(const uint16_t *rows, int nk, int hd, float *kt) {
    const uint16_t *row[8];
    for (int k = 0; k < 8; k++) row[k] = rows + (size_t)(k < nk ? k : nk - 1) * hd;
    for (int d = 0; d < hd; d += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; k++) r[k] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row[k] + d)));
        __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *o = kt + 8 * d;
        _mm256_storeu_ps(o + 0, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(o + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(o + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(o + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(o + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(o + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(o + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
}

static inline void HW_FN(scores8_f16)(const float *kt, const float *const *q, int hd, float s[4][8]) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int l = 0; l < 16; l++) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < hd; c += 16) {
            __m256 k = _mm256_loadu_ps(kt + 8 * (c + l));
            a0 = _mm256_fmadd_ps(k, _mm256_broadcast_ss(q[0] + c + l), a0);
            a1 = _mm256_fmadd_ps(k, _mm256_broadcast_ss(q[1] + c + l), a1);
            a2 = _mm256_fmadd_ps(k, _mm256_broadcast_ss(q[2] + c + l), a2);
            a3 = _mm256_fmadd_ps(k, _mm256_broadcast_ss(q[3] + c + l), a3);
        }
        s0 = _mm256_add_ps(s0, a0);
        s1 = _mm256_add_ps(s1, a1);
        s2 = _mm256_add_ps(s2, a2);
        s3 = _mm256_add_ps(s3, a3);
    }
    _mm256_storeu_ps(s[0], s0);
    _mm256_storeu_ps(s[1], s1);
    _mm256_storeu_ps(s[2], s2);
    _mm256_storeu_ps(s[3], s3);
}

#include "generic.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
