/*
 * Agreement test of every kernel set this CPU runs (CHeadwayKernels) against plain double-precision references
 * written here, and of each set against the portable set. Built outside SwiftPM by scripts/check-arm64.sh (arm64,
 * run under qemu-aarch64) and scripts/check-cpus.sh (x86-64); the Swift test suite checks the same kernels through
 * the engine. Exit status 0 when every check holds; one line per failed check otherwise.
 *
 *   cc -O2 -ffp-contract=off -I Sources/CHeadwayKernels/include Sources/CHeadwayKernels/[a-z]*.c \
 *      Tests/CKernels/agreement.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headway_kernels.h"

static int failures = 0, checks = 0;
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            if (failures < 40) { printf("FAIL: "); printf(__VA_ARGS__); printf("\n"); } \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static uint64_t rng_state = 12345;
static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float uniform(void) { return (float)(next_u64() >> 40) / (float)(1 << 24) * 2 - 1; } /* [-1, 1) */

static float h2f(uint16_t h) { return hw_f16_to_f32_reference(h); }
static uint16_t f2h(float f) { return hw_f32_to_f16_reference(f); }
static void put_h(uint8_t *p, float f) { uint16_t h = f2h(f); memcpy(p, &h, 2); }
static float get_h(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return h2f(h); }

/* ---- references ---- */

static double ref_weight(hw_weight_type type, const uint8_t *row, int i) {
    int b = i / 32, j = i % 32;
    if (type == HW_Q8_0) { const uint8_t *p = row + 34 * b; return get_h(p) * (double)(int8_t)p[2 + j]; }
    const uint8_t *p = row + (type == HW_Q4_0 ? 18 : 20) * b;
    const uint8_t *qs = p + (type == HW_Q4_0 ? 2 : 4);
    int q = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
    return type == HW_Q4_0 ? (q - 8) * (double)get_h(p) : q * (double)get_h(p) + get_h(p + 2);
}

/* Quantized weights · quantized activations, exact block sums in double (what every set approximates). */
static double ref_dot_q8(hw_weight_type type, const uint8_t *row, const int8_t *q, const float *s, const float *m, int blocks) {
    double acc = 0;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *p = row + (type == HW_Q8_0 ? 34 : type == HW_Q4_0 ? 18 : 20) * b;
        long sum = 0;
        for (int i = 0; i < 32; i++) {
            int w;
            if (type == HW_Q8_0) w = (int8_t)p[2 + i];
            else {
                const uint8_t *qs = p + (type == HW_Q4_0 ? 2 : 4);
                w = i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4);
                if (type == HW_Q4_0) w -= 8;
            }
            sum += (long)w * q[32 * b + i];
        }
        acc += (double)get_h(p) * s[b] * (double)sum;
        if (type == HW_Q4_1) acc += (double)get_h(p + 2) * m[b];
    }
    return acc;
}

static void random_row(hw_weight_type type, uint8_t *row, int blocks) {
    for (int b = 0; b < blocks; b++) {
        if (type == HW_Q8_0) {
            uint8_t *p = row + 34 * b;
            put_h(p, 0.002f + 0.01f * fabsf(uniform()));
            for (int i = 0; i < 32; i++) p[2 + i] = (uint8_t)(int8_t)(int)(uniform() * 127);
        } else {
            uint8_t *p = row + (type == HW_Q4_0 ? 18 : 20) * b;
            put_h(p, 0.005f + 0.02f * fabsf(uniform()));
            if (type == HW_Q4_1) put_h(p + 2, -0.15f * fabsf(uniform()));
            uint8_t *qs = p + (type == HW_Q4_0 ? 2 : 4);
            for (int i = 0; i < 16; i++) qs[i] = (uint8_t)next_u64();
        }
    }
}

static const hw_kernels *portable;

