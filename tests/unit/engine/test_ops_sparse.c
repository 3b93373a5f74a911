/*
 * test_ops_sparse.c - sparse-family kernels against documented TensorFlow
 * examples and naive references: SparseFillEmptyRows, SparseReshape,
 * SparseSegmentSum/Mean/SqrtN (+WithNumSegments), SparseToDense, Unique,
 * UniqueV2, Bucketize, UpperBound, LowerBound, SparseTensorDenseMatMul and
 * SegmentSum, with their error cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "sparse_harness.h"

/* ---- SparseFillEmptyRows ------------------------------------------------------- */

static void test_fill_empty_rows_doc(void **state)
{
    (void)state;
    /* The example of tf.sparse.fill_empty_rows. */
    int64_t idx[6][2] = {{0, 0}, {1, 0}, {1, 3}, {1, 4}, {3, 2}, {3, 3}};
    const char *v[6] = {"a", "b", "c", "d", "e", "f"};
    int64_t shape[2] = {5, 6};
    eng_str def = {"x", 1};
    eng_tensor ins[4] = {sh_mat(ENG_DT_INT64, 6, 2, idx), sh_vec(ENG_DT_STRING, 6, sh_strs(6, v)),
                         sh_vec(ENG_DT_INT64, 2, shape), sh_scalar(ENG_DT_STRING, &def)};
    eng_tensor o[4];
    tsd_status st;
    SH_EXPECT_OK(sh_run("SparseFillEmptyRows", NULL, 0, ins, 4, 0, o, 4, &st), &st);
    int64_t want_idx[8][2] = {{0, 0}, {1, 0}, {1, 3}, {1, 4}, {2, 0}, {3, 2}, {3, 3}, {4, 0}};
    int64_t d82[2] = {8, 2};
    sh_assert_shape(&o[0], 2, d82);
    assert_memory_equal(o[0].data, want_idx, sizeof want_idx);
    const char *want_v[8] = {"a", "b", "c", "d", "x", "e", "f", "x"};
    for (int i = 0; i < 8; i++)
        assert_true(sh_str_eq(&((eng_str *)o[1].data)[i], want_v[i]));
    uint8_t want_e[5] = {0, 0, 1, 0, 1};
    assert_memory_equal(o[2].data, want_e, 5);
    int64_t want_r[6] = {0, 1, 2, 3, 5, 6};
    assert_memory_equal(o[3].data, want_r, sizeof want_r);
    sh_free(o, 4);
}

/* Unordered rows: output is a stable sort by row (naive reference). */
static void test_fill_empty_rows_random(void **state)
{
    (void)state;
    uint64_t seed = 99;
    for (int iter = 0; iter < 20; iter++) {
        int64_t rows = 1 + (int64_t)(sh_rand(&seed) % 10), n = (int64_t)(sh_rand(&seed) % 12);
        int64_t idx[12][3];
        float val[12];
        for (int64_t i = 0; i < n; i++) {
            idx[i][0] = (int64_t)(sh_rand(&seed) % (uint64_t)rows);
            idx[i][1] = (int64_t)(sh_rand(&seed) % 5);
            idx[i][2] = i;
            val[i] = (float)i + 0.5f;
        }
        int64_t shape[3] = {rows, 5, 12};
        float def = -1.0f;
        eng_tensor ins[4] = {sh_mat(ENG_DT_INT64, n, 3, idx), sh_vec(ENG_DT_FLOAT, n, val),
                             sh_vec(ENG_DT_INT64, 3, shape), sh_scalar(ENG_DT_FLOAT, &def)};
        eng_tensor o[4];
        tsd_status st;
        SH_EXPECT_OK(sh_run("SparseFillEmptyRows", NULL, 0, ins, 4, 0, o, 4, &st), &st);
        int64_t pos = 0;
        for (int64_t r = 0; r < rows; r++) {
            int any = 0;
            for (int64_t i = 0; i < n; i++) {
                if (idx[i][0] != r)
                    continue;
                any = 1;
                assert_memory_equal((int64_t *)o[0].data + 3 * pos, idx[i], 3 * sizeof(int64_t));
                assert_true(((float *)o[1].data)[pos] == val[i]);
                assert_int_equal(((int64_t *)o[3].data)[i], pos);
                pos++;
            }
            assert_int_equal(((uint8_t *)o[2].data)[r], !any);
            if (!any) {
                int64_t want[3] = {r, 0, 0};
                assert_memory_equal((int64_t *)o[0].data + 3 * pos, want, sizeof want);
                assert_true(((float *)o[1].data)[pos] == -1.0f);
                pos++;
            }
        }
        assert_int_equal(o[1].dims[0], pos);
        sh_free(o, 4);
    }
}

