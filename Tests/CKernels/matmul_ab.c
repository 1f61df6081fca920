/*
 * A/B benchmark of the one-token (decode) matrix product of two builds of the kernels, linked into one program with
 * their global symbols prefixed `a_` and `b_` (scripts/kernel-ab.sh builds them from two git revisions). The two run
 * alternately, call by call, on the same random weights and activations with SmolLM2-135M's row shapes (576-column
 * Q4_1 rows as in Q, K, V, O, gate and up; 1536-column Q4_1 rows as in down; 576-column Q8_0 rows as in the LM head),
 * 96 MiB of rows each (about the model file, more than a last-level cache holds), so every call streams its weights
 * from DRAM as decode does. Prints the median time of each side, the ratio, how many outputs are bit-identical
 * between the two, and the rate of a plain read of the same bytes.
 *
 *   usage: matmul_ab [SET_A [SET_B [CALLS]]]     (kernel set names; default avx2 avx2 101)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "headway_kernels.h"

const hw_kernels *a_hw_kernels_table(hw_kernel_set set);
const hw_kernels *b_hw_kernels_table(hw_kernel_set set);
int a_hw_kernels_parse(const char *name);
int b_hw_kernels_parse(const char *name);

static uint64_t rng = 1;
static uint32_t next_u32(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}
static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static int by_value(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    const char *name_a = argc > 1 ? argv[1] : "avx2", *name_b = argc > 2 ? argv[2] : name_a;
    int calls = argc > 3 ? atoi(argv[3]) : 101;
    if (calls < 1) calls = 1;
    int set_a = a_hw_kernels_parse(name_a), set_b = b_hw_kernels_parse(name_b);
    const hw_kernels *ka = set_a < 0 ? NULL : a_hw_kernels_table((hw_kernel_set)set_a);
    const hw_kernels *kb = set_b < 0 ? NULL : b_hw_kernels_table((hw_kernel_set)set_b);
    if (!ka || !kb) {
        fprintf(stderr, "matmul_ab: kernel set '%s' or '%s' unknown or not supported by this CPU\n", name_a, name_b);
        return 2;
    }
    struct { hw_weight_type type; int cols, block_bytes; const char *name; } shapes[] = {
        {HW_Q4_1, 576, 20, "Q4_1 576 columns (Q..up)"},
        {HW_Q4_1, 1536, 20, "Q4_1 1536 columns (down)"},
        {HW_Q8_0, 576, 34, "Q8_0 576 columns (LM head)"},
    };
    printf("A = %s, B = %s, %d calls each, alternating; median per call\n", name_a, name_b, calls);
    uint64_t checksum = 0;
    for (int i = 0; i < 3; i++) {
        int blocks = shapes[i].cols / 32;
        size_t row_bytes = (size_t)blocks * shapes[i].block_bytes;
        int rows = (int)((96u << 20) / row_bytes);
        size_t bytes = row_bytes * (size_t)rows;
        uint8_t *w = malloc(bytes);
        float *x = malloc(sizeof(float) * shapes[i].cols), *scales = malloc(sizeof(float) * blocks);
        float *sums = malloc(sizeof(float) * blocks);
        int8_t *qs = malloc(shapes[i].cols);
        float *out_a = malloc(sizeof(float) * rows), *out_b = malloc(sizeof(float) * rows);
        double *time_a = malloc(sizeof(double) * calls), *time_b = malloc(sizeof(double) * calls);
        double *time_r = malloc(sizeof(double) * calls);
        if (!w || !x || !scales || !sums || !qs || !out_a || !out_b || !time_a || !time_b || !time_r) {
            fprintf(stderr, "matmul_ab: out of memory\n");
            return 2;
        }
        for (size_t j = 0; j < bytes; j++) w[j] = (uint8_t)next_u32();
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < blocks; b++) {  /* finite F16 scales (and Q4_1 minimums) of realistic size */
                uint8_t *p = w + r * row_bytes + (size_t)b * shapes[i].block_bytes;
                uint16_t d = 0x2000 + (next_u32() & 0x3FF), m = 0xA000 + (next_u32() & 0x3FF);
                memcpy(p, &d, 2);
                if (shapes[i].type == HW_Q4_1) memcpy(p + 2, &m, 2);
            }
        for (int j = 0; j < shapes[i].cols; j++) x[j] = (float)(next_u32() % 2001) / 1000.0f - 1.0f;
        ka->quantize_q8_1(x, blocks, qs, scales, sums);
        for (int c = 0; c < calls; c++) {
            double t0 = seconds();
            ka->matmul_q8(shapes[i].type, w, row_bytes, 0, rows, blocks, 1, qs, scales, sums, out_a, rows);
            double t1 = seconds();
            kb->matmul_q8(shapes[i].type, w, row_bytes, 0, rows, blocks, 1, qs, scales, sums, out_b, rows);
            double t2 = seconds();
            /* The same bytes read plainly (summed as 64-bit words): the streaming bound the products are held to. */
            const uint64_t *words = (const uint64_t *)w;
            uint64_t sum = 0;
            for (size_t j = 0; j < bytes / 8; j++) sum += words[j];
            checksum += sum;
            time_a[c] = t1 - t0;
            time_b[c] = t2 - t1;
            time_r[c] = seconds() - t2;
        }
        int same = 0;
        for (int r = 0; r < rows; r++) same += memcmp(&out_a[r], &out_b[r], sizeof(float)) == 0;
        qsort(time_a, calls, sizeof(double), by_value);
        qsort(time_b, calls, sizeof(double), by_value);
        qsort(time_r, calls, sizeof(double), by_value);
        double ta = time_a[calls / 2], tb = time_b[calls / 2], tr = time_r[calls / 2];
        printf("%-26s A %7.3f ms (%5.1f GB/s)  B %7.3f ms (%5.1f GB/s)  B/A speed %.2fx  bit-identical %d of %d"
               "  (plain read %.1f GB/s)\n", shapes[i].name, ta * 1e3, (double)bytes / ta / 1e9, tb * 1e3,
               (double)bytes / tb / 1e9, ta / tb, same, rows, (double)bytes / tr / 1e9);
        free(w); free(x); free(scales); free(sums); free(qs); free(out_a); free(out_b);
        free(time_a); free(time_b); free(time_r);
    }
    printf("(checksum of the plain reads: %llu)\n", (unsigned long long)checksum);
    return 0;
}
