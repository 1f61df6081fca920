/* Chooses the kernel set once at load: the best this CPU runs (CPUID, and the OS's saved-register support from
 * XGETBV on x86-64), or the one HEADWAY_KERNELS names. */
#include <stdlib.h>
#include <string.h>

#include "hw_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

static const char *const set_names[HW_KERNEL_SET_COUNT] = {"portable", "avx2", "avx512-vnni", "neon", "sse4"};

typedef struct {
    int ssse3, sse41, avx2, fma, f16c, avx512f, avx512bw, avx512dq, avx512vl, avx512vnni;
    char text[160];
} cpu_features;

static cpu_features detect(void) {
    cpu_features f;
    memset(&f, 0, sizeof f);
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
        f.ssse3 = (c >> 9) & 1;
        f.sse41 = (c >> 19) & 1;
        f.fma = (c >> 12) & 1;
        f.f16c = (c >> 29) & 1;
        unsigned long long xcr0 = 0;
        if (osxsave) {
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            xcr0 = ((unsigned long long)hi << 32) | lo;
        }
        int ymm = avx && (xcr0 & 0x6) == 0x6;          /* SSE and AVX state saved by the OS */
        int zmm = ymm && (xcr0 & 0xE0) == 0xE0;         /* opmask and ZMM state */
        if (!ymm) f.fma = f.f16c = 0;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            f.avx2 = ymm && ((b >> 5) & 1);
            f.avx512f = zmm && ((b >> 16) & 1);
            f.avx512dq = zmm && ((b >> 17) & 1);
            f.avx512bw = zmm && ((b >> 30) & 1);
            f.avx512vl = zmm && ((b >> 31) & 1);
            f.avx512vnni = zmm && ((c >> 11) & 1);
        }
    }
    const char *names[] = {"ssse3", "sse4.1", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
                           "avx512_vnni"};
    int values[] = {f.ssse3, f.sse41, f.avx2, f.fma, f.f16c, f.avx512f, f.avx512bw, f.avx512dq, f.avx512vl,
                    f.avx512vnni};
    for (int i = 0; i < 10; i++) {
        if (!values[i]) continue;
        if (f.text[0]) strcat(f.text, " ");
        strcat(f.text, names[i]);
    }
    if (!f.text[0]) strcpy(f.text, "x86-64 baseline");
#elif defined(__aarch64__)
    strcpy(f.text, "arm64 (neon)");
#else
    strcpy(f.text, "unknown");
#endif
    return f;
}

static cpu_features features;
static const hw_kernels *active = &hw_kernels_portable;
static char environment_error[96];

const hw_kernels *hw_kernels_table(hw_kernel_set set) {
    switch (set) {
    case HW_KERNELS_PORTABLE: return &hw_kernels_portable;
#if defined(__x86_64__)
    case HW_KERNELS_SSE4: return features.ssse3 && features.sse41 ? &hw_kernels_sse4 : NULL;
    case HW_KERNELS_AVX2:
        return features.avx2 && features.fma && features.f16c ? &hw_kernels_avx2 : NULL;
    case HW_KERNELS_AVX512_VNNI:
        return features.avx2 && features.fma && features.f16c && features.avx512f && features.avx512bw &&
                       features.avx512dq && features.avx512vl && features.avx512vnni
                   ? &hw_kernels_avx512_vnni
                   : NULL;
#endif
#if defined(__aarch64__)
    case HW_KERNELS_NEON: return &hw_kernels_neon;
#endif
    default: return NULL;
    }
}

hw_kernel_set hw_kernels_best(void) {
    static const hw_kernel_set order[] = {HW_KERNELS_AVX512_VNNI, HW_KERNELS_NEON, HW_KERNELS_AVX2, HW_KERNELS_SSE4};
    for (int i = 0; i < 4; i++)
        if (hw_kernels_table(order[i])) return order[i];
    return HW_KERNELS_PORTABLE;
}

const hw_kernels *hw_kernels_active(void) { return active; }

int hw_kernels_use(hw_kernel_set set) {
    const hw_kernels *t = hw_kernels_table(set);
    if (!t) return -1;
    active = t;
    environment_error[0] = 0;  /* an explicit choice supersedes HEADWAY_KERNELS */
    return 0;
}

const char *hw_kernels_name(hw_kernel_set set) {
    return (unsigned)set < HW_KERNEL_SET_COUNT ? set_names[set] : "unknown";
}

int hw_kernels_parse(const char *name) {
    for (int i = 0; i < HW_KERNEL_SET_COUNT; i++)
        if (strcmp(name, set_names[i]) == 0) return i;
    return -1;
}

const char *hw_kernels_environment_error(void) { return environment_error[0] ? environment_error : NULL; }

const char *hw_cpu_features(void) { return features.text; }

__attribute__((constructor)) static void hw_kernels_init(void) {
    features = detect();
    active = hw_kernels_table(hw_kernels_best());
    const char *env = getenv("HEADWAY_KERNELS");
    if (env && env[0]) {
        int set = hw_kernels_parse(env);
        if (set < 0 || !hw_kernels_table((hw_kernel_set)set)) {
            strncpy(environment_error, env, sizeof environment_error - 1);
        } else {
            active = hw_kernels_table((hw_kernel_set)set);
        }
    }
}