static void test_conversions(const hw_kernels *k) {
    static float out[65536];
    static uint16_t all[65536];
    for (int i = 0; i < 65536; i++) all[i] = (uint16_t)i;
    k->f16_to_f32(all, out, 65536);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        float r = h2f((uint16_t)i);
        if (isnan(r) ? !isnan(out[i]) : memcmp(&r, &out[i], 4) != 0) bad++;
    }
    CHECK(bad == 0, "%s f16_to_f32: %d of 65536 halves differ from the reference", k->name, bad);
    enum { N = 20000 };
    static float x[N];
    static uint16_t a[N], b[N];
    for (int i = 0; i < N; i++) x[i] = uniform() * ldexpf(1, (int)(next_u64() % 48) - 30);
    float specials[] = {0, -0.0f, 65504, 65519.99f, 65520, 65536, 1e9f, INFINITY, -INFINITY, 6.1035156e-05f,
                        5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f, 1e-10f};
    memcpy(x, specials, sizeof specials);
    k->f32_to_f16(x, a, N);
    portable->f32_to_f16(x, b, N);
    bad = 0;
    for (int i = 0; i < N; i++) bad += a[i] != b[i];
    CHECK(bad == 0, "%s f32_to_f16: %d of %d differ from the portable conversion", k->name, bad, N);
    /* Round to nearest even, by definition: the result is one of the two neighbours, the nearer (checked in double). */
    bad = 0;
    for (int i = 0; i < N; i++) {
        float r = h2f(b[i]);
        if (!isfinite(x[i]) || fabsf(x[i]) >= 65520) { bad += !(isinf(r) || (fabsf(x[i]) < 65520)); continue; }
        uint16_t up = (uint16_t)(b[i] + 1), down = (uint16_t)(b[i] - 1);
        double e = fabs((double)r - x[i]);
        if ((b[i] & 0x7FFF) != 0x7BFF && (b[i] & 0x7FFF) != 0 && e > fabs((double)h2f(up) - x[i])) bad++;
        if ((b[i] & 0x7FFF) != 0 && e > fabs((double)h2f(down) - x[i])) bad++;
    }
    CHECK(bad == 0, "portable f32_to_f16: %d roundings are not to the nearest F16", bad);
}

static void test_quantize(const hw_kernels *k) {
    enum { BLOCKS = 64 };
    float x[32 * BLOCKS];
    for (int i = 0; i < 32 * BLOCKS; i++) x[i] = uniform() * 4;
    for (int i = 64; i < 96; i++) x[i] = 0;
    int8_t qa[32 * BLOCKS], qb[32 * BLOCKS];
    float sa[BLOCKS], sb[BLOCKS], ma[BLOCKS], mb[BLOCKS];
    k->quantize_q8_1(x, BLOCKS, qa, sa, ma);
    portable->quantize_q8_1(x, BLOCKS, qb, sb, mb);
    CHECK(!memcmp(qa, qb, sizeof qa) && !memcmp(sa, sb, sizeof sa) && !memcmp(ma, mb, sizeof ma),
          "%s quantize_q8_1 differs from portable", k->name);
    int bad = 0;
    for (int i = 0; i < 32 * BLOCKS; i++) bad += fabsf(qb[i] * sb[i / 32] - x[i]) > sb[i / 32] * 0.57f + 1e-6f;
    CHECK(bad == 0, "portable quantize_q8_1: %d values further than half a step", bad);
    uint8_t ra[34 * BLOCKS], rb[34 * BLOCKS];
    k->quantize_q8_0(x, 32 * BLOCKS, ra);
    portable->quantize_q8_0(x, 32 * BLOCKS, rb);
    CHECK(!memcmp(ra, rb, sizeof ra), "%s quantize_q8_0 differs from portable", k->name);
    bad = 0;
    for (int i = 0; i < 32 * BLOCKS; i++) {
        float amax = 0;
        for (int j = 32 * (i / 32); j < 32 * (i / 32) + 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127, id = d != 0 ? 1 / d : 0;
        bad += (int8_t)rb[34 * (i / 32) + 2 + i % 32] != (int8_t)roundf(x[i] * id);
    }
    CHECK(bad == 0, "portable quantize_q8_0: %d values not round(x / d)", bad);
}

static void test_matmul(const hw_kernels *k) {
    const hw_weight_type types[] = {HW_Q4_0, HW_Q4_1, HW_Q8_0};
    const char *names[] = {"q4_0", "q4_1", "q8_0"};
    const int cols_list[] = {64, 576, 1536};
    for (int ti = 0; ti < 3; ti++) {
        for (int ci = 0; ci < 3; ci++) {
            hw_weight_type type = types[ti];
            int cols = cols_list[ci], blocks = cols / 32, rows = 37, tokens = 3;
            size_t row_bytes = (size_t)blocks * (type == HW_Q8_0 ? 34 : type == HW_Q4_0 ? 18 : 20);
            uint8_t *w = malloc(row_bytes * rows);
            for (int r = 0; r < rows; r++) random_row(type, w + r * row_bytes, blocks);
            float *x = malloc(sizeof(float) * cols * tokens);
            for (int i = 0; i < cols * tokens; i++) x[i] = uniform();
            int8_t *q = malloc(cols * tokens);
            float *s = malloc(sizeof(float) * blocks * tokens), *m = malloc(sizeof(float) * blocks * tokens);
            portable->quantize_q8_1(x, blocks * tokens, q, s, m);
            float *oa = malloc(sizeof(float) * rows * tokens), *ob = malloc(sizeof(float) * rows * tokens);
            /* Two calls over split row ranges, as the worker threads do. */
            k->matmul_q8(type, w, row_bytes, 0, 20, blocks, tokens, q, s, m, oa, rows);
            k->matmul_q8(type, w, row_bytes, 20, rows, blocks, tokens, q, s, m, oa, rows);
            portable->matmul_q8(type, w, row_bytes, 0, rows, blocks, tokens, q, s, m, ob, rows);
            int far = 0, differ = 0, identical = 0;
            double worst = 0;
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double ref = ref_dot_q8(type, w + r * row_bytes, q + t * cols, s + t * blocks, m + t * blocks, blocks);
                    float a = oa[t * rows + r], b = ob[t * rows + r];
                    double e = fabs(a - ref);
                    worst = e > worst ? e : worst;
                    far += e > 1e-4 * sqrt(cols) * (1 + fabs(ref) * 1e-2);
                    differ += fabsf(a - b) > 1e-6f * fmaxf(1, fabsf(b));
                    identical += memcmp(&a, &b, 4) == 0;
                }
            }
            CHECK(far == 0, "%s matmul %s cols %d: %d outputs off the reference (worst %g)", k->name, names[ti], cols, far, worst);
            CHECK(differ == 0, "%s matmul %s cols %d: %d outputs differ from portable by more than 1e-6", k->name, names[ti], cols, differ);
            if (identical != rows * tokens)
                printf("note: %s matmul %s cols %d: %d of %d outputs bit-identical to portable\n", k->name, names[ti], cols,
                       identical, rows * tokens);
            free(w); free(x); free(q); free(s); free(m); free(oa); free(ob);
        }
    }
}