static void test_fill_empty_rows_errors(void **state)
{
    (void)state;
    int64_t idx[2][2] = {{0, 0}, {3, 0}};
    int64_t val[2] = {1, 2}, shape[2] = {3, 2}, def = 0;
    eng_tensor ins[4] = {sh_mat(ENG_DT_INT64, 2, 2, idx), sh_vec(ENG_DT_INT64, 2, val),
                         sh_vec(ENG_DT_INT64, 2, shape), sh_scalar(ENG_DT_INT64, &def)};
    eng_tensor o[4];
    tsd_status st;
    SH_EXPECT_ERR(sh_run("SparseFillEmptyRows", NULL, 0, ins, 4, 0, o, 4, &st), &st,
                  TSD_INVALID_ARGUMENT, "indices(1, 0) is invalid: 3 >= 3");
    idx[1][0] = -1;
    SH_EXPECT_ERR(sh_run("SparseFillEmptyRows", NULL, 0, ins, 4, 0, o, 4, &st), &st,
                  TSD_INVALID_ARGUMENT, "indices(1, 0) is invalid: -1 < 0");
    ins[1] = sh_vec(ENG_DT_INT64, 1, val);
    SH_EXPECT_ERR(sh_run("SparseFillEmptyRows", NULL, 0, ins, 4, 0, o, 4, &st), &st,
                  TSD_INVALID_ARGUMENT, "The length of `values` (1)");
    /* Empty input with zero rows is fine. */
    int64_t zshape[2] = {0, 2};
    eng_tensor z[4] = {sh_mat(ENG_DT_INT64, 0, 2, idx), sh_vec(ENG_DT_INT64, 0, val),
                       sh_vec(ENG_DT_INT64, 2, zshape), sh_scalar(ENG_DT_INT64, &def)};
    SH_EXPECT_OK(sh_run("SparseFillEmptyRows", NULL, 0, z, 4, 0, o, 4, &st), &st);
    assert_int_equal(o[0].dims[0], 0);
    assert_int_equal(o[2].dims[0], 0);
    sh_free(o, 4);
}

/* ---- SparseReshape ---------------------------------------------------------------- */

static void test_sparse_reshape(void **state)
{
    (void)state;
    /* The example of tf.sparse.reshape's kernel documentation. */
    int64_t idx[5][3] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {1, 2, 3}};
    int64_t ish[3] = {2, 3, 6}, nsh[2] = {9, -1};
    eng_tensor ins[3] = {sh_mat(ENG_DT_INT64, 5, 3, idx), sh_vec(ENG_DT_INT64, 3, ish),
                         sh_vec(ENG_DT_INT64, 2, nsh)};
    eng_tensor o[2];
    tsd_status st;
    SH_EXPECT_OK(sh_run("SparseReshape", NULL, 0, ins, 3, 0, o, 2, &st), &st);
    int64_t want[5][2] = {{0, 0}, {0, 1}, {1, 2}, {4, 2}, {8, 1}}, wsh[2] = {9, 4};
    assert_memory_equal(o[0].data, want, sizeof want);
    assert_memory_equal(o[1].data, wsh, sizeof wsh);
    sh_free(o, 2);
    /* Naive reference on a rank-2 -> rank-3 reshape. */
    int64_t idx2[4][2] = {{0, 5}, {1, 0}, {2, 3}, {3, 5}}, ish2[2] = {4, 6}, nsh2[3] = {2, 3, 4};
    eng_tensor in2[3] = {sh_mat(ENG_DT_INT64, 4, 2, idx2), sh_vec(ENG_DT_INT64, 2, ish2),
                         sh_vec(ENG_DT_INT64, 3, nsh2)};
    SH_EXPECT_OK(sh_run("SparseReshape", NULL, 0, in2, 3, 0, o, 2, &st), &st);
    for (int i = 0; i < 4; i++) {
        int64_t lin = idx2[i][0] * 6 + idx2[i][1];
        int64_t w[3] = {lin / 12, (lin / 4) % 3, lin % 4};
        assert_memory_equal((int64_t *)o[0].data + 3 * i, w, sizeof w);
    }
    sh_free(o, 2);
    nsh[0] = -1;
    SH_EXPECT_ERR(sh_run("SparseReshape", NULL, 0, ins, 3, 0, o, 2, &st), &st, TSD_INVALID_ARGUMENT,
                  "only one output dimension may be -1");
    nsh[0] = 5;
    nsh[1] = 7;
    SH_EXPECT_ERR(sh_run("SparseReshape", NULL, 0, ins, 3, 0, o, 2, &st), &st, TSD_INVALID_ARGUMENT,
                  "Input to reshape is a tensor with 36 dense values");
    nsh[1] = -1;
    SH_EXPECT_ERR(sh_run("SparseReshape", NULL, 0, ins, 3, 0, o, 2, &st), &st, TSD_INVALID_ARGUMENT,
                  "requires a multiple of 5");
    nsh[0] = 9;
    idx[4][2] = 6; /* out of the input shape */
    SH_EXPECT_ERR(sh_run("SparseReshape", NULL, 0, ins, 3, 0, o, 2, &st), &st, TSD_INVALID_ARGUMENT,
                  "out of bounds");
}

