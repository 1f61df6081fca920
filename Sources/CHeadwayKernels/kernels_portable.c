/* The portable kernels: plain C for the baseline instruction set (SSE2 on x86-64, NEON on arm64), the reference
 * the other sets are tested against. Where the CPU may lack a fused multiply-add, it is emulated in double
 * precision: a · b is exact in double, so only the final double → float rounding can differ from a fused operation
 * (on an exact tie between two floats, a case that does not arise in practice), and libm's fmaf (a slow software
 * routine on such CPUs) is not needed. */
#include "hw_internal.h"

#if defined(__FMA__) || defined(__aarch64__)
#define HW_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define HW_FMA(a, b, c) ((float)((double)(a) * (double)(b) + (double)(c)))
#endif
#define HW_H2F(h) hw_h2f_bits(h)
#define HW_F2H(f) hw_f2h_bits(f)
#define HW_FN(name) name##_portable
#define HW_SET HW_KERNELS_PORTABLE
#define HW_NAME "portable"
#define HW_TABLE hw_kernels_portable

#include "generic.inc"

float hw_f16_to_f32_reference(uint16_t h) { return hw_h2f_bits(h); }
uint16_t hw_f32_to_f16_reference(float f) { return hw_f2h_bits(f); }