/* The batched (several tokens) Q4_1 path against the one-token path of the same set, bit for bit: token counts
 * around the tile (4) and group (64) sizes, row ranges that split tiles. */
static void test_matmul_batched(const hw_kernels *k) {
    const int token_counts[] = {2, 3, 4, 5, 7, 13, 64, 70};
    const int cols_list[] = {64, 576, 1536};
    for (int ci = 0; ci < 3; ci++) {
        int cols = cols_list[ci], blocks = cols / 32, rows = 37;
        size_t row_bytes = (size_t)blocks * 20;
        uint8_t *w = malloc(row_bytes * rows);
        for (int r = 0; r < rows; r++) random_row(HW_Q4_1, w + r * row_bytes, blocks);
        for (int ti = 0; ti < 8; ti++) {
            int tokens = token_counts[ti];
            float *x = malloc(sizeof(float) * cols * tokens);
            for (int i = 0; i < cols * tokens; i++) x[i] = uniform() * (i % 97 == 5 ? 20 : 1);
            int8_t *q = malloc(cols * tokens);
            float *s = malloc(sizeof(float) * blocks * tokens), *m = malloc(sizeof(float) * blocks * tokens);
            portable->quantize_q8_1(x, blocks * tokens, q, s, m);
            float *oa = malloc(sizeof(float) * rows * tokens), *ob = malloc(sizeof(float) * rows * tokens);
            k->matmul_q8(HW_Q4_1, w, row_bytes, 0, 5, blocks, tokens, q, s, m, oa, rows);
            k->matmul_q8(HW_Q4_1, w, row_bytes, 5, 22, blocks, tokens, q, s, m, oa, rows);
            k->matmul_q8(HW_Q4_1, w, row_bytes, 22, rows, blocks, tokens, q, s, m, oa, rows);
            for (int t = 0; t < tokens; t++)
                k->matmul_q8(HW_Q4_1, w, row_bytes, 0, rows, blocks, 1, q + (size_t)t * cols, s + (size_t)t * blocks,
                             m + (size_t)t * blocks, ob + (size_t)t * rows, rows);
            int differ = 0;
            for (int i = 0; i < rows * tokens; i++) differ += memcmp(&oa[i], &ob[i], 4) != 0;
            CHECK(differ == 0, "%s batched q4_1 matmul cols %d tokens %d: %d outputs differ from one token at a time",
                  k->name, cols, tokens, differ);
            free(x); free(q); free(s); free(m); free(oa); free(ob);
        }
        free(w);
    }
}