/* ---- SparseSegment* ------------------------------------------------------------------ */

enum { K_SUM, K_MEAN, K_SQRTN };

static tsd_code run_seg(const char *op, const eng_tensor *data, const eng_tensor *idx,
                        const eng_tensor *seg, const eng_tensor *num, eng_tensor *o, tsd_status *st)
{
    eng_tensor ins[4] = {*data, *idx, *seg};
    int n = 3;
    if (num)
        ins[n++] = *num;
    sh_attr at[2] = {sh_type("Tidx", idx->dtype), sh_type("Tsegmentids", seg->dtype)};
    return sh_run(op, at, 2, ins, n, 0, o, 1, st);
}

/* Naive reference in double. */
static void ref_segment(const float *data, int64_t cols, const int64_t *idx, const int64_t *seg,
                        int64_t n, int64_t rows, int kind, double *out)
{
    for (int64_t s = 0; s < rows; s++) {
        int64_t cnt = 0;
        for (int64_t c = 0; c < cols; c++)
            out[s * cols + c] = 0;
        for (int64_t i = 0; i < n; i++) {
            if (seg[i] != s)
                continue;
            cnt++;
            for (int64_t c = 0; c < cols; c++)
                out[s * cols + c] += data[idx[i] * cols + c];
        }
        double div = kind == K_MEAN ? (double)cnt : kind == K_SQRTN ? sqrt((double)cnt) : 1.0;
        for (int64_t c = 0; c < cols && cnt > 0; c++)
            out[s * cols + c] /= div;
    }
}

static void test_segments_random(void **state)
{
    (void)state;
    static const char *ops[3] = {"SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"};
    static const char *opsn[3] = {"SparseSegmentSumWithNumSegments",
                                  "SparseSegmentMeanWithNumSegments",
                                  "SparseSegmentSqrtNWithNumSegments"};
    uint64_t seed = 1234;
    enum { R = 50, C = 7, N = 120 };
    static float data[R * C];
    for (int i = 0; i < R * C; i++)
        data[i] = (float)((double)(sh_rand(&seed) % 20001) / 1000.0 - 10.0);
    int64_t idx64[N], seg64[N];
    int32_t idx32[N], seg32[N];
    int64_t s = 0;
    for (int i = 0; i < N; i++) {
        idx64[i] = (int64_t)(sh_rand(&seed) % R);
        if (i > 0 && sh_rand(&seed) % 4 == 0)
            s += 1 + (int64_t)(sh_rand(&seed) % 3); /* gaps leave empty segments */
        seg64[i] = s;
        idx32[i] = (int32_t)idx64[i];
        seg32[i] = (int32_t)s;
    }
    int64_t rows = s + 1;
    static double ref[(N * 4 + 8) * C];
    int64_t dims[2] = {R, C};
    eng_tensor dt = sh_tensor(ENG_DT_FLOAT, 2, dims, data);
    for (int k = 0; k < 3; k++) {
        ref_segment(data, C, idx64, seg64, N, rows, k, ref);
        for (int variant = 0; variant < 3; variant++) {
            eng_tensor it =
                variant == 1 ? sh_vec(ENG_DT_INT32, N, idx32) : sh_vec(ENG_DT_INT64, N, idx64);
            eng_tensor sg =
                variant == 2 ? sh_vec(ENG_DT_INT32, N, seg32) : sh_vec(ENG_DT_INT64, N, seg64);
            int64_t nseg = rows + 3;
            eng_tensor ns = sh_scalar(ENG_DT_INT64, &nseg);
            eng_tensor o;
            tsd_status st;
            int withn = variant == 2;
            SH_EXPECT_OK(
                run_seg(withn ? opsn[k] : ops[k], &dt, &it, &sg, withn ? &ns : NULL, &o, &st), &st);
            int64_t want_rows = withn ? nseg : rows;
            int64_t od[2] = {want_rows, C};
            sh_assert_shape(&o, 2, od);
            const float *got = o.data;
            for (int64_t e = 0; e < want_rows * C; e++) {
                double w = e < rows * C ? ref[e] : 0.0;
                if (fabs(got[e] - w) > 1e-4 * (1 + fabs(w)))
                    fail_msg("%s variant %d element %lld: %g vs %g", ops[k], variant, (long long)e,
                             got[e], w);
            }
            sh_free(&o, 1);
        }
    }
}

