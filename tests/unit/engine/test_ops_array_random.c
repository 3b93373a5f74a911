/*
 * test_ops_array_random.c - robustness of the array kernels on random,
 * mostly invalid arguments (fixed seed): every run must either succeed
 * with an output whose size matches its shape, or fail cleanly with
 * INVALID_ARGUMENT. Run under ASan/UBSan this catches out-of-bounds
 * reads, overflows and crashes on request-controlled indices and shapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ops_array.h"

#define ITERS 150

/* Signed random value in [lo, hi]. */
static int64_t rnd(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* Run and check the outcome is OK (sane outputs) or INVALID_ARGUMENT. */
static int run_any(const char *op, const eng_attr_kv *attrs, int nattrs, const eng_tensor *in,
                   int nin, int mode)
{
    eng_tensor out[8];
    int n = 8;
    tsd_status st = TSD_STATUS_INIT;
    tsd_code rc = run_mode(op, attrs, nattrs, in, nin, mode, out, &n, &st);
    if (rc != TSD_OK && rc != TSD_INVALID_ARGUMENT)
        fprintf(stderr, "%s (mode %d): unexpected %s: %s\n", op, mode, tsd_code_name(rc), st.msg);
    assert_true(rc == TSD_OK || rc == TSD_INVALID_ARGUMENT);
    if (rc == TSD_INVALID_ARGUMENT)
        assert_true(st.msg[0] != '\0');
    for (int i = 0; rc == TSD_OK && i < n; i++) {
        assert_int_equal(out[i].nbytes,
                         (size_t)eng_tensor_num_elements(&out[i]) * eng_dtype_size(out[i].dtype));
        eng_tensor_free_data(&out[i]);
    }
    return rc == TSD_OK;
}

/* A random float input of rank 0..3 with dims 0..4 (data from buf). */
static eng_tensor rnd_input(uint64_t *s, float *buf)
{
    int64_t dims[3];
    int r = (int)rnd(s, 0, 3);
    for (int d = 0; d < r; d++)
        dims[d] = rnd(s, 0, 4);
    return tt(ENG_DT_FLOAT, r, dims, buf);
}

static void test_random_strided_slice(void **state)
{
    (void)state;
    float buf[64] = {0};
    uint64_t s = 99;
    int ok = 0;
    for (int it = 0; it < ITERS * 2; it++) {
        int64_t b[5], e[5], st[5];
        int n = (int)rnd(&s, 0, 4);
        for (int i = 0; i < n; i++) {
            b[i] = rnd(&s, -6, 6);
            e[i] = rnd(&s, -6, 6);
            st[i] = rnd(&s, -3, 3);
            if (rnd(&s, 0, 9) == 0)
                b[i] = rnd(&s, 0, 1) ? INT64_MAX : INT64_MIN;
        }
        eng_tensor in[4] = {rnd_input(&s, buf), tt(ENG_DT_INT64, 1, D(n), b),
                            tt(ENG_DT_INT64, 1, D(n), e), tt(ENG_DT_INT64, 1, D(n), st)};
        eng_attr_kv at[] = {
            {"begin_mask", eng_test_attr_int(rnd(&s, 0, 31))},
            {"end_mask", eng_test_attr_int(rnd(&s, 0, 31))},
            {"ellipsis_mask", eng_test_attr_int(rnd(&s, 0, 3) == 0 ? 1 << rnd(&s, 0, 4) : 0)},
            {"new_axis_mask", eng_test_attr_int(rnd(&s, 0, 2) == 0 ? rnd(&s, 0, 31) : 0)},
            {"shrink_axis_mask", eng_test_attr_int(rnd(&s, 0, 1) ? rnd(&s, 0, 31) : 0)},
        };
        ok += run_any("StridedSlice", at, 5, in, 4, it % 3);
    }
    assert_true(ok > 20); /* the generator does reach valid specs */
}

static void test_random_index_ops(void **state)
{
    (void)state;
    float buf[64];
    uint64_t s = 7;
    rng_fill(buf, 64, &s);
    for (int it = 0; it < ITERS; it++) {
        int mode = it % 3;
        eng_tensor x = rnd_input(&s, buf);
        int64_t v[6];
        int n = (int)rnd(&s, 0, 4);
        for (int i = 0; i < 6; i++)
            v[i] = rnd(&s, -2, 5);
        if (rnd(&s, 0, 7) == 0)
            v[0] = INT64_MAX;
        eng_tensor vec = tt(ENG_DT_INT64, 1, D(n), v);
        int32_t a32 = (int32_t)rnd(&s, -4, 4);
        eng_tensor ax = ti32(&a32);
        /* GatherV2, GatherNd */
        eng_tensor g[3] = {x, vec, ax};
        run_any("GatherV2", (eng_attr_kv[]){{"batch_dims", eng_test_attr_int(rnd(&s, -1, 1))}}, 1,
                g, 3, mode);
        int k = n ? (int)rnd(&s, 0, 2) : 0;
        eng_tensor gi = tt(ENG_DT_INT64, 2, D(k ? n / k : 0, k), v);
        eng_tensor gn[2] = {x, gi};
        run_any("GatherNd", NULL, 0, gn, 2, mode);
        /* Slice, Tile, Transpose, Reshape, BroadcastTo, ReverseV2, ExpandDims */
        eng_tensor sl[3] = {x, tt(ENG_DT_INT64, 1, D(x.rank), v),
                            tt(ENG_DT_INT64, 1, D(x.rank), v + 3)};
        run_any("Slice", NULL, 0, sl, 3, mode);
        eng_tensor two[2] = {x, vec};
        run_any("Tile", NULL, 0, two, 2, mode);
        run_any("Transpose", NULL, 0, two, 2, mode);
        run_any("Reshape", NULL, 0, two, 2, mode);
        run_any("BroadcastTo", NULL, 0, two, 2, mode);
        run_any("ReverseV2", NULL, 0, two, 2, mode);
        eng_tensor ed[2] = {x, ax};
        run_any("ExpandDims", NULL, 0, ed, 2, mode);
        run_any("Cumsum", NULL, 0, ed, 2, mode);
        /* Pad with a random [r,2] matrix */
        eng_tensor pd[2] = {x, tt(ENG_DT_INT64, 2, D(x.rank, 2), v)};
        run_any("Pad", NULL, 0, pd, 2, mode);
        /* OneHot with random depth and axis */
        int32_t depth = (int32_t)rnd(&s, -1, 4);
        float on = 1, off = 0;
        eng_tensor oh[4] = {vec, ti32(&depth), tt(ENG_DT_FLOAT, 0, NULL, &on),
                            tt(ENG_DT_FLOAT, 0, NULL, &off)};
        run_any("OneHot", (eng_attr_kv[]){{"axis", eng_test_attr_int(rnd(&s, -2, 2))}}, 1, oh, 4,
                mode);
        /* Split / SplitV / Unpack with random counts */
        eng_tensor sp[2] = {ax, x};
        run_any("Split", (eng_attr_kv[]){{"num_split", eng_test_attr_int(rnd(&s, 1, 3))}}, 1, sp, 2,
                mode);
        eng_tensor sv[3] = {x, vec, ax};
        run_any("SplitV", (eng_attr_kv[]){{"num_split", eng_test_attr_int(n ? n : 1)}}, 1, sv, 3,
                mode);
        run_any("Unpack",
                (eng_attr_kv[]){{"num", eng_test_attr_int(rnd(&s, 0, 4))},
                                {"axis", eng_test_attr_int(rnd(&s, -2, 2))}},
                2, &x, 1, mode);
        /* Squeeze with a random axis */
        run_any("Squeeze", (eng_attr_kv[]){{"squeeze_dims", eng_test_attr_list_int(v, 1)}}, 1, &x,
                1, mode);
        /* Range with small random arguments */
        int32_t r0 = (int32_t)rnd(&s, -5, 5), r1 = (int32_t)rnd(&s, -5, 5);
        int32_t r2 = (int32_t)rnd(&s, -2, 2);
        eng_tensor rg[3] = {ti32(&r0), ti32(&r1), ti32(&r2)};
        run_any("Range", NULL, 0, rg, 3, mode);
        /* Fill with random dims */
        eng_tensor fl[2] = {vec, tt(ENG_DT_FLOAT, 0, NULL, &on)};
        run_any("Fill", NULL, 0, fl, 2, mode);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_strided_slice),
        cmocka_unit_test(test_random_index_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
