/*
 * test_ops_string.c - AsString formatting, StringToHashBucketFast against
 * TensorFlow's test vectors, SparseCross (hashed vectors from TensorFlow's
 * sparse_cross_op_test, string crosses, and a naive reference on random
 * inputs), SparseCrossV2, StringJoin, StringLength and Substr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "engine/farmhash.h"
#include "sparse_harness.h"

/* Run a one-input AsString and return output element i as a C string. */
static tsd_code as_string(const eng_tensor *in, const sh_attr *at, int na, eng_tensor *out,
                          tsd_status *st)
{
    sh_attr all[8];
    for (int i = 0; i < na; i++)
        all[i] = at[i];
    all[na++] = sh_type("T", in->dtype);
    return sh_run("AsString", all, na, in, 1, 0, out, 1, st);
}

static void expect_strs(const eng_tensor *t, int n, const char *const *want)
{
    assert_int_equal(t->dtype, ENG_DT_STRING);
    assert_int_equal(eng_tensor_num_elements(t), n);
    for (int i = 0; i < n; i++) {
        const eng_str *s = &((eng_str *)t->data)[i];
        if (!sh_str_eq(s, want[i]))
            fail_msg("element %d: got '%.*s', want '%s'", i, (int)s->len, s->ptr, want[i]);
    }
}

static void test_as_string(void **state)
{
    (void)state;
    eng_tensor o;
    tsd_status st;
    int32_t ci[3] = {0, 1, -5};
    eng_tensor t = sh_vec(ENG_DT_INT32, 3, ci);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    expect_strs(&o, 3, (const char *[]){"0", "1", "-5"});
    sh_free(&o, 1);
    int64_t li[2] = {INT64_MIN, INT64_MAX};
    t = sh_vec(ENG_DT_INT64, 2, li);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    expect_strs(&o, 2, (const char *[]){"-9223372036854775808", "9223372036854775807"});
    sh_free(&o, 1);
    float fv[3] = {0.5f, 3.25f, -1.0f};
    t = sh_vec(ENG_DT_FLOAT, 3, fv);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    expect_strs(&o, 3, (const char *[]){"0.500000", "3.250000", "-1.000000"});
    sh_free(&o, 1);
    sh_attr prec[1] = {sh_int("precision", 2)};
    SH_EXPECT_OK(as_string(&t, prec, 1, &o, &st), &st);
    expect_strs(&o, 3, (const char *[]){"0.50", "3.25", "-1.00"});
    sh_free(&o, 1);
    sh_attr sci[1] = {sh_bool("scientific", 1)};
    SH_EXPECT_OK(as_string(&t, sci, 1, &o, &st), &st);
    expect_strs(&o, 3, (const char *[]){"5.000000e-01", "3.250000e+00", "-1.000000e+00"});
    sh_free(&o, 1);
    sh_attr sho[1] = {sh_bool("shortest", 1)};
    SH_EXPECT_OK(as_string(&t, sho, 1, &o, &st), &st);
    expect_strs(&o, 3, (const char *[]){"0.5", "3.25", "-1"});
    sh_free(&o, 1);
    int32_t v42[1] = {42};
    t = sh_vec(ENG_DT_INT32, 1, v42);
    sh_attr w0[2] = {sh_int("width", 5), sh_str("fill", "0")};
    SH_EXPECT_OK(as_string(&t, w0, 2, &o, &st), &st);
    expect_strs(&o, 1, (const char *[]){"00042"});
    sh_free(&o, 1);
    sh_attr w1[1] = {sh_int("width", 4)};
    SH_EXPECT_OK(as_string(&t, w1, 1, &o, &st), &st);
    expect_strs(&o, 1, (const char *[]){"  42"});
    sh_free(&o, 1);
    sh_attr w2[2] = {sh_int("width", 4), sh_str("fill", "-")};
    SH_EXPECT_OK(as_string(&t, w2, 2, &o, &st), &st);
    expect_strs(&o, 1, (const char *[]){"42  "});
    sh_free(&o, 1);
    uint8_t bv[2] = {1, 0};
    t = sh_vec(ENG_DT_BOOL, 2, bv);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    expect_strs(&o, 2, (const char *[]){"true", "false"});
    sh_free(&o, 1);
    /* A value whose %f text is longer than the kernel's stack buffer. */
    double big[1] = {ldexp(1.0, 700)}; /* 2^700: 211 exact decimal digits, "52601..." */
    t = sh_vec(ENG_DT_DOUBLE, 1, big);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    const eng_str *bs = o.data;
    assert_int_equal(bs->len, 211 + 7);
    assert_true(memcmp(bs->ptr, "52601", 5) == 0 && memcmp(bs->ptr + 211, ".000000", 7) == 0);
    sh_free(&o, 1);
    /* Empty and 2-D inputs keep their shape. */
    int64_t d23[2] = {2, 0};
    t = sh_tensor(ENG_DT_INT32, 2, d23, ci);
    SH_EXPECT_OK(as_string(&t, NULL, 0, &o, &st), &st);
    sh_assert_shape(&o, 2, d23);
    sh_free(&o, 1);
}