/* Exact small cases, double and int data, empty inputs, errors. */
static void test_segments_exact_and_errors(void **state)
{
    (void)state;
    double dd[3][2] = {{1, 2}, {-4, 8}, {5, 6}};
    int64_t idx[4] = {0, 1, 2, 2}, seg[4] = {0, 0, 2, 2};
    eng_tensor data = sh_mat(ENG_DT_DOUBLE, 3, 2, dd);
    eng_tensor it = sh_vec(ENG_DT_INT64, 4, idx), sg = sh_vec(ENG_DT_INT64, 4, seg);
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(run_seg("SparseSegmentMean", &data, &it, &sg, NULL, &o, &st), &st);
    double want_mean[6] = {-1.5, 5, 0, 0, 5, 6};
    assert_memory_equal(o.data, want_mean, sizeof want_mean);
    sh_free(&o, 1);
    SH_EXPECT_OK(run_seg("SparseSegmentSqrtN", &data, &it, &sg, NULL, &o, &st), &st);
    assert_true(fabs(((double *)o.data)[0] - (-3.0 / sqrt(2.0))) < 1e-15);
    assert_true(fabs(((double *)o.data)[4] - 10.0 / sqrt(2.0)) < 1e-15);
    sh_free(&o, 1);
    int32_t di[3] = {INT32_MAX, 1, 7};
    eng_tensor dint = sh_vec(ENG_DT_INT32, 3, di);
    int64_t i2[2] = {0, 1}, s2[2] = {0, 0};
    eng_tensor it2 = sh_vec(ENG_DT_INT64, 2, i2), sg2 = sh_vec(ENG_DT_INT64, 2, s2);
    SH_EXPECT_OK(run_seg("SparseSegmentSum", &dint, &it2, &sg2, NULL, &o, &st), &st);
    assert_int_equal(((int32_t *)o.data)[0], INT32_MIN); /* wraps like TensorFlow */
    sh_free(&o, 1);
    /* Empty indices: zero rows, or num_segments rows of zeros. */
    eng_tensor e0 = sh_vec(ENG_DT_INT64, 0, idx);
    SH_EXPECT_OK(run_seg("SparseSegmentSum", &data, &e0, &e0, NULL, &o, &st), &st);
    assert_int_equal(o.dims[0], 0);
    assert_int_equal(o.dims[1], 2);
    sh_free(&o, 1);
    int32_t nseg = 2;
    eng_tensor ns = sh_scalar(ENG_DT_INT32, &nseg);
    SH_EXPECT_OK(run_seg("SparseSegmentSumWithNumSegments", &data, &e0, &e0, &ns, &o, &st), &st);
    double zeros[4] = {0, 0, 0, 0};
    assert_memory_equal(o.data, zeros, sizeof zeros);
    sh_free(&o, 1);
    /* Errors. */
    idx[3] = 3;
    SH_EXPECT_ERR(run_seg("SparseSegmentSum", &data, &it, &sg, NULL, &o, &st), &st,
                  TSD_INVALID_ARGUMENT, "Bad: indices[3] == 3 out of range [0, 3)");
    idx[3] = 2;
    seg[2] = 0;
    seg[1] = 1;
    SH_EXPECT_ERR(run_seg("SparseSegmentSum", &data, &it, &sg, NULL, &o, &st), &st,
                  TSD_INVALID_ARGUMENT, "segment ids are not increasing");
    seg[1] = 0;
    seg[2] = 2;
    nseg = 2;
    SH_EXPECT_ERR(run_seg("SparseSegmentSumWithNumSegments", &data, &it, &sg, &ns, &o, &st), &st,
                  TSD_INVALID_ARGUMENT, "segment ids must be < num_segments");
    int64_t neg[4] = {-1, -1, -1, -1};
    eng_tensor sn = sh_vec(ENG_DT_INT64, 4, neg);
    SH_EXPECT_ERR(run_seg("SparseSegmentSum", &data, &it, &sn, NULL, &o, &st), &st,
                  TSD_INVALID_ARGUMENT, "segment ids must be >= 0");
    eng_tensor s3 = sh_vec(ENG_DT_INT64, 3, seg);
    SH_EXPECT_ERR(run_seg("SparseSegmentSum", &data, &it, &s3, NULL, &o, &st), &st,
                  TSD_INVALID_ARGUMENT, "segment_ids and indices should have same size");
}