static void test_attend(const hw_kernels *k) {
    enum { HD = 64, LEN = 70, SLOTS = 32 };
    static uint16_t keys[SLOTS * HD], values[SLOTS * HD];
    static uint8_t pk[LEN * 68], pv[LEN * 68];
    /* Positions 0–3 in F16 slots 0–3 (sinks), 4–49 as Q8_0 rows, 50–69 in a ring of F16 slots 4–23 starting at
     * slot 14 (50–59 → 14–23, 60–69 → 4–13). */
    float kf[LEN][HD], vf[LEN][HD];
    for (int p = 0; p < LEN; p++)
        for (int i = 0; i < HD; i++) {
            kf[p][i] = (i % 29 == 3 ? 40 : 3) * uniform();
            vf[p][i] = (i % 31 == 5 ? 40 : 3) * uniform();
        }
    int slot_of[LEN];
    for (int p = 0; p < LEN; p++) slot_of[p] = p < 4 ? p : p < 50 ? -1 : p < 60 ? 14 + (p - 50) : 4 + (p - 60);
    for (int p = 0; p < LEN; p++) {
        if (slot_of[p] >= 0) {
            for (int i = 0; i < HD; i++) { keys[slot_of[p] * HD + i] = f2h(kf[p][i]); values[slot_of[p] * HD + i] = f2h(vf[p][i]); }
        } else {
            portable->quantize_q8_0(kf[p], HD, pk + 68 * p);
            portable->quantize_q8_0(vf[p], HD, pv + 68 * p);
        }
    }
    hw_attend_view v = {keys, values, pk, pv, HD, 4, {0, 4, 50, 60}, {4, 50, 60, 70}, {0, -1, 14, 4}};
    float q[HD];
    for (int i = 0; i < HD; i++) q[i] = h2f(f2h(uniform() * 2));
    int lengths[] = {1, 3, 4, 5, 17, 49, 50, 51, 59, 60, 61, 70};
    for (int li = 0; li < 12; li++) {
        int len = lengths[li];
        hw_attend_view lv = v;
        int runs = 0;
        for (int r = 0; r < 4; r++) if (v.run_begin[r] < len) { lv.run_end[r] = v.run_end[r] < len ? v.run_end[r] : len; runs = r + 1; }
        lv.run_count = runs;
        float scores[LEN], out[HD];
        k->attend(&lv, q, len, scores, out);
        /* Reference: stored numbers in double, softmax in double, probabilities rounded to F16. */
        double sc[LEN], mx = -1e300, sum = 0;
        for (int p = 0; p < len; p++) {
            double d = 0;
            for (int i = 0; i < HD; i++) {
                double kv = slot_of[p] >= 0 ? h2f(keys[slot_of[p] * HD + i]) : ref_weight(HW_Q8_0, pk + 68 * p, i);
                d += kv * q[i];
            }
            sc[p] = d / sqrt(HD);
            mx = sc[p] > mx ? sc[p] : mx;
        }
        for (int p = 0; p < len; p++) { sc[p] = exp(sc[p] - mx); sum += sc[p]; }
        double worst = 0;
        for (int i = 0; i < HD; i++) {
            double o = 0;
            for (int p = 0; p < len; p++) {
                double pr = h2f(f2h((float)(sc[p] / sum)));
                double vv = slot_of[p] >= 0 ? h2f(values[slot_of[p] * HD + i]) : ref_weight(HW_Q8_0, pv + 68 * p, i);
                o += pr * vv;
            }
            double e = fabs(o - out[i]);
            worst = e > worst ? e : worst;
        }
        /* One probability may round to the other F16 neighbour (scores differ in the last bits): 2^-11 · |v| ≤ 0.02. */
        CHECK(worst <= 2e-2, "%s attend length %d: worst difference %g", k->name, len, worst);
        float pout[HD], pscores[LEN];
        portable->attend(&lv, q, len, pscores, pout);
        double pw = 0;
        for (int i = 0; i < HD; i++) pw = fmax(pw, fabs(pout[i] - out[i]));
        CHECK(pw <= 2e-2, "%s attend length %d: %g from portable", k->name, len, pw);
    }
}

