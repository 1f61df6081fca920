/* Shared helpers of the kernel variants (not part of the public header). */
#ifndef HW_INTERNAL_H
#define HW_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "headway_kernels.h"

/* No contraction of a * b + c into a fused multiply-add behind our back: where a kernel fuses, it says so (HW_FMA),
 * so that every variant rounds the same way. (GCC builds pass -ffp-contract=off, see scripts/check-arm64.sh.) */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

static inline uint32_t hw_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float hw_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* F16 → F32, exact: normal numbers rebias the exponent, subnormals are m · 2^-24, Inf/NaN keep their payload. */
static inline float hw_h2f_bits(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
    if (e == 0) {
        float v = (float)m * 0x1p-24f;
        return hw_float(hw_bits(v) | sign);
    }
    if (e == 31) return hw_float(sign | 0x7F800000 | (m << 13));
    return hw_float(sign | ((e + 112) << 23) | (m << 13));
}

/* F32 → F16, rounding to nearest even (what a hardware conversion does). */
static inline uint16_t hw_f2h_bits(float f) {
    uint32_t x = hw_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7FFFFFFF;
    if (x > 0x7F800000) return sign | 0x7E00 | (uint16_t)((x >> 13) & 0x1FF);  /* NaN stays NaN */
    if (x >= 0x47800000) return sign | 0x7C00;                                    /* ≥ 65536: Inf */
    if (x >= 0x38800000) {                                                         /* normal F16 */
        uint32_t r = x - 0x38000000;  /* exponent rebiased from 127 to 15 */
        r += 0x0FFF + ((r >> 13) & 1);
        return sign | (uint16_t)(r >> 13);  /* a carry into the exponent is the right answer (up to Inf) */
    }
    /* Subnormal F16 (or zero): the value in units of 2^-24, rounded to nearest even by the 2^23 trick (exact
     * product, |v| < 1024); 1024 is the smallest normal number's encoding. */
    float v = hw_float(x) * 0x1p24f;
    v = (v + 0x1p23f) - 0x1p23f;
    return sign | (uint16_t)v;
}

/* The float sum of 8 lanes in the order of GGML's hsum_float_8: ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)). */
static inline float hw_hsum8(const float a[8]) {
    float r0 = a[0] + a[4], r1 = a[1] + a[5], r2 = a[2] + a[6], r3 = a[3] + a[7];
    return (r0 + r2) + (r1 + r3);
}

static inline float hw_load_f16(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return hw_h2f_bits(h); }

/* e^x for softmax inputs (x ≤ 0): x = n·ln 2 + r, |r| ≤ ln 2 / 2 (ln 2 in two parts), e^r by its degree-6 Taylor
 * polynomial, times 2^n built in the exponent; below -87.3 the result is 0. FMA is the variant's fused (or
 * emulated) multiply-add, so every variant computes the same numbers. */
#define HW_EXP_BODY(FMA, x, result)                                                                     \
    do {                                                                                               \
        float xc_ = (x) < -87.3f ? -87.3f : (x);                                                        \
        float t_ = FMA(xc_, 1.44269504f, 12582912.0f);                                                  \
        float n_ = t_ - 12582912.0f;                                                                    \
        float r_ = FMA(n_, -0.693359375f, xc_);                                                         \
        r_ = FMA(n_, 2.1219444e-4f, r_);                                                                \
        float p_ = 1.0f / 720;                                                                          \
        p_ = FMA(p_, r_, 1.0f / 120);                                                                   \
        p_ = FMA(p_, r_, 1.0f / 24);                                                                    \
        p_ = FMA(p_, r_, 1.0f / 6);                                                                     \
        p_ = FMA(p_, r_, 0.5f);                                                                         \
        p_ = FMA(p_, r_, 1.0f);                                                                         \
        p_ = FMA(p_, r_, 1.0f);                                                                         \
        int32_t e_ = (int32_t)(hw_bits(t_) - 0x4B400000u) + 127;                                        \
        float v_ = p_ * hw_float((uint32_t)e_ << 23);                                                   \
        (result) = (x) < -87.3f ? 0.0f : v_;                                                            \
    } while (0)

/* The one-token-at-a-time matrix product: rows in tiles of 16, each tile applied to every token while it is in L1 (a
 * prefill reads the weights once), one row after the other inside a tile (each row one sequential stream through
 * memory, which the hardware prefetcher follows). DOT_Q4_1, DOT_Q4_0, DOT_Q8_0: a kernel set's row dot products. */
