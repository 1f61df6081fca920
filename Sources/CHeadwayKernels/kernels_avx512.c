/* AVX-512 VNNI kernels (x86-64: Intel Cascade Lake / Ice Lake and later, AMD Zen 4 and later): vpdpbusd does
 * vpmaddubsw + vpmaddwd in one instruction on 256-bit vectors (AVX-512 VL), for the Q4_1 products (the signed Q8_0
 * ones measured faster with the two instructions, see rows_avx.inc). Products of 8-bit values are exact and no
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

#include "rows_avx.inc"

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

static void matmul_q8_avx512_vnni(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    HW_MATMUL_Q8_BODY(matmul_q4_1_tokens_avx512_vnni, dot_q4_1_avx512_vnni, dot_q4_0_avx512_vnni, dot_q8_0_avx512_vnni);
}

#include "attend_avx.inc"

#include "generic.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