/* attend_rows (a chunk as matrix products) against attend query by query, bit for bit, on the cache layout of
 * test_attend (F16 sinks, Q8_0 rows, a wrapped F16 ring). */
static void test_attend_rows(const hw_kernels *k) {
    enum { HD = 64, LEN = 70, SLOTS = 32, HEADS = 3 };
    static uint16_t keys[SLOTS * HD], values[SLOTS * HD];
    static uint8_t pk[LEN * 68], pv[LEN * 68];
    int slot_of[LEN];
    for (int p = 0; p < LEN; p++) slot_of[p] = p < 4 ? p : p < 50 ? -1 : p < 60 ? 14 + (p - 50) : 4 + (p - 60);
    for (int p = 0; p < LEN; p++) {
        float kf[HD], vf[HD];
        for (int i = 0; i < HD; i++) { kf[i] = (i % 29 == 3 ? 40 : 3) * uniform(); vf[i] = (i % 31 == 5 ? 40 : 3) * uniform(); }
        if (slot_of[p] >= 0) {
            for (int i = 0; i < HD; i++) { keys[slot_of[p] * HD + i] = f2h(kf[i]); values[slot_of[p] * HD + i] = f2h(vf[i]); }
        } else {
            portable->quantize_q8_0(kf, HD, pk + 68 * p);
            portable->quantize_q8_0(vf, HD, pv + 68 * p);
        }
    }
    static float q[LEN * HEADS * HD], oa[LEN * HEADS * HD], ob[LEN * HEADS * HD];
    for (int i = 0; i < LEN * HEADS * HD; i++) q[i] = h2f(f2h(uniform() * 2));
    static float scratch[LEN * HEADS * LEN + 16 * HD + LEN];
    const int cases[][2] = {{0, 1}, {0, 5}, {3, 9}, {2, 30}, {45, 10}, {49, 3}, {60, 10}, {0, 70}, {69, 1}};
    for (int ci = 0; ci < 9; ci++) {
        int start = cases[ci][0], tokens = cases[ci][1], total = start + tokens;
        hw_attend_view v = {keys, values, pk, pv, HD, 4, {0, 4, 50, 60}, {4, 50, 60, 70}, {0, -1, 14, 4}};
        int runs = 0;
        for (int r = 0; r < 4; r++) if (v.run_begin[r] < total) { v.run_end[r] = v.run_end[r] < total ? v.run_end[r] : total; runs = r + 1; }
        v.run_count = runs;
        k->attend_rows(&v, q, tokens, HEADS, HEADS * HD, start, scratch, oa, HEADS * HD);
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < HEADS; h++)
                k->attend(&v, q + (t * HEADS + h) * HD, start + t + 1, scratch, ob + (t * HEADS + h) * HD);
        int differ = 0;
        for (int i = 0; i < tokens * HEADS * HD; i++) differ += memcmp(&oa[i], &ob[i], 4) != 0;
        CHECK(differ == 0, "%s attend_rows start %d tokens %d: %d outputs differ from attend", k->name, start, tokens, differ);
    }
    /* F16 cache, one run, a head dimension that is not a multiple of 32 (falls back to attend). */
    for (int hd = 48; hd <= 64; hd += 16) {
        hw_attend_view v = {keys, values, pk, pv, hd, 1, {0}, {SLOTS}, {0}};
        k->attend_rows(&v, q, 12, 2, 2 * hd, SLOTS - 12, scratch, oa, 2 * hd);
        int differ = 0;
        for (int t = 0; t < 12; t++)
            for (int h = 0; h < 2; h++) {
                k->attend(&v, q + (t * 2 + h) * hd, SLOTS - 12 + t + 1, scratch, ob);
                for (int i = 0; i < hd; i++) differ += memcmp(&oa[(t * 2 + h) * hd + i], &ob[i], 4) != 0;
            }
        CHECK(differ == 0, "%s attend_rows f16 head_dim %d: %d outputs differ from attend", k->name, hd, differ);
    }
}