#define HW_MATMUL_Q8_ROWS(DOT_Q4_1, DOT_Q4_0, DOT_Q8_0)                                                            \
    do {                                                                                                         \
        for (int t0_ = row_begin; t0_ < row_end; t0_ += 16) {                                                    \
            int t1_ = t0_ + 16 < row_end ? t0_ + 16 : row_end;                                                   \
            for (int t_ = 0; t_ < tokens; t_++) {                                                                \
                const int8_t *q_ = qs + (size_t)t_ * 32 * blocks;                                                \
                const float *s_ = scales + (size_t)t_ * blocks, *m_ = sums + (size_t)t_ * blocks;                \
                float *o_ = out + (size_t)t_ * out_stride;                                                       \
                switch (type) {                                                                                  \
                case HW_Q4_1: for (int r_ = t0_; r_ < t1_; r_++) o_[r_] = DOT_Q4_1(w + r_ * row_bytes, q_, s_, m_, blocks); break; \
                case HW_Q4_0: for (int r_ = t0_; r_ < t1_; r_++) o_[r_] = DOT_Q4_0(w + r_ * row_bytes, q_, s_, blocks); break; \
                case HW_Q8_0: for (int r_ = t0_; r_ < t1_; r_++) o_[r_] = DOT_Q8_0(w + r_ * row_bytes, q_, s_, blocks); break; \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    } while (0)

/* A set's matmul_q8 body: several tokens of Q4_1 rows go to TOKENS (the set's tiled prompt path, below, when the
 * blocks fit its stack copy), everything else one row after the other (HW_MATMUL_Q8_ROWS). */
#define HW_MATMUL_Q8_BODY(TOKENS, DOT_Q4_1, DOT_Q4_0, DOT_Q8_0)                                                    \
    do {                                                                                                         \
        if (type == HW_Q4_1 && tokens > 1 && blocks <= HW_TILE_MAX_BLOCKS) {                                     \
            TOKENS(w, row_bytes, row_begin, row_end, blocks, tokens, qs, scales, sums, out, out_stride);         \
            return;                                                                                              \
        }                                                                                                        \
        HW_MATMUL_Q8_ROWS(DOT_Q4_1, DOT_Q4_0, DOT_Q8_0);                                                          \
    } while (0)

/* Batched Q4_1 × Q8_1 (prompt rows): the driver around a variant's tile function
 *   TILE(const uint8_t *const *rows (R rows), const int8_t *const *y (4 tokens), const float *sy,
 *        const float *my, int blocks, float (*o)[4])
 * which computes the R × 4 dot products of R weight rows with 4 tokens' activations; sy and my hold the 4 tokens'
 * scales and sums transposed (block b of token k at 4b + k). Tokens go in groups of up to HW_TILE_GROUP (their
 * scales transposed once, on the stack), rows in tiles of 16 (each tile applied to every token of the group while
 * it is in L1), and each tile in steps of R rows × 4 tokens; a partial step repeats its last row or token and
 * drops the repeated outputs. Used when blocks ≤ HW_TILE_MAX_BLOCKS (the stack copy stays ≤ 64 KiB; the functions
 * holding it are not inlined, so the one-token path does not carry that frame). */
#define HW_TILE_GROUP 64
#define HW_TILE_MAX_BLOCKS 128
#define HW_Q4_1_TILED_BODY(TILE, R)                                                                              \
    do {                                                                                                         \
        float sy_[HW_TILE_GROUP * HW_TILE_MAX_BLOCKS], my_[HW_TILE_GROUP * HW_TILE_MAX_BLOCKS];                   \
        for (int g0_ = 0; g0_ < tokens; g0_ += HW_TILE_GROUP) {                                                  \
            int gn_ = tokens - g0_ < HW_TILE_GROUP ? tokens - g0_ : HW_TILE_GROUP;                               \
            int tiles_ = (gn_ + 3) / 4;                                                                          \
            for (int k_ = 0; k_ < tiles_; k_++)                                                                  \
                for (int j_ = 0; j_ < 4; j_++) {                                                                 \
                    int t_ = 4 * k_ + j_ < gn_ ? g0_ + 4 * k_ + j_ : g0_ + gn_ - 1;                              \
                    for (int b_ = 0; b_ < blocks; b_++) {                                                        \
                        sy_[(k_ * blocks + b_) * 4 + j_] = scales[(size_t)t_ * blocks + b_];                     \
                        my_[(k_ * blocks + b_) * 4 + j_] = sums[(size_t)t_ * blocks + b_];                       \
                    }                                                                                            \
                }                                                                                                \
            for (int r0_ = row_begin; r0_ < row_end; r0_ += 16) {                                                \
                int r1_ = r0_ + 16 < row_end ? r0_ + 16 : row_end;                                               \
                for (int k_ = 0; k_ < tiles_; k_++) {                                                            \
                    const int8_t *y_[4];                                                                         \
                    int tn_ = gn_ - 4 * k_ < 4 ? gn_ - 4 * k_ : 4;                                               \
                    for (int j_ = 0; j_ < 4; j_++)                                                               \
                        y_[j_] = qs + (size_t)(g0_ + 4 * k_ + (j_ < tn_ ? j_ : tn_ - 1)) * 32 * blocks;          \
                    for (int r_ = r0_; r_ < r1_; r_ += (R)) {                                                    \
                        const uint8_t *rows_[R];                                                                 \
                        float o_[R][4];                                                                          \
                        for (int i_ = 0; i_ < (R); i_++)                                                         \
                            rows_[i_] = w + (size_t)(r_ + i_ < r1_ ? r_ + i_ : r1_ - 1) * row_bytes;             \
                        TILE(rows_, y_, sy_ + (size_t)k_ * blocks * 4, my_ + (size_t)k_ * blocks * 4, blocks, o_); \
                        for (int i_ = 0; i_ < (R) && r_ + i_ < r1_; i_++)                                        \
                            for (int j_ = 0; j_ < tn_; j_++)                                                     \
                                out[(size_t)(g0_ + 4 * k_ + j_) * out_stride + r_ + i_] = o_[i_][j_];            \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    } while (0)

/* The tables of each variant (defined in its file when the build has it). */
extern const hw_kernels hw_kernels_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const hw_kernels hw_kernels_sse4;
extern const hw_kernels hw_kernels_avx2;
extern const hw_kernels hw_kernels_avx512_vnni;
#endif
#if defined(__aarch64__)
extern const hw_kernels hw_kernels_neon;
#endif

#endif