/* Summation order for > 9 rows in float matches TensorFlow's chunking. */
static void test_segments_float_order(void **state)
{
    (void)state;
    enum { N = 19 };
    float data[N];
    int64_t idx[N], seg[N];
    for (int i = 0; i < N; i++) {
        data[i] = i % 2 ? 1e8f : 1.0f + (float)i * 0.37f;
        idx[i] = i;
        seg[i] = 0;
    }
    /* TF: first N % 8 = 3 rows, then blocks of 8, each block summed then added; mean divides. */
    float acc = data[0] + data[1] + data[2];
    for (int b = 3; b < N; b += 8) {
        float blk = data[b];
        for (int k = 1; k < 8; k++)
            blk = blk + data[b + k];
        acc = acc + blk;
    }
    float want_sum = acc, want_mean = acc / (float)N;
    eng_tensor dt = sh_tensor(ENG_DT_FLOAT, 1, (int64_t[]){N}, data);
    eng_tensor it = sh_vec(ENG_DT_INT64, N, idx), sg = sh_vec(ENG_DT_INT64, N, seg);
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(run_seg("SparseSegmentSum", &dt, &it, &sg, NULL, &o, &st), &st);
    assert_true(((float *)o.data)[0] == want_sum);
    sh_free(&o, 1);
    SH_EXPECT_OK(run_seg("SparseSegmentMean", &dt, &it, &sg, NULL, &o, &st), &st);
    assert_true(((float *)o.data)[0] == want_mean);
    sh_free(&o, 1);
}

/* ---- SparseToDense ---------------------------------------------------------------------- */

static tsd_code run_s2d(const eng_tensor *ind, const eng_tensor *shape, const eng_tensor *val,
                        const eng_tensor *def, int validate, eng_tensor *o, tsd_status *st)
{
    eng_tensor ins[4] = {*ind, *shape, *val, *def};
    sh_attr at[1] = {sh_bool("validate_indices", validate)};
    return sh_run("SparseToDense", at, 1, ins, 4, SH_CONST(1), o, 1, st);
}