static void test_vectors(const hw_kernels *k) {
    enum { N = 1000 };
    float x[N], y[N], w[N], a[N], b[N];
    for (int i = 0; i < N; i++) { x[i] = 30 * uniform() - (i % 7 == 3 ? 100 : 0); y[i] = uniform(); w[i] = uniform(); }
    memcpy(a, x, sizeof a);
    k->softmax(a, N);
    float mx = -INFINITY;
    double sum = 0;
    for (int i = 0; i < N; i++) mx = x[i] > mx ? x[i] : mx;
    /* The kernels subtract the maximum in float (as llama.cpp does); the reference too, then works in double. */
    for (int i = 0; i < N; i++) sum += exp((double)(x[i] - mx));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        double r = exp((double)(x[i] - mx)) / sum;
        if (fabs(a[i] - r) > 2e-6 * r + 1e-37) { if (!bad) printf("  softmax x=%g: %g vs %g\n", x[i] - mx, a[i], r); bad++; }
    }
    CHECK(bad == 0, "%s softmax: %d values off", k->name, bad);
    k->rms_norm(y, w, 1e-5f, 576, a);
    double ss = 0;
    for (int i = 0; i < 576; i++) ss += (double)y[i] * y[i];
    bad = 0;
    for (int i = 0; i < 576; i++) { double r = y[i] / sqrt(ss / 576 + 1e-5) * w[i]; bad += fabs(a[i] - r) > 1e-5 * fabs(r) + 1e-7; }
    CHECK(bad == 0, "%s rms_norm: %d values off", k->name, bad);
    memcpy(a, y, sizeof a);
    k->swiglu(a, w, N);
    bad = 0;
    for (int i = 0; i < N; i++) { double r = y[i] / (1 + exp(-(double)y[i])) * w[i]; bad += fabs(a[i] - r) > 1e-6 * fabs(r) + 1e-7; }
    CHECK(bad == 0, "%s swiglu: %d values off", k->name, bad);
    memcpy(a, y, sizeof a);
    k->add(w, a, N);
    bad = 0;
    for (int i = 0; i < N; i++) bad += a[i] != y[i] + w[i];
    CHECK(bad == 0, "%s add: %d values off", k->name, bad);
    float c[32], s[32];
    for (int i = 0; i < 32; i++) { c[i] = cosf(0.3f * i); s[i] = sinf(0.3f * i); }
    memcpy(a, y, sizeof a);
    k->rope(a, 3, 64, c, s);
    bad = 0;
    for (int h = 0; h < 3; h++)
        for (int i = 0; i < 32; i++) {
            float p = y[h * 64 + 2 * i], q = y[h * 64 + 2 * i + 1];
            bad += fabsf(a[h * 64 + 2 * i] - (p * c[i] - q * s[i])) > 1e-6f || fabsf(a[h * 64 + 2 * i + 1] - (p * s[i] + q * c[i])) > 1e-6f;
        }
    CHECK(bad == 0, "%s rope: %d pairs off", k->name, bad);
    double d = 0;
    for (int i = 0; i < N; i++) d += (double)x[i] * y[i];
    float f = k->dot_f32(x, y, N);
    CHECK(fabs(f - d) <= 1e-4 * sqrt(N) * 30, "%s dot_f32: %g vs %g", k->name, f, d);
    uint16_t h[N];
    for (int i = 0; i < N; i++) h[i] = f2h(x[i]);
    d = 0;
    for (int i = 0; i < N; i++) d += (double)h2f(h[i]) * y[i];
    f = k->dot_f16(h, y, N);
    CHECK(fabs(f - d) <= 1e-4 * sqrt(N) * 30, "%s dot_f16: %g vs %g", k->name, f, d);
    memcpy(a, x, sizeof a);
    memcpy(b, x, sizeof b);
    k->round_to_half(a, N);
    portable->round_to_half(b, N);
    CHECK(!memcmp(a, b, sizeof a), "%s round_to_half differs from portable", k->name);
}

int main(void) {
    portable = hw_kernels_table(HW_KERNELS_PORTABLE);
    printf("CPU: %s; best set: %s\n", hw_cpu_features(), hw_kernels_name(hw_kernels_best()));
    int tested = 0;
    for (int set = 0; set < HW_KERNEL_SET_COUNT; set++) {
        const hw_kernels *k = hw_kernels_table((hw_kernel_set)set);
        if (!k) continue;
        int before = failures;
        rng_state = 12345;
        test_conversions(k);
        test_quantize(k);
        test_matmul(k);
        test_matmul_batched(k);
        test_attend(k);
        test_attend_rows(k);
        test_vectors(k);
        printf("%s: %s\n", k->name, failures == before ? "agrees" : "FAILED");
        tested++;
    }
    printf("%d checks over %d kernel sets, %d failed\n", checks, tested, failures);
    return failures == 0 && tested > 0 ? 0 : 1;
}
