/* NEON kernels (arm64: every ARMv8-A CPU, e.g. Raspberry Pi 4/5, Jetson, phones). The quantized dot products form the
 * same 8 lanes of 4 consecutive products as the x86 kernels (vmull_s8, then pairwise widening adds), so results
 * equal the other sets'. The rest is the generic C, which the compiler vectorizes with NEON; F16 conversions are
 * native (fcvt). */
#include "hw_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

static inline float hw_h2f_neon(uint16_t h) { __fp16 v; memcpy(&v, &h, 2); return (float)v; }
static inline uint16_t hw_f2h_neon(float f) { __fp16 v = (__fp16)f; uint16_t h; memcpy(&h, &v, 2); return h; }

#define HW_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#define HW_H2F(h) hw_h2f_neon(h)
#define HW_F2H(f) hw_f2h_neon(f)
#define HW_FN(name) name##_neon
#define HW_SET HW_KERNELS_NEON
#define HW_NAME "neon"
#define HW_TABLE hw_kernels_neon
#define HW_HAS_MATMUL_Q8
#define HW_MATMUL_Q8 matmul_q8_neon

/* Lanes 0–3 (elements 0–15) and 4–7 (16–31) of the block dot w · y: each the exact sum of 4 consecutive products. */
static inline void lanes_neon(int8x16_t w0, int8x16_t w1, const int8_t *y, int32x4_t *lo, int32x4_t *hi) {
    int8x16_t y0 = vld1q_s8(y), y1 = vld1q_s8(y + 16);
    int32x4_t a = vpaddlq_s16(vmull_s8(vget_low_s8(w0), vget_low_s8(y0)));
    int32x4_t b = vpaddlq_s16(vmull_s8(vget_high_s8(w0), vget_high_s8(y0)));
    int32x4_t c = vpaddlq_s16(vmull_s8(vget_low_s8(w1), vget_low_s8(y1)));
    int32x4_t d = vpaddlq_s16(vmull_s8(vget_high_s8(w1), vget_high_s8(y1)));
    *lo = vpaddq_s32(a, b);
    *hi = vpaddq_s32(c, d);
}

static inline float hsum_neon(float32x4_t lo, float32x4_t hi) {
    float a[8];
    vst1q_f32(a, lo);
    vst1q_f32(a + 4, hi);
    return hw_hsum8(a);
}

static inline float dot_q4_1_neon(const uint8_t *row, const int8_t *q, const float *s, const float *m, int blocks) {
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    float mm = 0;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 20 * b;
        uint8x16_t packed = vld1q_u8(p + 4);
        int32x4_t lo, hi;
        lanes_neon(vreinterpretq_s8_u8(vandq_u8(packed, mask)), vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), q + 32 * b, &lo, &hi);
        float32x4_t d = vdupq_n_f32(hw_h2f_neon(*(const uint16_t *)p) * s[b]);
        acc0 = vfmaq_f32(acc0, d, vcvtq_f32_s32(lo));
        acc1 = vfmaq_f32(acc1, d, vcvtq_f32_s32(hi));
        mm += hw_h2f_neon(*(const uint16_t *)(p + 2)) * m[b];
    }
    return hsum_neon(acc0, acc1) + mm;
}

static inline float dot_q4_0_neon(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    const int8x16_t eight = vdupq_n_s8(8);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 18 * b;
        uint8x16_t packed = vld1q_u8(p + 2);
        int32x4_t lo, hi;
        lanes_neon(vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, mask)), eight),
                   vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight), q + 32 * b, &lo, &hi);
        float32x4_t d = vdupq_n_f32(hw_h2f_neon(*(const uint16_t *)p) * s[b]);
        acc0 = vfmaq_f32(acc0, d, vcvtq_f32_s32(lo));
        acc1 = vfmaq_f32(acc1, d, vcvtq_f32_s32(hi));
    }
    return hsum_neon(acc0, acc1);
}

static inline float dot_q8_0_neon(const uint8_t *row, const int8_t *q, const float *s, int blocks) {
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + 34 * b;
        int32x4_t lo, hi;
        lanes_neon(vld1q_s8((const int8_t *)(p + 2)), vld1q_s8((const int8_t *)(p + 18)), q + 32 * b, &lo, &hi);
        float32x4_t d = vdupq_n_f32(hw_h2f_neon(*(const uint16_t *)p) * s[b]);
        acc0 = vfmaq_f32(acc0, d, vcvtq_f32_s32(lo));
        acc1 = vfmaq_f32(acc1, d, vcvtq_f32_s32(hi));
    }
    return hsum_neon(acc0, acc1);
}

/* Prompt rows (Q4_1, several tokens): the generic tiled form (generic.inc), which the compiler vectorizes. */
static void matmul_q4_1_tokens_generic_neon(const uint8_t *w, size_t row_bytes, int row_begin, int row_end, int blocks,
                                            int tokens, const int8_t *qs, const float *scales, const float *sums,
                                            float *out, size_t out_stride);

static void matmul_q8_neon(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end,
                           int blocks, int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                           size_t out_stride) {
    HW_MATMUL_Q8_BODY(matmul_q4_1_tokens_generic_neon, dot_q4_1_neon, dot_q4_0_neon, dot_q8_0_neon);
}

#include "generic.inc"

#endif
