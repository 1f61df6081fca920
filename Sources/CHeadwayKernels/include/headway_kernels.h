/*
 * Headway's hot CPU kernels, one variant per instruction set, chosen once at load.
 *
 * Each kernel set is a table of function pointers. `hw_kernels_active()` returns the set in use: at load (a
 * constructor) the best set this CPU supports, or the one named by the environment variable HEADWAY_KERNELS
 * ("avx512-vnni", "avx2", "sse4", "portable", "neon") when this CPU supports it. `hw_kernels_use()` switches before
 * use.
 *
 * Sets: portable (plain C, the reference the others are tested against; built for the baseline ISA: SSE2 on
 * x86-64, NEON on arm64), sse4 (SSSE3 + SSE4.1, x86-64 without AVX2), avx2 (AVX2 + FMA + F16C), avx512-vnni
 * (AVX-512 F/BW/VL + VNNI), neon (arm64).
 * All sets accumulate the quantized dot products in the same lane layout (8 lanes of 4 consecutive products, one
 * fused multiply-add per block, GGML's horizontal-sum order), so they agree with each other to the last bit in
 * nearly every row; the portable and sse4 sets emulate the fused multiply-add in double precision where the CPU has
 * none.
 */
#ifndef HEADWAY_KERNELS_H
#define HEADWAY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HW_KERNELS_PORTABLE = 0,
    HW_KERNELS_AVX2 = 1,
    HW_KERNELS_AVX512_VNNI = 2,
    HW_KERNELS_NEON = 3,
    HW_KERNELS_SSE4 = 4,
} hw_kernel_set;

enum { HW_KERNEL_SET_COUNT = 5 };

/* Quantized weight types of `matmul_q8` (GGML block layouts, 32 weights per block). */
typedef enum { HW_Q4_0 = 0, HW_Q4_1 = 1, HW_Q8_0 = 2 } hw_weight_type;

/* Up to four stretches of consecutive cached positions (see KVCacheView): positions [begin, end) are stored in F16
 * slots from `slot` on, or, when slot < 0, as Q8_0 rows indexed by position. */
typedef struct {
    const uint16_t *keys, *values;           /* F16 slots, head_dim numbers each */
    const uint8_t *packed_keys, *packed_values; /* Q8_0 rows of head_dim / 32 blocks (34 bytes each) */
    int32_t head_dim;
    int32_t run_count;
    int32_t run_begin[4], run_end[4], run_slot[4];
} hw_attend_view;

typedef struct hw_kernels {
    hw_kernel_set set;
    const char *name;
    /* out[t * out_stride + r] = row r of w · token t of the Q8 activations, for r in [row_begin, row_end) and t in
     * [0, tokens). Row r starts at w + r * row_bytes and has `blocks` blocks; token t's 8-bit values start at
     * qs + t * 32 * blocks, its per-block scales and Q8_1 sums at scales/sums + t * blocks. */
    void (*matmul_q8)(hw_weight_type type, const uint8_t *w, size_t row_bytes, int row_begin, int row_end, int blocks,
                      int tokens, const int8_t *qs, const float *scales, const float *sums, float *out,
                      size_t out_stride);
    /* Quantizes `blocks` blocks of 32 floats as GGML's Q8_1 (d = max|x| / 127 and s = d · Σq stored as F16,
     * q rounded to nearest even). */
    void (*quantize_q8_1)(const float *x, int blocks, int8_t *qs, float *scales, float *sums);
    /* Encodes `count` floats (a multiple of 32) as Q8_0 blocks (34 bytes each; q rounded half away from zero). */
    void (*quantize_q8_0)(const float *x, int count, uint8_t *out);
    /* One head: softmax(q · Kᵀ / √head_dim) · V over positions [0, length); probabilities rounded to F16. */
    void (*attend)(const hw_attend_view *view, const float *query, int length, float *scores, float *out);
    /* One K/V head, a chunk of `tokens` consecutive positions start … start + tokens − 1 with `heads` query heads each
     * (head h of token t at query + t · query_stride + h · head_dim; its output likewise at out, out_stride), token t
     * attending to positions [0, start + t + 1) of the view: the same numbers as `attend` for each query, computed as
     * matrix products over the chunk. Scratch: hw_attend_rows_scratch(...) floats. */
    void (*attend_rows)(const hw_attend_view *view, const float *query, int tokens, int heads, size_t query_stride,
                        int start, float *scratch, float *out, size_t out_stride);
    void (*softmax)(float *x, int count);
    void (*round_to_half)(float *x, int count);
    void (*f16_to_f32)(const uint16_t *x, float *out, int count);
    void (*f32_to_f16)(const float *x, uint16_t *out, int count);
    float (*dot_f32)(const float *a, const float *b, int count);
    float (*dot_f16)(const uint16_t *a, const float *b, int count);
    /* out = x / sqrt(mean(x²) + eps) ⊙ w (squares summed in double, like GGML); out may alias x. */
    void (*rms_norm)(const float *x, const float *w, float eps, int count, float *out);
    /* gate = gate / (1 + e^-gate) · up */
    void (*swiglu)(float *gate, const float *up, int count);
    /* y += x */
    void (*add)(const float *x, float *y, int count);
    /* Rotates the pairs (x[2i], x[2i+1]) of each of `heads` heads of head_dim numbers by (cos[i], sin[i]). */
    void (*rope)(float *x, int heads, int head_dim, const float *cos_table, const float *sin_table);
} hw_kernels;

/* Head dimensions up to this run `attend_rows` as matrix products (larger ones, or ones that are not whole blocks of
 * 32, query by query). */
enum { HW_ATTEND_MAX_HEAD_DIM = 256 };

/* Scratch floats `attend_rows` needs for `tokens` tokens of `heads` heads starting at position `start`. */
static inline size_t hw_attend_rows_scratch(int tokens, int heads, int start, int head_dim) {
    size_t total = (size_t)start + (size_t)tokens;
    return (size_t)tokens * (size_t)heads * total + 8 * (size_t)head_dim + (size_t)head_dim / 4 + total;
}

/* The table of `set`, or NULL when this build or this CPU cannot run it. */
const hw_kernels *hw_kernels_table(hw_kernel_set set);
/* The best set this CPU runs. */
hw_kernel_set hw_kernels_best(void);
/* The set in use. */
const hw_kernels *hw_kernels_active(void);
/* Switches to `set` (before the kernels are in use; supersedes HEADWAY_KERNELS). Returns 0, or -1 when this CPU
 * cannot run it. */
int hw_kernels_use(hw_kernel_set set);
/* The set's name ("portable", "avx2", "avx512-vnni", "neon", "sse4"). */
const char *hw_kernels_name(hw_kernel_set set);
/* Parses a name; returns -1 for an unknown name. */
int hw_kernels_parse(const char *name);
/* When HEADWAY_KERNELS named an unknown set or one this CPU cannot run: that value (the best set is in use then);
 * otherwise NULL. */
const char *hw_kernels_environment_error(void);
/* CPU features found (for messages): a space-separated list such as "avx2 fma f16c avx512f ...". */
const char *hw_cpu_features(void);

/* The scalar reference forms of the F16 conversions (round to nearest even), shared by all sets. */
float hw_f16_to_f32_reference(uint16_t h);
uint16_t hw_f32_to_f16_reference(float f);

#ifdef __cplusplus
}
#endif
#endif