static void test_as_string_errors(void **state)
{
    (void)state;
    eng_tensor o;
    tsd_status st;
    int32_t ci[1] = {1};
    eng_tensor t = sh_vec(ENG_DT_INT32, 1, ci);
    sh_attr a1[1] = {sh_int("precision", 3)};
    SH_EXPECT_ERR(as_string(&t, a1, 1, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "precision not supported for datatype int32");
    sh_attr a2[1] = {sh_bool("shortest", 1)};
    SH_EXPECT_ERR(as_string(&t, a2, 1, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "scientific and shortest format not supported for datatype int32");
    float fv[1] = {1};
    eng_tensor tf = sh_vec(ENG_DT_FLOAT, 1, fv);
    sh_attr a3[2] = {sh_bool("shortest", 1), sh_bool("scientific", 1)};
    SH_EXPECT_ERR(as_string(&tf, a3, 2, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "Cannot select both scientific and shortest notation");
    sh_attr a4[2] = {sh_int("width", 3), sh_str("fill", "ab")};
    SH_EXPECT_ERR(as_string(&t, a4, 2, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "Fill string must be one or fewer characters");
    sh_attr a5[2] = {sh_int("width", 3), sh_str("fill", "x")};
    SH_EXPECT_ERR(as_string(&t, a5, 2, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "Fill argument not supported");
}

static void test_hash_bucket(void **state)
{
    (void)state;
    const char *in[6] = {"a", "b", "c", "d", "42", ""};
    int64_t d[2] = {2, 3};
    eng_tensor t = sh_tensor(ENG_DT_STRING, 2, d, sh_strs(6, in));
    sh_attr at[1] = {sh_int("num_buckets", 10)};
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(sh_run("StringToHashBucketFast", at, 1, &t, 1, 0, &o, 1, &st), &st);
    sh_assert_shape(&o, 2, d);
    const int64_t *v = o.data;
    /* TensorFlow's string_to_hash_bucket_op_test; "42" and "" from the farmhash vectors. */
    assert_int_equal(v[0], 9);
    assert_int_equal(v[1], 2);
    assert_int_equal(v[2], 2);
    assert_int_equal(v[3], 5);
    assert_int_equal(v[4], 623910487284905736ULL % 10);
    assert_int_equal(v[5], 11160318154034397263ULL % 10);
    sh_free(&o, 1);
    at[0] = sh_int("num_buckets", 1000);
    eng_tensor t42 = sh_vec(ENG_DT_STRING, 1, sh_strs(1, (const char *[]){"42"}));
    SH_EXPECT_OK(sh_run("StringToHashBucketFast", at, 1, &t42, 1, 0, &o, 1, &st), &st);
    assert_int_equal(((int64_t *)o.data)[0], 736);
    sh_free(&o, 1);
    at[0] = sh_int("num_buckets", 0);
    SH_EXPECT_ERR(sh_run("StringToHashBucketFast", at, 1, &t42, 1, 0, &o, 1, &st), &st,
                  TSD_INVALID_ARGUMENT, "num_buckets");
}

/* ---- SparseCross --------------------------------------------------------------- */

/* One sparse input: indices [n,2], values, shape [2]. */
typedef struct sp_in {
    int64_t idx[64][2];
    eng_str sv[32];
    int64_t iv[32];
    int64_t n;
    eng_dtype dt;
    int64_t shape[2];
} sp_in;

static tsd_code run_cross(const char *op, sp_in *sp, int n, eng_tensor *dense, int nd, int hashed,
                          int64_t buckets, int64_t key, const char *sep, eng_tensor *o,
                          tsd_status *st)
{
    eng_tensor ins[32];
    eng_dtype stypes[8], dtypes[8];
    int k = 0;
    for (int i = 0; i < n; i++)
        ins[k++] = sh_mat(ENG_DT_INT64, sp[i].n, 2, sp[i].idx);
    for (int i = 0; i < n; i++) {
        stypes[i] = sp[i].dt;
        ins[k++] = sh_vec(sp[i].dt, sp[i].n,
                          sp[i].dt == ENG_DT_STRING ? (void *)sp[i].sv : (void *)sp[i].iv);
    }
    for (int i = 0; i < n; i++)
        ins[k++] = sh_vec(ENG_DT_INT64, 2, sp[i].shape);
    for (int i = 0; i < nd; i++) {
        dtypes[i] = dense[i].dtype;
        ins[k++] = dense[i];
    }
    eng_str sepv = {sep ? sep : "", sep ? strlen(sep) : 0};
    if (sep)
        ins[k++] = sh_scalar(ENG_DT_STRING, &sepv);
    sh_attr at[9];
    int na = 0;
    at[na++] = sh_int("N", n);
    at[na++] = sh_types("sparse_types", (size_t)n, stypes);
    at[na++] = sh_types("dense_types", (size_t)nd, dtypes);
    if (!sep) {
        at[na++] = sh_bool("hashed_output", hashed);
        at[na++] = sh_int("num_buckets", buckets);
        at[na++] = sh_int("hash_key", key);
        at[na++] = sh_type("out_type", hashed ? ENG_DT_INT64 : ENG_DT_STRING);
        at[na++] = sh_type("internal_type", hashed ? ENG_DT_INT64 : ENG_DT_STRING);
    }
    return sh_run(op, at, na, ins, k, 0, o, 3, st);
}

static void sp_str(sp_in *s, int64_t batch, int n, const int64_t *rows, const char *const *v)
{
    memset(s, 0, sizeof *s);
    s->dt = ENG_DT_STRING;
    s->n = n;
    s->shape[0] = batch;
    for (int i = 0; i < n; i++) {
        s->idx[i][0] = rows[i];
        s->idx[i][1] = i > 0 && rows[i - 1] == rows[i] ? s->idx[i - 1][1] + 1 : 0;
        s->sv[i].ptr = v[i];
        s->sv[i].len = strlen(v[i]);
        if (s->idx[i][1] + 1 > s->shape[1])
            s->shape[1] = s->idx[i][1] + 1;
    }
}

static void test_cross_hashed_vectors(void **state)
{
    (void)state;
    sp_in sp[3];
    int64_t r0[1] = {0};
    sp_str(&sp[0], 1, 1, r0, (const char *[]){"batch1-FC1-F1"});
    sp_str(&sp[1], 1, 1, r0, (const char *[]){"batch1-FC2-F1"});
    sp_str(&sp[2], 1, 1, r0, (const char *[]){"batch1-FC3-F1"});
    struct {
        int64_t key, buckets;
        uint64_t want;
    } cases[4] = {{0xDECAFCAFFE, 0, 1971693436396284976ULL},
                  {0xDECAFCAFFE, 100, 83},
                  {0xDECAFCAFFE + 1, 0, 4847552627144134031ULL},
                  {0xDECAFCAFFE + 1, 100, 31}};
    for (int c = 0; c < 4; c++) {
        eng_tensor o[3];
        tsd_status st;
        SH_EXPECT_OK(run_cross("SparseCross", sp, 3, NULL, 0, 1, cases[c].buckets, cases[c].key,
                               NULL, o, &st),
                     &st);
        assert_int_equal(o[1].dims[0], 1);
        assert_true((uint64_t)((int64_t *)o[1].data)[0] == cases[c].want);
        int64_t idx[2] = {0, 0}, shp[2] = {1, 1};
        assert_memory_equal(o[0].data, idx, sizeof idx);
        assert_memory_equal(o[2].data, shp, sizeof shp);
        sh_free(o, 3);
    }
}

/* SparseCrossHashed: sparse string inputs plus num_buckets, strong_hash, salt. */
static tsd_code run_cross_hashed(sp_in *sp, int n, int64_t buckets, int strong, eng_tensor *o,
                                 tsd_status *st)
{
    eng_tensor ins[32];
    eng_dtype stypes[8];
    int k = 0;
    for (int i = 0; i < n; i++)
        ins[k++] = sh_mat(ENG_DT_INT64, sp[i].n, 2, sp[i].idx);
    for (int i = 0; i < n; i++) {
        stypes[i] = sp[i].dt;
        ins[k++] = sh_vec(sp[i].dt, sp[i].n, sp[i].sv);
    }
    for (int i = 0; i < n; i++)
        ins[k++] = sh_vec(ENG_DT_INT64, 2, sp[i].shape);
    static int64_t salt[2] = {137, 173};
    uint8_t sb = (uint8_t)strong;
    ins[k++] = sh_scalar(ENG_DT_INT64, &buckets);
    ins[k++] = sh_scalar(ENG_DT_BOOL, &sb);
    ins[k++] = sh_vec(ENG_DT_INT64, 2, salt);
    sh_attr at[3] = {sh_int("N", n), sh_types("sparse_types", (size_t)n, stypes),
                     sh_types("dense_types", 0, NULL)};
    return sh_run("SparseCrossHashed", at, 3, ins, k, 0, o, 3, st);
}

static void test_cross_hashed_v2(void **state)
{
    (void)state;
    sp_in sp[3];
    int64_t r0[3] = {0, 0, 0};
    sp_str(&sp[0], 1, 1, r0, (const char *[]){"batch1-FC1-F1"});
    sp_str(&sp[1], 1, 1, r0, (const char *[]){"batch1-FC2-F1"});
    sp_str(&sp[2], 1, 1, r0, (const char *[]){"batch1-FC3-F1"});
    eng_tensor o[3];
    tsd_status st;
    /* sparse_cross_op_test: num_buckets 100, salt [137, 173], strong_hash false -> 79. */
    SH_EXPECT_OK(run_cross_hashed(sp, 3, 100, 0, o, &st), &st);
    assert_int_equal(o[1].dims[0], 1);
    assert_int_equal(((int64_t *)o[1].data)[0], 79);
    sh_free(o, 3);
    /* The 3x1x2 permutation: 6 distinct values in [0, 1000) at [0, i]. */
    sp_str(&sp[0], 1, 3, r0, (const char *[]){"batch1-FC1-F1", "batch1-FC1-F2", "batch1-FC1-F3"});
    sp_str(&sp[2], 1, 2, r0, (const char *[]){"batch1-FC3-F1", "batch1-FC3-F2"});
    SH_EXPECT_OK(run_cross_hashed(sp, 3, 1000, 0, o, &st), &st);
    assert_int_equal(o[1].dims[0], 6);
    for (int i = 0; i < 6; i++) {
        int64_t v = ((int64_t *)o[1].data)[i];
        assert_true(v >= 0 && v < 1000);
        assert_int_equal(((int64_t *)o[0].data)[2 * i + 1], i);
        for (int j = 0; j < i; j++)
            assert_true(((int64_t *)o[1].data)[j] != v);
    }
    sh_free(o, 3);
    SH_EXPECT_ERR(run_cross_hashed(sp, 3, 1000, 1, o, &st), &st, TSD_UNIMPLEMENTED, "strong_hash");
}

static void test_cross_strings(void **state)
{
    (void)state;
    sp_in sp[2];
    int64_t ra[3] = {0, 0, 1}, rb[2] = {0, 2};
    sp_str(&sp[0], 3, 3, ra, (const char *[]){"a1", "a2", "a3"});
    sp_str(&sp[1], 3, 2, rb, (const char *[]){"b1", "b2"});
    const char *dv[6] = {"d1", "d2", "d3", "d4", "d5", "d6"};
    eng_tensor dense = sh_mat(ENG_DT_STRING, 3, 2, sh_strs(6, dv));
    eng_tensor o[3];
    tsd_status st;
    SH_EXPECT_OK(run_cross("SparseCross", sp, 2, &dense, 1, 0, 0, 0, NULL, o, &st), &st);
    /* Row 0: a1,a2 x b1 x d1,d2, last input fastest; rows 1, 2 lack an input. */
    expect_strs(&o[1], 4,
                (const char *[]){"a1_X_b1_X_d1", "a1_X_b1_X_d2", "a2_X_b1_X_d1", "a2_X_b1_X_d2"});
    int64_t idx[8] = {0, 0, 0, 1, 0, 2, 0, 3}, shp[2] = {3, 4};
    assert_memory_equal(o[0].data, idx, sizeof idx);
    assert_memory_equal(o[2].data, shp, sizeof shp);
    sh_free(o, 3);
    /* SparseCrossV2 with an int64 input (decimal) and a custom separator. */
    sp[1].dt = ENG_DT_INT64;
    sp[1].iv[0] = -7;
    sp[1].iv[1] = 12;
    SH_EXPECT_OK(run_cross("SparseCrossV2", sp, 2, NULL, 0, 0, 0, 0, "#", o, &st), &st);
    expect_strs(&o[1], 2, (const char *[]){"a1#-7", "a2#-7"});
    sh_free(o, 3);
}

/* Independent reference: recursive product in odometer order. */
static void ref_cross(uint64_t *out, int *nout, uint64_t h, int col, int ncols,
                      const uint64_t *const *feat, const int *cnt, int64_t buckets)
{
    if (col == ncols) {
        out[(*nout)++] = buckets > 0 ? h % (uint64_t)buckets : h % (uint64_t)INT64_MAX;
        return;
    }
    for (int j = 0; j < cnt[col]; j++)
        ref_cross(out, nout, eng_fingerprint_cat64(h, feat[col][j]), col + 1, ncols, feat, cnt,
                  buckets);
}

static void test_cross_random(void **state)
{
    (void)state;
    uint64_t seed = 7;
    static const char *words[6] = {"red", "green", "blue", "x", "", "longer value"};
    for (int iter = 0; iter < 30; iter++) {
        const int64_t batch = 4;
        sp_in sp[2];
        memset(sp, 0, sizeof sp);
        /* Input 0: int64 values, input 1: strings; rows 0..3 with 0..3 values each. */
        for (int c = 0; c < 2; c++) {
            sp[c].dt = c == 0 ? ENG_DT_INT64 : ENG_DT_STRING;
            sp[c].shape[0] = batch;
            for (int64_t r = 0; r < batch; r++) {
                int cnt = (int)(sh_rand(&seed) % 4);
                for (int j = 0; j < cnt; j++) {
                    int64_t k = sp[c].n++;
                    sp[c].idx[k][0] = r;
                    sp[c].idx[k][1] = j;
                    sp[c].iv[k] = (int64_t)sh_rand(&seed);
                    const char *w = words[sh_rand(&seed) % 6];
                    sp[c].sv[k].ptr = w;
                    sp[c].sv[k].len = strlen(w);
                }
            }
            sp[c].shape[1] = 3;
        }
        int64_t dv[8];
        for (int i = 0; i < 8; i++)
            dv[i] = (int64_t)(sh_rand(&seed) % 1000) - 500;
        eng_tensor dense = sh_mat(ENG_DT_INT64, batch, 2, dv);
        int64_t buckets = iter % 2 ? 1000 : 0;
        eng_tensor o[3];
        tsd_status st;
        SH_EXPECT_OK(
            run_cross("SparseCross", sp, 2, &dense, 1, 1, buckets, 956888297470, NULL, o, &st),
            &st);
        int64_t pos = 0, maxc = 0;
        for (int64_t r = 0; r < batch; r++) {
            uint64_t f0[4], f1[4], f2[2], want[64];
            int cnt[3] = {0, 0, 2}, nw = 0;
            for (int64_t k = 0; k < sp[0].n; k++)
                if (sp[0].idx[k][0] == r)
                    f0[cnt[0]++] = (uint64_t)sp[0].iv[k];
            for (int64_t k = 0; k < sp[1].n; k++)
                if (sp[1].idx[k][0] == r)
                    f1[cnt[1]++] = eng_fingerprint64(sp[1].sv[k].ptr, sp[1].sv[k].len);
            f2[0] = (uint64_t)dv[2 * r];
            f2[1] = (uint64_t)dv[2 * r + 1];
            const uint64_t *feat[3] = {f0, f1, f2};
            ref_cross(want, &nw, 956888297470ULL, 0, 3, feat, cnt, buckets);
            for (int k = 0; k < nw; k++, pos++) {
                assert_int_equal(((int64_t *)o[0].data)[2 * pos], r);
                assert_int_equal(((int64_t *)o[0].data)[2 * pos + 1], k);
                assert_true((uint64_t)((int64_t *)o[1].data)[pos] == want[k]);
            }
            maxc = nw > maxc ? nw : maxc;
        }
        assert_int_equal(o[1].dims[0], pos);
        assert_int_equal(((int64_t *)o[2].data)[1], maxc);
        sh_free(o, 3);
    }
}

static void test_cross_errors(void **state)
{
    (void)state;
    sp_in sp[2];
    int64_t r0[1] = {0};
    sp_str(&sp[0], 2, 1, r0, (const char *[]){"a"});
    sp_str(&sp[1], 3, 1, r0, (const char *[]){"b"});
    eng_tensor o[3];
    tsd_status st;
    SH_EXPECT_ERR(run_cross("SparseCross", sp, 2, NULL, 0, 1, 10, 1, NULL, o, &st), &st,
                  TSD_INVALID_ARGUMENT, "Expected batch size 2 got 3 at position 1");
    sp[1].shape[0] = 2;
    int64_t dv[3] = {1, 2, 3};
    eng_tensor dense = sh_vec(ENG_DT_INT64, 3, dv);
    SH_EXPECT_ERR(run_cross("SparseCross", sp, 2, &dense, 1, 1, 10, 1, NULL, o, &st), &st,
                  TSD_INVALID_ARGUMENT, "Dense inputs should be a matrix");
    /* Unsorted and out-of-range rows are skipped like TensorFlow, never read out of bounds. */
    int64_t rows[3] = {1, 0, 5};
    sp_str(&sp[0], 2, 3, rows, (const char *[]){"p", "q", "r"});
    sp_str(&sp[1], 2, 1, (int64_t[]){1}, (const char *[]){"s"});
    SH_EXPECT_OK(run_cross("SparseCross", sp, 2, NULL, 0, 0, 0, 0, NULL, o, &st), &st);
    expect_strs(&o[1], 1, (const char *[]){"p_X_s"});
    sh_free(o, 3);
}

static void test_string_join_length_substr(void **state)
{
    (void)state;
    eng_tensor o;
    tsd_status st;
    const char *a[2] = {"x", "yy"};
    eng_str pre = {"p", 1};
    eng_tensor ins[3] = {sh_scalar(ENG_DT_STRING, &pre), sh_vec(ENG_DT_STRING, 2, sh_strs(2, a)),
                         sh_vec(ENG_DT_STRING, 2, sh_strs(2, (const char *[]){"", "z"}))};
    sh_attr at[2] = {sh_int("N", 3), sh_str("separator", "--")};
    SH_EXPECT_OK(sh_run("StringJoin", at, 2, ins, 3, 0, &o, 1, &st), &st);
    expect_strs(&o, 2, (const char *[]){"p--x--", "p--yy--z"});
    sh_free(&o, 1);
    ins[2] = sh_vec(ENG_DT_STRING, 1, sh_strs(1, a));
    SH_EXPECT_ERR(sh_run("StringJoin", at, 2, ins, 3, 0, &o, 1, &st), &st, TSD_INVALID_ARGUMENT,
                  "same shape");
    const char *u[3] = {"", "abc", "h\xc3\xa9llo"};
    eng_tensor us = sh_vec(ENG_DT_STRING, 3, sh_strs(3, u));
    SH_EXPECT_OK(sh_run("StringLength", NULL, 0, &us, 1, 0, &o, 1, &st), &st);
    int32_t want_b[3] = {0, 3, 6};
    assert_memory_equal(o.data, want_b, sizeof want_b);
    sh_free(&o, 1);
    sh_attr utf[1] = {sh_str("unit", "UTF8_CHAR")};
    SH_EXPECT_OK(sh_run("StringLength", utf, 1, &us, 1, 0, &o, 1, &st), &st);
    int32_t want_c[3] = {0, 3, 5};
    assert_memory_equal(o.data, want_c, sizeof want_c);
    sh_free(&o, 1);
    const char *s[3] = {"hello", "ab", "xyz"};
    int32_t pos[3] = {1, 0, -2}, len[3] = {3, 5, 1};
    eng_tensor sin[3] = {sh_vec(ENG_DT_STRING, 3, sh_strs(3, s)), sh_vec(ENG_DT_INT32, 3, pos),
                         sh_vec(ENG_DT_INT32, 3, len)};
    SH_EXPECT_OK(sh_run("Substr", NULL, 0, sin, 3, 0, &o, 1, &st), &st);
    expect_strs(&o, 3, (const char *[]){"ell", "ab", "y"});
    sh_free(&o, 1);
    pos[1] = 3;
    SH_EXPECT_ERR(sh_run("Substr", NULL, 0, sin, 3, 0, &o, 1, &st), &st, TSD_OUT_OF_RANGE,
                  "pos 3 out of range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_string),
        cmocka_unit_test(test_as_string_errors),
        cmocka_unit_test(test_hash_bucket),
        cmocka_unit_test(test_cross_hashed_vectors),
        cmocka_unit_test(test_cross_hashed_v2),
        cmocka_unit_test(test_cross_strings),
        cmocka_unit_test(test_cross_random),
        cmocka_unit_test(test_cross_errors),
        cmocka_unit_test(test_string_join_length_substr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