static void test_sparse_to_dense(void **state)
{
    (void)state;
    int64_t ind[3][2] = {{0, 1}, {1, 0}, {2, 3}}, shape[2] = {3, 4};
    float val[3] = {5, 6, 7}, def = -1;
    eng_tensor ti = sh_mat(ENG_DT_INT64, 3, 2, ind), ts = sh_vec(ENG_DT_INT64, 2, shape);
    eng_tensor tv = sh_vec(ENG_DT_FLOAT, 3, val), td = sh_scalar(ENG_DT_FLOAT, &def);
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(run_s2d(&ti, &ts, &tv, &td, 1, &o, &st), &st);
    float want[12] = {-1, 5, -1, -1, 6, -1, -1, -1, -1, -1, -1, 7};
    sh_assert_shape(&o, 2, shape);
    assert_memory_equal(o.data, want, sizeof want);
    sh_free(&o, 1);
    /* Scalar value broadcast, 1-D int32 indices, string values. */
    int32_t ind1[2] = {3, 0}, shape1[1] = {5};
    eng_str sv = {"on", 2}, sd = {"", 0};
    eng_tensor t1 = sh_vec(ENG_DT_INT32, 2, ind1), s1 = sh_vec(ENG_DT_INT32, 1, shape1);
    eng_tensor v1 = sh_scalar(ENG_DT_STRING, &sv), d1 = sh_scalar(ENG_DT_STRING, &sd);
    SH_EXPECT_OK(run_s2d(&t1, &s1, &v1, &d1, 0, &o, &st), &st);
    const char *w1[5] = {"on", "", "", "on", ""};
    for (int i = 0; i < 5; i++)
        assert_true(sh_str_eq(&((eng_str *)o.data)[i], w1[i]));
    sh_free(&o, 1);
    SH_EXPECT_ERR(run_s2d(&t1, &s1, &v1, &d1, 1, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "indices[1] = [0] is out of order");
    ind[2][0] = 1;
    ind[2][1] = 0;
    SH_EXPECT_ERR(run_s2d(&ti, &ts, &tv, &td, 1, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "indices[2] = [1,0] is repeated");
    ind[2][0] = 3;
    SH_EXPECT_ERR(run_s2d(&ti, &ts, &tv, &td, 0, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "indices[2] = [3,0] is out of bounds: need 0 <= index < [3,4]");
    eng_tensor tv2 = sh_vec(ENG_DT_FLOAT, 2, val);
    SH_EXPECT_ERR(run_s2d(&ti, &ts, &tv2, &td, 1, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "sparse_values has incorrect shape");
}

/* ---- Unique ------------------------------------------------------------------------------ */

static void test_unique(void **state)
{
    (void)state;
    int32_t x[9] = {1, 1, 2, 4, 4, 4, 7, 8, 8};
    eng_tensor tx = sh_vec(ENG_DT_INT32, 9, x);
    eng_tensor o[2];
    tsd_status st;
    SH_EXPECT_OK(sh_run("Unique", NULL, 0, &tx, 1, 0, o, 2, &st), &st);
    int32_t wy[5] = {1, 2, 4, 7, 8}, wi[9] = {0, 0, 1, 2, 2, 2, 3, 4, 4};
    assert_int_equal(o[0].dims[0], 5);
    assert_memory_equal(o[0].data, wy, sizeof wy);
    assert_int_equal(o[1].dtype, ENG_DT_INT32);
    assert_memory_equal(o[1].data, wi, sizeof wi);
    sh_free(o, 2);
    /* Strings in first-occurrence order, int64 out_idx. */
    const char *s[6] = {"b", "a", "b", "", "a", ""};
    eng_tensor ts = sh_vec(ENG_DT_STRING, 6, sh_strs(6, s));
    sh_attr at[1] = {sh_type("out_idx", ENG_DT_INT64)};
    SH_EXPECT_OK(sh_run("Unique", at, 1, &ts, 1, 0, o, 2, &st), &st);
    assert_int_equal(o[0].dims[0], 3);
    assert_true(sh_str_eq(&((eng_str *)o[0].data)[0], "b"));
    assert_true(sh_str_eq(&((eng_str *)o[0].data)[1], "a"));
    assert_true(sh_str_eq(&((eng_str *)o[0].data)[2], ""));
    int64_t wsi[6] = {0, 1, 0, 2, 1, 2};
    assert_memory_equal(o[1].data, wsi, sizeof wsi);
    sh_free(o, 2);
    /* 0.0 and -0.0 are equal; an empty input gives empty outputs. */
    float f[3] = {0.0f, -0.0f, 1.0f};
    eng_tensor tf = sh_vec(ENG_DT_FLOAT, 3, f);
    SH_EXPECT_OK(sh_run("Unique", NULL, 0, &tf, 1, 0, o, 2, &st), &st);
    assert_int_equal(o[0].dims[0], 2);
    sh_free(o, 2);
    eng_tensor te = sh_vec(ENG_DT_INT64, 0, x);
    SH_EXPECT_OK(sh_run("Unique", NULL, 0, &te, 1, 0, o, 2, &st), &st);
    assert_int_equal(o[0].dims[0], 0);
    assert_int_equal(o[1].dims[0], 0);
    sh_free(o, 2);
    /* Large random input against a quadratic reference. */
    uint64_t seed = 5;
    enum { N = 500 };
    int64_t big[N];
    for (int i = 0; i < N; i++)
        big[i] = (int64_t)(sh_rand(&seed) % 97) - 48;
    eng_tensor tb = sh_vec(ENG_DT_INT64, N, big);
    SH_EXPECT_OK(sh_run("Unique", NULL, 0, &tb, 1, 0, o, 2, &st), &st);
    int64_t ny = 0, yref[N];
    for (int i = 0; i < N; i++) {
        int64_t k = 0;
        while (k < ny && yref[k] != big[i])
            k++;
        if (k == ny)
            yref[ny++] = big[i];
        assert_int_equal(((int32_t *)o[1].data)[i], k);
    }
    assert_int_equal(o[0].dims[0], ny);
    assert_memory_equal(o[0].data, yref, (size_t)ny * sizeof *yref);
    sh_free(o, 2);
    int64_t d2[2] = {1, 1};
    eng_tensor t2 = sh_tensor(ENG_DT_INT32, 2, d2, x);
    SH_EXPECT_ERR(sh_run("Unique", NULL, 0, &t2, 1, 0, o, 2, &st), &st, TSD_INVALID_ARGUMENT,
                  "unique expects a 1D vector");
}

/* ---- Bucketize, UpperBound, LowerBound ------------------------------------------------------- */

static void test_bucketize(void **state)
{
    (void)state;
    double b[3] = {0, 10, 100};
    sh_attr at[1] = {sh_floats("boundaries", 3, b)};
    int32_t x[6] = {-5, 10000, 150, 10, 5, 100};
    int64_t d[2] = {3, 2};
    eng_tensor t = sh_tensor(ENG_DT_INT32, 2, d, x);
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(sh_run("Bucketize", at, 1, &t, 1, 0, &o, 1, &st), &st);
    int32_t want[6] = {0, 3, 3, 2, 1, 3}; /* the tf.raw_ops.Bucketize example */
    sh_assert_shape(&o, 2, d);
    assert_memory_equal(o.data, want, sizeof want);
    sh_free(&o, 1);
    /* census age boundaries: equality goes to the upper bucket. */
    double ages[10] = {18, 25, 30, 35, 40, 45, 50, 55, 60, 65};
    at[0] = sh_floats("boundaries", 10, ages);
    float av[6] = {17.9f, 18.0f, 25.0f, 35.0f, 64.99f, 90.0f};
    t = sh_vec(ENG_DT_FLOAT, 6, av);
    SH_EXPECT_OK(sh_run("Bucketize", at, 1, &t, 1, 0, &o, 1, &st), &st);
    int32_t wa[6] = {0, 1, 2, 4, 9, 10};
    assert_memory_equal(o.data, wa, sizeof wa);
    sh_free(&o, 1);
    double dv[2] = {25.0, 24.999999999};
    t = sh_vec(ENG_DT_DOUBLE, 2, dv);
    SH_EXPECT_OK(sh_run("Bucketize", at, 1, &t, 1, 0, &o, 1, &st), &st);
    assert_int_equal(((int32_t *)o.data)[0], 2);
    assert_int_equal(((int32_t *)o.data)[1], 1);
    sh_free(&o, 1);
    double unsorted[2] = {5, 1};
    at[0] = sh_floats("boundaries", 2, unsorted);
    SH_EXPECT_ERR(sh_run("Bucketize", at, 1, &t, 1, 0, &o, 1, &st), &st, TSD_INVALID_ARGUMENT,
                  "Expected sorted boundaries");
}

static void test_bounds(void **state)
{
    (void)state;
    /* The tf.searchsorted documentation example. */
    float s[2][5] = {{0, 3, 9, 9, 10}, {1, 2, 3, 4, 5}};
    float v[2][3] = {{2, 4, 9}, {0, 2, 6}};
    eng_tensor ins[2] = {sh_mat(ENG_DT_FLOAT, 2, 5, s), sh_mat(ENG_DT_FLOAT, 2, 3, v)};
    sh_attr at[1] = {sh_type("out_type", ENG_DT_INT32)};
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(sh_run("UpperBound", at, 1, ins, 2, 0, &o, 1, &st), &st);
    int32_t wu[6] = {1, 2, 4, 0, 2, 5};
    assert_memory_equal(o.data, wu, sizeof wu);
    sh_free(&o, 1);
    SH_EXPECT_OK(sh_run("LowerBound", at, 1, ins, 2, 0, &o, 1, &st), &st);
    int32_t wl[6] = {1, 2, 2, 0, 1, 5};
    assert_memory_equal(o.data, wl, sizeof wl);
    sh_free(&o, 1);
    /* Random int64 rows against linear counting, int64 output. */
    uint64_t seed = 11;
    int64_t si[3][40], vi[3][25];
    for (int r = 0; r < 3; r++) {
        int64_t acc = -50;
        for (int j = 0; j < 40; j++) {
            acc += (int64_t)(sh_rand(&seed) % 4);
            si[r][j] = acc;
        }
        for (int j = 0; j < 25; j++)
            vi[r][j] = (int64_t)(sh_rand(&seed) % 140) - 60;
    }
    eng_tensor ii[2] = {sh_mat(ENG_DT_INT64, 3, 40, si), sh_mat(ENG_DT_INT64, 3, 25, vi)};
    at[0] = sh_type("out_type", ENG_DT_INT64);
    for (int upper = 0; upper < 2; upper++) {
        SH_EXPECT_OK(sh_run(upper ? "UpperBound" : "LowerBound", at, 1, ii, 2, 0, &o, 1, &st), &st);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 25; j++) {
                int64_t cnt = 0;
                for (int k = 0; k < 40; k++)
                    cnt += upper ? si[r][k] <= vi[r][j] : si[r][k] < vi[r][j];
                assert_int_equal(((int64_t *)o.data)[r * 25 + j], cnt);
            }
        sh_free(&o, 1);
    }
    ins[1] = sh_mat(ENG_DT_FLOAT, 1, 3, v);
    SH_EXPECT_ERR(sh_run("UpperBound", at, 1, ins, 2, 0, &o, 1, &st), &st, TSD_INVALID_ARGUMENT,
                  "Leading dim_size of both tensors must match.");
}

/* ---- UniqueV2, SparseTensorDenseMatMul, SegmentSum ---------------------------------------- */

static void test_unique_v2(void **state)
{
    (void)state;
    int64_t x[5] = {3, 1, 3, 3, 2};
    int32_t ax0[1] = {0}, ax1[1] = {1};
    eng_tensor ins[2] = {sh_vec(ENG_DT_INT64, 5, x), sh_vec(ENG_DT_INT32, 1, ax0)};
    eng_tensor o[2];
    tsd_status st;
    SH_EXPECT_OK(sh_run("UniqueV2", NULL, 0, ins, 2, SH_CONST(1), o, 2, &st), &st);
    int64_t wy[3] = {3, 1, 2};
    int32_t wi[5] = {0, 1, 0, 0, 2};
    assert_memory_equal(o[0].data, wy, sizeof wy);
    assert_memory_equal(o[1].data, wi, sizeof wi);
    sh_free(o, 2);
    ins[1] = sh_vec(ENG_DT_INT32, 1, ax1);
    SH_EXPECT_ERR(sh_run("UniqueV2", NULL, 0, ins, 2, 0, o, 2, &st), &st, TSD_UNIMPLEMENTED,
                  "axis 1");
}

static tsd_code run_spmm(const eng_tensor *ins, int adj_a, int adj_b, eng_tensor *o, tsd_status *st)
{
    sh_attr at[2] = {sh_bool("adjoint_a", adj_a), sh_bool("adjoint_b", adj_b)};
    return sh_run("SparseTensorDenseMatMul", at, 2, ins, 4, SH_CONST(2), o, 1, st);
}

static void test_sparse_dense_matmul(void **state)
{
    (void)state;
    uint64_t seed = 77;
    enum { M = 5, K = 4, N = 3, NNZ = 7 };
    for (int adj = 0; adj < 4; adj++) {
        int adj_a = adj & 1, adj_b = adj >> 1;
        double dense_a[M][K];
        memset(dense_a, 0, sizeof dense_a);
        int64_t idx[NNZ][2];
        float val[NNZ];
        for (int i = 0; i < NNZ; i++) {
            int64_t m = (int64_t)(sh_rand(&seed) % M), k = (int64_t)(sh_rand(&seed) % K);
            val[i] = (float)(sh_rand(&seed) % 9) - 4.0f;
            dense_a[m][k] += val[i]; /* duplicates add up, as TensorFlow does */
            idx[i][0] = adj_a ? k : m;
            idx[i][1] = adj_a ? m : k;
        }
        float b[K * N];
        for (int i = 0; i < K * N; i++)
            b[i] = (float)(sh_rand(&seed) % 7) - 3.0f;
        int64_t shape[2] = {adj_a ? K : M, adj_a ? M : K};
        eng_tensor ins[4] = {sh_mat(ENG_DT_INT64, NNZ, 2, idx), sh_vec(ENG_DT_FLOAT, NNZ, val),
                             sh_vec(ENG_DT_INT64, 2, shape),
                             adj_b ? sh_mat(ENG_DT_FLOAT, N, K, b) : sh_mat(ENG_DT_FLOAT, K, N, b)};
        eng_tensor o;
        tsd_status st;
        SH_EXPECT_OK(run_spmm(ins, adj_a, adj_b, &o, &st), &st);
        int64_t od[2] = {M, N};
        sh_assert_shape(&o, 2, od);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double want = 0;
                for (int k = 0; k < K; k++)
                    want += dense_a[m][k] * (adj_b ? b[n * K + k] : b[k * N + n]);
                assert_true(fabs(((float *)o.data)[m * N + n] - want) < 1e-4);
            }
        sh_free(&o, 1);
    }
    int64_t idx[1][2] = {{0, 9}}, shape[2] = {2, 3};
    float val[1] = {1}, b[6] = {0};
    eng_tensor ins[4] = {sh_mat(ENG_DT_INT64, 1, 2, idx), sh_vec(ENG_DT_FLOAT, 1, val),
                         sh_vec(ENG_DT_INT64, 2, shape), sh_mat(ENG_DT_FLOAT, 3, 2, b)};
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_ERR(run_spmm(ins, 0, 0, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "k (9) from index[0,1] out of bounds (>=3)");
    ins[3] = sh_mat(ENG_DT_FLOAT, 2, 3, b);
    SH_EXPECT_ERR(run_spmm(ins, 0, 0, &o, &st), &st, TSD_INVALID_ARGUMENT,
                  "inner dimension does not match");
}

static void test_segment_sum(void **state)
{
    (void)state;
    float data[5][2] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}};
    int32_t seg[5] = {0, 0, 2, 2, 3};
    eng_tensor ins[2] = {sh_mat(ENG_DT_FLOAT, 5, 2, data), sh_vec(ENG_DT_INT32, 5, seg)};
    eng_tensor o;
    tsd_status st;
    SH_EXPECT_OK(sh_run("SegmentSum", NULL, 0, ins, 2, 0, &o, 1, &st), &st);
    float want[8] = {4, 6, 0, 0, 12, 14, 9, 10};
    int64_t od[2] = {4, 2};
    sh_assert_shape(&o, 2, od);
    assert_memory_equal(o.data, want, sizeof want);
    sh_free(&o, 1);
    seg[3] = 1;
    SH_EXPECT_ERR(sh_run("SegmentSum", NULL, 0, ins, 2, 0, &o, 1, &st), &st, TSD_INVALID_ARGUMENT,
                  "segment ids are not increasing");
    seg[0] = -1;
    SH_EXPECT_ERR(sh_run("SegmentSum", NULL, 0, ins, 2, 0, &o, 1, &st), &st, TSD_INVALID_ARGUMENT,
                  "segment ids must be >= 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_empty_rows_doc),
        cmocka_unit_test(test_fill_empty_rows_random),
        cmocka_unit_test(test_fill_empty_rows_errors),
        cmocka_unit_test(test_sparse_reshape),
        cmocka_unit_test(test_segments_random),
        cmocka_unit_test(test_segments_exact_and_errors),
        cmocka_unit_test(test_segments_float_order),
        cmocka_unit_test(test_sparse_to_dense),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_bucketize),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_unique_v2),
        cmocka_unit_test(test_sparse_dense_matmul),
        cmocka_unit_test(test_segment_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
