/*
 * test_ops_parse.c - ParseExample / ParseExampleV2 and the tf.Example wire
 * decoder: dense defaults, required features, VarLen -> sparse, empty
 * Features, type and count errors with TensorFlow's wording, packed and
 * unpacked lists, duplicate keys, ragged outputs, malformed input, and the
 * first real record of the taxi TFRecord checked against protobuf-c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zlib.h>

#include "engine/example.h"
#include "sparse_harness.h"
#include "tensorflow/core/example/example.pb-c.h"
#include "tests/unit/test_util.h"

#define MAXK 20

/* A parse configuration for both op versions. */
typedef struct pspec {
    int ns;
    const char *skeys[MAXK];
    eng_dtype stypes[MAXK];
    int nd;
    const char *dkeys[MAXK];
    eng_dtype dtypes[MAXK];
    eng_shape dshapes[MAXK];
    eng_tensor ddefs[MAXK];
    int nr;
    const char *rkeys[4];
    eng_dtype rtypes[4];
    eng_dtype rsplits[4];
} pspec;

static int nouts(const pspec *p)
{
    return 3 * p->ns + p->nd + 2 * p->nr;
}

static eng_tensor empty_default(eng_dtype dt)
{
    int64_t zero = 0;
    static float dummy;
    return sh_tensor(dt, 1, &zero, &dummy);
}

/* Run ParseExample (v2 = 0) or ParseExampleV2 on a batch. */
static tsd_code run_parse(int v2, const pspec *p, const eng_str *ser, int64_t b,
                          const eng_str *names, int64_t nnames, eng_tensor *outs, tsd_status *st)
{
    eng_tensor ins[SH_MAX_IO];
    eng_str keys[3][MAXK];
    int nin = 0;
    uint64_t cmask = 0;
    ins[nin++] = sh_vec(ENG_DT_STRING, b, ser);
    ins[nin++] = sh_vec(ENG_DT_STRING, nnames, names);
    for (int i = 0; i < p->ns; i++)
        keys[0][i] = (eng_str){p->skeys[i], strlen(p->skeys[i])};
    for (int i = 0; i < p->nd; i++)
        keys[1][i] = (eng_str){p->dkeys[i], strlen(p->dkeys[i])};
    for (int i = 0; i < p->nr; i++)
        keys[2][i] = (eng_str){p->rkeys[i], strlen(p->rkeys[i])};
    eng_dtype rsplits[4];
    memcpy(rsplits, p->rsplits, sizeof rsplits);
    sh_attr at[8];
    int na = 0;
    if (v2) {
        ins[nin] = sh_vec(ENG_DT_STRING, p->ns, keys[0]);
        cmask |= SH_CONST(nin++);
        ins[nin] = sh_vec(ENG_DT_STRING, p->nd, keys[1]);
        cmask |= SH_CONST(nin++);
        ins[nin] = sh_vec(ENG_DT_STRING, p->nr, keys[2]);
        cmask |= SH_CONST(nin++);
        at[na++] = sh_int("num_sparse", p->ns);
        at[na++] = sh_types("ragged_value_types", (size_t)p->nr, (eng_dtype *)p->rtypes);
        at[na++] = sh_types("ragged_split_types", (size_t)p->nr, rsplits);
    } else {
        assert_int_equal(p->nr, 0);
        for (int i = 0; i < p->ns; i++) {
            ins[nin] = sh_scalar(ENG_DT_STRING, &keys[0][i]);
            cmask |= SH_CONST(nin++);
        }
        for (int i = 0; i < p->nd; i++) {
            ins[nin] = sh_scalar(ENG_DT_STRING, &keys[1][i]);
            cmask |= SH_CONST(nin++);
        }
        at[na++] = sh_int("Nsparse", p->ns);
        at[na++] = sh_int("Ndense", p->nd);
    }
    for (int i = 0; i < p->nd; i++) {
        ins[nin] = p->ddefs[i];
        cmask |= SH_CONST(nin++);
    }
    at[na++] = sh_types("sparse_types", (size_t)p->ns, (eng_dtype *)p->stypes);
    at[na++] = sh_types("Tdense", (size_t)p->nd, (eng_dtype *)p->dtypes);
    at[na++] = sh_shapes("dense_shapes", (size_t)p->nd, (eng_shape *)p->dshapes);
    /* V2 runs with an unknown batch dim, V1 with the exact one. */
    return sh_run_ex(v2 ? "ParseExampleV2" : "ParseExample", at, na, ins, nin, cmask, v2, outs,
                     nouts(p), st);
}

static void free_ser(eng_str *s, int n)
{
    for (int i = 0; i < n; i++)
        free((void *)s[i].ptr);
}

static eng_shape shape1(int64_t d)
{
    eng_shape s = {1, {d}};
    return s;
}

/* Dense features: present, missing with default, string and int64 kinds. */
static void test_dense_defaults(void **state)
{
    (void)state;
    static const float age_def = -1.0f;
    static const int64_t pair_def[2] = {7, 8};
    static eng_str word_def = {"zz", 2};
    pspec p = {.nd = 3,
               .dkeys = {"age", "pair", "word"},
               .dtypes = {ENG_DT_FLOAT, ENG_DT_INT64, ENG_DT_STRING}};
    p.dshapes[0] = shape1(1);
    p.dshapes[1] = shape1(2);
    p.dshapes[2] = shape1(1);
    p.ddefs[0] = sh_vec(ENG_DT_FLOAT, 1, &age_def);
    p.ddefs[1] = sh_vec(ENG_DT_INT64, 2, pair_def);
    p.ddefs[2] = sh_vec(ENG_DT_STRING, 1, &word_def);
    eng_str ser[3];
    sh_pb f = {.n = 0};
    float a0 = 25.5f;
    int64_t pr[2] = {-3, 1LL << 40};
    const char *w[1] = {"hello"};
    sh_ex_floats(&f, "age", 1, &a0, 1);
    sh_ex_int64s(&f, "pair", 2, pr, 1);
    sh_ex_bytes(&f, "word", 1, w);
    ser[0] = sh_ex_finish(&f);
    f.n = 0;
    sh_ex_bytes(&f, "unrelated", 1, w); /* extra features are ignored */
    ser[1] = sh_ex_finish(&f);
    f.n = 0;
    sh_ex_empty(&f, "age"); /* an empty Feature counts as missing */
    sh_ex_empty(&f, "word");
    ser[2] = sh_ex_finish(&f);
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[3];
        tsd_status st;
        tsd_code rc = run_parse(v2, &p, ser, 3, NULL, 0, o, &st);
        SH_EXPECT_OK(rc, &st);
        int64_t d31[2] = {3, 1}, d32[2] = {3, 2};
        sh_assert_shape(&o[0], 2, d31);
        sh_assert_shape(&o[1], 2, d32);
        sh_assert_shape(&o[2], 2, d31);
        const float *age = o[0].data;
        assert_true(age[0] == 25.5f && age[1] == -1.0f && age[2] == -1.0f);
        const int64_t *pv = o[1].data;
        assert_true(pv[0] == -3 && pv[1] == (1LL << 40));
        assert_true(pv[2] == 7 && pv[3] == 8 && pv[4] == 7 && pv[5] == 8);
        const eng_str *ws = o[2].data;
        assert_true(sh_str_eq(&ws[0], "hello") && sh_str_eq(&ws[1], "zz") &&
                    sh_str_eq(&ws[2], "zz"));
        sh_free(o, 3);
    }
    free_ser(ser, 3);
}

/* A required dense feature that is missing (or only an empty Feature). */
static void test_required_missing(void **state)
{
    (void)state;
    pspec p = {.nd = 1, .dkeys = {"age"}, .dtypes = {ENG_DT_FLOAT}};
    p.dshapes[0] = shape1(1);
    p.ddefs[0] = empty_default(ENG_DT_FLOAT);
    sh_pb f = {.n = 0};
    float a = 1.0f;
    sh_ex_floats(&f, "age", 1, &a, 1);
    eng_str ser[2];
    ser[0] = sh_ex_finish(&f);
    f.n = 0;
    sh_ex_empty(&f, "age");
    ser[1] = sh_ex_finish(&f);
    const char *nm[2] = {"first", "second"};
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[1];
        tsd_status st;
        tsd_code rc = run_parse(v2, &p, ser, 2, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Name: <unknown>, Feature: age (data type: float) is required but could "
                      "not be found.");
        rc = run_parse(v2, &p, ser, 2, sh_strs(2, nm), 2, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Name: second, Feature: age (data type: float) is required");
        rc = run_parse(v2, &p, ser, 1, NULL, 0, o, &st); /* only the good one */
        SH_EXPECT_OK(rc, &st);
        assert_true(((float *)o[0].data)[0] == 1.0f);
        sh_free(o, 1);
    }
    free_ser(ser, 2);
}

/* Checks one sparse output triple against expected rows of counts. */
static void check_sparse_layout(const eng_tensor *ind, const eng_tensor *shp, int64_t b,
                                const int64_t *counts)
{
    int64_t total = 0, maxc = 0;
    for (int64_t i = 0; i < b; i++) {
        total += counts[i];
        maxc = counts[i] > maxc ? counts[i] : maxc;
    }
    int64_t d[2] = {total, 2};
    sh_assert_shape(ind, 2, d);
    const int64_t *ix = ind->data;
    int64_t k = 0;
    for (int64_t i = 0; i < b; i++)
        for (int64_t j = 0; j < counts[i]; j++, k++) {
            assert_int_equal(ix[2 * k], i);
            assert_int_equal(ix[2 * k + 1], j);
        }
    assert_int_equal(((int64_t *)shp->data)[0], b);
    assert_int_equal(((int64_t *)shp->data)[1], maxc);
}

/* VarLen features of three kinds over examples with different counts. */
static void test_varlen_sparse(void **state)
{
    (void)state;
    pspec p = {.ns = 3,
               .skeys = {"ids", "tags", "w"},
               .stypes = {ENG_DT_INT64, ENG_DT_STRING, ENG_DT_FLOAT}};
    eng_str ser[4];
    sh_pb f = {.n = 0};
    const char *t0[2] = {"a", "bb"}, *t2[3] = {"", "x", "yyy"};
    int64_t id0[1] = {5}, id2[3] = {INT64_MIN, -1, INT64_MAX};
    float w0[2] = {0.5f, -2.0f};
    sh_ex_bytes(&f, "tags", 2, t0);
    sh_ex_int64s(&f, "ids", 1, id0, 0);
    sh_ex_floats(&f, "w", 2, w0, 0);
    ser[0] = sh_ex_finish(&f);
    f.n = 0;
    ser[1] = sh_ex_finish(&f); /* no features at all */
    f.n = 0;
    sh_ex_bytes(&f, "tags", 3, t2);
    sh_ex_int64s(&f, "ids", 3, id2, 1);
    sh_ex_empty(&f, "w");
    ser[2] = sh_ex_finish(&f);
    ser[3].ptr = calloc(1, 1); /* the empty string is a valid empty Example */
    ser[3].len = 0;
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[9];
        tsd_status st;
        tsd_code rc = run_parse(v2, &p, ser, 4, NULL, 0, o, &st);
        SH_EXPECT_OK(rc, &st);
        int64_t c_ids[4] = {1, 0, 3, 0}, c_tags[4] = {2, 0, 3, 0}, c_w[4] = {2, 0, 0, 0};
        check_sparse_layout(&o[0], &o[6], 4, c_ids);
        check_sparse_layout(&o[1], &o[7], 4, c_tags);
        check_sparse_layout(&o[2], &o[8], 4, c_w);
        const int64_t *iv = o[3].data;
        assert_true(iv[0] == 5 && iv[1] == INT64_MIN && iv[2] == -1 && iv[3] == INT64_MAX);
        const eng_str *tv = o[4].data;
        assert_true(sh_str_eq(&tv[0], "a") && sh_str_eq(&tv[1], "bb") && sh_str_eq(&tv[2], "") &&
                    sh_str_eq(&tv[3], "x") && sh_str_eq(&tv[4], "yyy"));
        const float *wv = o[5].data;
        assert_true(wv[0] == 0.5f && wv[1] == -2.0f);
        assert_int_equal(o[5].dtype, ENG_DT_FLOAT);
        sh_free(o, 9);
    }
    free_ser(ser, 4);
}

/* Kind mismatches use TensorFlow's two different wordings. */
static void test_type_mismatch(void **state)
{
    (void)state;
    sh_pb f = {.n = 0};
    int64_t iv = 3;
    sh_ex_int64s(&f, "age", 1, &iv, 1);
    float fv = 1.0f;
    sh_ex_floats(&f, "tag", 1, &fv, 1);
    eng_str ser[1] = {sh_ex_finish(&f)};
    pspec pd = {.nd = 1, .dkeys = {"age"}, .dtypes = {ENG_DT_FLOAT}};
    pd.dshapes[0] = shape1(1);
    pd.ddefs[0] = empty_default(ENG_DT_FLOAT);
    pspec ps = {.ns = 1, .skeys = {"tag"}, .stypes = {ENG_DT_STRING}};
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[3];
        tsd_status st;
        tsd_code rc = run_parse(v2, &pd, ser, 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Name: <unknown>, Key: age, Index: 0.  Data types don't match. Data type: "
                      "int64 but expected type: float");
        rc = run_parse(v2, &ps, ser, 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Key: tag, Index: 0.  Data types don't match. Expected type: string, "
                      "Actual type: float");
    }
    free_ser(ser, 1);
}

/* Wrong value counts for dense features, including a present empty list. */
static void test_count_mismatch(void **state)
{
    (void)state;
    pspec p = {.nd = 1, .dkeys = {"v"}, .dtypes = {ENG_DT_FLOAT}};
    p.dshapes[0] = shape1(1);
    static const float def = 0.0f;
    p.ddefs[0] = sh_vec(ENG_DT_FLOAT, 1, &def);
    float two[2] = {1, 2};
    sh_pb f = {.n = 0};
    sh_ex_floats(&f, "v", 2, two, 1);
    eng_str ser[2];
    ser[0] = sh_ex_finish(&f);
    f.n = 0;
    sh_ex_floats(&f, "v", 0, two, 1); /* present but empty: an error, not the default */
    ser[1] = sh_ex_finish(&f);
    pspec pb = {.nd = 1, .dkeys = {"s"}, .dtypes = {ENG_DT_STRING}};
    pb.dshapes[0].rank = 2;
    pb.dshapes[0].dims[0] = 2;
    pb.dshapes[0].dims[1] = 2;
    pb.ddefs[0] = empty_default(ENG_DT_STRING);
    const char *three[3] = {"a", "b", "c"};
    f.n = 0;
    sh_ex_bytes(&f, "s", 3, three);
    eng_str ser_b[1] = {sh_ex_finish(&f)};
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[1];
        tsd_status st;
        tsd_code rc = run_parse(v2, &p, ser, 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Name: <unknown>, Key: v, Index: 0.  Number of float values != expected."
                      "  Values size: 2 but output shape: [1]");
        rc = run_parse(v2, &p, ser + 1, 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT, "Values size: 0 but output shape: [1]");
        rc = run_parse(v2, &pb, ser_b, 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT,
                      "Number of bytes values != expected.  Values size: 3 but output shape: "
                      "[2,2]");
    }
    free_ser(ser, 2);
    free_ser(ser_b, 1);
}

/* Packed and unpacked encodings decode to the same values. */
static void test_packed_unpacked(void **state)
{
    (void)state;
    float fv[4] = {1.5f, -0.0f, 3e38f, 1e-30f};
    int64_t iv[4] = {0, 300, -300, INT64_MIN};
    eng_str ser[2];
    for (int packed = 0; packed < 2; packed++) {
        sh_pb f = {.n = 0};
        sh_ex_floats(&f, "f", 4, fv, packed);
        sh_ex_int64s(&f, "i", 4, iv, packed);
        ser[packed] = sh_ex_finish(&f);
    }
    pspec p = {.nd = 2, .dkeys = {"f", "i"}, .dtypes = {ENG_DT_FLOAT, ENG_DT_INT64}};
    p.dshapes[0] = shape1(4);
    p.dshapes[1] = shape1(4);
    p.ddefs[0] = empty_default(ENG_DT_FLOAT);
    p.ddefs[1] = empty_default(ENG_DT_INT64);
    eng_tensor o[2];
    tsd_status st;
    tsd_code rc = run_parse(1, &p, ser, 2, NULL, 0, o, &st);
    SH_EXPECT_OK(rc, &st);
    for (int e = 0; e < 2; e++) {
        assert_memory_equal((float *)o[0].data + 4 * e, fv, sizeof fv);
        assert_memory_equal((int64_t *)o[1].data + 4 * e, iv, sizeof iv);
    }
    sh_free(o, 2);
    free_ser(ser, 2);
}

/* Duplicate keys: last wins; a later empty Feature does not hide a dense value. */
static void test_duplicates(void **state)
{
    (void)state;
    sh_pb f = {.n = 0};
    float a = 1.0f, b = 2.0f;
    const char *s1[1] = {"old"}, *s2[2] = {"new", "er"};
    sh_ex_floats(&f, "d", 1, &a, 1);
    sh_ex_bytes(&f, "s", 1, s1);
    sh_ex_floats(&f, "d", 1, &b, 0);
    sh_ex_bytes(&f, "s", 2, s2);
    sh_ex_empty(&f, "d");
    eng_str ser[2];
    ser[0] = sh_ex_finish(&f);
    /* Two concatenated Examples merge: the second's sparse entry wins. */
    sh_pb g = {.n = 0};
    sh_ex_bytes(&g, "s", 1, s1);
    eng_str tail = sh_ex_finish(&g);
    char *cat = malloc(ser[0].len + tail.len);
    memcpy(cat, ser[0].ptr, ser[0].len);
    memcpy(cat + ser[0].len, tail.ptr, tail.len);
    ser[1].ptr = cat;
    ser[1].len = ser[0].len + tail.len;
    free((void *)tail.ptr);
    pspec p = {.ns = 1,
               .skeys = {"s"},
               .stypes = {ENG_DT_STRING},
               .nd = 1,
               .dkeys = {"d"},
               .dtypes = {ENG_DT_FLOAT}};
    p.dshapes[0] = shape1(1);
    p.ddefs[0] = empty_default(ENG_DT_FLOAT);
    for (int v2 = 0; v2 < 2; v2++) {
        eng_tensor o[4];
        tsd_status st;
        tsd_code rc = run_parse(v2, &p, ser, 2, NULL, 0, o, &st);
        SH_EXPECT_OK(rc, &st);
        int64_t counts[2] = {2, 1};
        check_sparse_layout(&o[0], &o[2], 2, counts);
        const eng_str *sv = o[1].data;
        assert_true(sh_str_eq(&sv[0], "new") && sh_str_eq(&sv[1], "er") &&
                    sh_str_eq(&sv[2], "old"));
        assert_true(((float *)o[3].data)[0] == 2.0f && ((float *)o[3].data)[1] == 2.0f);
        sh_free(o, 4);
    }
    free_ser(ser, 2);
}

/* Ragged outputs of ParseExampleV2 (values plus int32/int64 row splits). */
static void test_ragged(void **state)
{
    (void)state;
    eng_str ser[3];
    sh_pb f = {.n = 0};
    int64_t a[3] = {1, 2, 3}, b[1] = {9};
    sh_ex_int64s(&f, "r", 3, a, 1);
    sh_ex_int64s(&f, "q", 1, b, 1);
    ser[0] = sh_ex_finish(&f);
    f.n = 0;
    ser[1] = sh_ex_finish(&f);
    f.n = 0;
    sh_ex_int64s(&f, "r", 1, b, 0);
    ser[2] = sh_ex_finish(&f);
    pspec p = {.nr = 2,
               .rkeys = {"q", "r"},
               .rtypes = {ENG_DT_INT64, ENG_DT_INT64},
               .rsplits = {ENG_DT_INT32, ENG_DT_INT64}};
    eng_tensor o[4];
    tsd_status st;
    tsd_code rc = run_parse(1, &p, ser, 3, NULL, 0, o, &st);
    SH_EXPECT_OK(rc, &st);
    assert_int_equal(o[0].dims[0], 1);
    assert_int_equal(((int64_t *)o[0].data)[0], 9);
    assert_int_equal(o[1].dims[0], 4);
    int64_t want_r[4] = {1, 2, 3, 9};
    assert_memory_equal(o[1].data, want_r, sizeof want_r);
    assert_int_equal(o[2].dtype, ENG_DT_INT32);
    int32_t sq[4] = {0, 1, 1, 1};
    assert_memory_equal(o[2].data, sq, sizeof sq);
    assert_int_equal(o[3].dtype, ENG_DT_INT64);
    int64_t sr[4] = {0, 3, 3, 4};
    assert_memory_equal(o[3].data, sr, sizeof sr);
    sh_free(o, 4);
    free_ser(ser, 3);
}

/* Bad op inputs and malformed serialized bytes fail cleanly. */
static void test_bad_inputs(void **state)
{
    (void)state;
    pspec p = {.ns = 1,
               .skeys = {"s"},
               .stypes = {ENG_DT_STRING},
               .nd = 1,
               .dkeys = {"d"},
               .dtypes = {ENG_DT_FLOAT}};
    p.dshapes[0] = shape1(1);
    static const float def = 4.0f;
    p.ddefs[0] = sh_vec(ENG_DT_FLOAT, 1, &def);
    eng_tensor o[4];
    tsd_status st;
    /* Truncated length prefix, varint overflow, a group wire type. */
    static const char bad1[] = {0x0a, 0x05, 0x0a, 0x03};
    static const char bad2[] = {0x08,       (char)0xff, (char)0xff, (char)0xff,
                                (char)0xff, (char)0xff, (char)0xff, (char)0xff,
                                (char)0xff, (char)0xff, 0x7f};
    static const char bad3[] = {0x0b, 0x0c};
    const eng_str cases[3] = {{bad1, sizeof bad1}, {bad2, sizeof bad2}, {bad3, sizeof bad3}};
    for (int i = 0; i < 3; i++) {
        tsd_code rc = run_parse(1, &p, &cases[i], 1, NULL, 0, o, &st);
        SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT, "Could not parse example input");
    }
    /* A malformed FloatList inside a configured key. */
    sh_pb list = {.n = 0}, feat = {.n = 0}, fs = {.n = 0};
    sh_pb_bytes(&list, 1, "abc", 3); /* packed floats of 3 bytes */
    sh_pb_bytes(&feat, 2, list.b, list.n);
    sh_ex_entry(&fs, "d", &feat);
    eng_str ser = sh_ex_finish(&fs);
    tsd_code rc = run_parse(0, &p, &ser, 1, NULL, 0, o, &st);
    SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT, "Key: d, Index: 0.  Can't parse serialized");
    /* The same malformed Feature under an unconfigured key is ignored. */
    fs.n = 0;
    sh_ex_entry(&fs, "other", &feat);
    free((void *)ser.ptr);
    ser = sh_ex_finish(&fs);
    rc = run_parse(0, &p, &ser, 1, NULL, 0, o, &st);
    SH_EXPECT_OK(rc, &st);
    assert_true(((float *)o[3].data)[0] == 4.0f);
    sh_free(o, 4);
    /* names of the wrong length. */
    const char *nm[2] = {"a", "b"};
    rc = run_parse(0, &p, &ser, 1, sh_strs(2, nm), 2, o, &st);
    SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT, "len(names)");
    /* A dense default with the wrong number of elements. */
    static const float def2[2] = {1, 2};
    p.ddefs[0] = sh_vec(ENG_DT_FLOAT, 2, def2);
    rc = run_parse(1, &p, &ser, 1, NULL, 0, o, &st);
    SH_EXPECT_ERR(rc, &st, TSD_INVALID_ARGUMENT, "dense_defaults[0]");
    /* FixedLenSequenceFeature shapes are not supported. */
    p.ddefs[0] = empty_default(ENG_DT_FLOAT);
    p.dshapes[0] = shape1(-1);
    rc = run_parse(1, &p, &ser, 1, NULL, 0, o, &st);
    SH_EXPECT_ERR(rc, &st, TSD_UNIMPLEMENTED, "FixedLenSequenceFeature");
    free((void *)ser.ptr);
}

/* Every prefix of a valid Example either parses or fails cleanly. */
static void test_truncations(void **state)
{
    (void)state;
    sh_pb f = {.n = 0};
    float fv[3] = {1, 2, 3};
    int64_t iv[2] = {-5, 1LL << 50};
    const char *bv[2] = {"alpha", "beta"};
    sh_ex_floats(&f, "f", 3, fv, 1);
    sh_ex_int64s(&f, "i", 2, iv, 1);
    sh_ex_bytes(&f, "b", 2, bv);
    eng_str full = sh_ex_finish(&f);
    pspec p = {
        .ns = 3, .skeys = {"b", "f", "i"}, .stypes = {ENG_DT_STRING, ENG_DT_FLOAT, ENG_DT_INT64}};
    int ok = 0;
    for (size_t len = 0; len <= full.len; len++) {
        char *cut = malloc(len ? len : 1);
        memcpy(cut, full.ptr, len);
        eng_str s = {cut, len};
        eng_tensor o[9];
        tsd_status st;
        tsd_code rc = run_parse(1, &p, &s, 1, NULL, 0, o, &st);
        assert_true(rc == TSD_OK || rc == TSD_INVALID_ARGUMENT);
        if (rc == TSD_OK) {
            ok++;
            sh_free(o, 9);
        }
        free(cut);
    }
    assert_true(ok >= 2); /* at least the empty prefix and the whole Example */
    free((void *)full.ptr);
}

/* ---- the real taxi record, checked against protobuf-c ------------------------- */

/* Read the first TFRecord of a gzip file (CRCs not checked). */
static char *first_record(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return NULL;
    unsigned char hdr[12];
    char *data = NULL;
    if (gzread(gz, hdr, 12) == 12) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | hdr[i];
        if (n < (1u << 24)) {
            data = malloc(n ? n : 1);
            if (data && gzread(gz, data, (unsigned)n) != (int)n) {
                free(data);
                data = NULL;
            }
            *len = (size_t)n;
        }
    }
    gzclose(gz);
    return data;
}

static const Tensorflow__Feature *oracle_find(const Tensorflow__Example *ex, const char *key)
{
    const Tensorflow__Features *fs = ex->features;
    for (size_t i = fs ? fs->n_feature : 0; i-- > 0;)
        if (strcmp(fs->feature[i]->key, key) == 0)
            return fs->feature[i]->value;
    return NULL;
}

static void test_taxi_record(void **state)
{
    (void)state;
    size_t len = 0;
    char *rec = first_record(tsd_test_path("models/inputs/taxi_eval_examples.tfrecord.gz"), &len);
    assert_non_null(rec);
    Tensorflow__Example *ex = tensorflow__example__unpack(NULL, len, (const uint8_t *)rec);
    assert_non_null(ex);
    pspec p = {.ns = 17,
               .skeys = {"company", "dropoff_census_tract", "dropoff_community_area",
                         "dropoff_latitude", "dropoff_longitude", "fare", "payment_type",
                         "pickup_census_tract", "pickup_community_area", "pickup_latitude",
                         "pickup_longitude", "trip_miles", "trip_seconds", "trip_start_day",
                         "trip_start_hour", "trip_start_month", "trip_start_timestamp"},
               .stypes = {ENG_DT_STRING, ENG_DT_INT64, ENG_DT_INT64, ENG_DT_FLOAT, ENG_DT_FLOAT,
                          ENG_DT_FLOAT, ENG_DT_STRING, ENG_DT_INT64, ENG_DT_INT64, ENG_DT_FLOAT,
                          ENG_DT_FLOAT, ENG_DT_FLOAT, ENG_DT_INT64, ENG_DT_INT64, ENG_DT_INT64,
                          ENG_DT_INT64, ENG_DT_INT64}};
    eng_str ser[2] = {{rec, len}, {rec, len}};
    eng_tensor o[51];
    tsd_status st;
    tsd_code rc = run_parse(1, &p, ser, 2, NULL, 0, o, &st);
    SH_EXPECT_OK(rc, &st);
    /* Key fact: `company` is an empty Feature in this record -> no values. */
    const Tensorflow__Feature *company = oracle_find(ex, "company");
    assert_non_null(company);
    assert_int_equal(company->kind_case, TENSORFLOW__FEATURE__KIND__NOT_SET);
    assert_int_equal(o[0].dims[0], 0);
    assert_int_equal(((int64_t *)o[34].data)[1], 0);
    assert_non_null(oracle_find(ex, "tips")); /* present but not parsed */
    for (int k = 0; k < 17; k++) {
        const Tensorflow__Feature *f = oracle_find(ex, p.skeys[k]);
        size_t n = 0;
        if (f && f->kind_case == TENSORFLOW__FEATURE__KIND_BYTES_LIST)
            n = f->bytes_list->n_value;
        else if (f && f->kind_case == TENSORFLOW__FEATURE__KIND_FLOAT_LIST)
            n = f->float_list->n_value;
        else if (f && f->kind_case == TENSORFLOW__FEATURE__KIND_INT64_LIST)
            n = f->int64_list->n_value;
        int64_t counts[2] = {(int64_t)n, (int64_t)n};
        check_sparse_layout(&o[k], &o[34 + k], 2, counts);
        for (size_t j = 0; j < n; j++) {
            for (int e = 0; e < 2; e++) {
                size_t at = (size_t)e * n + j;
                if (p.stypes[k] == ENG_DT_STRING) {
                    const eng_str *v = &((eng_str *)o[17 + k].data)[at];
                    const ProtobufCBinaryData *w = &f->bytes_list->value[j];
                    assert_int_equal(v->len, w->len);
                    assert_memory_equal(v->ptr, w->data, w->len);
                } else if (p.stypes[k] == ENG_DT_FLOAT) {
                    assert_true(((float *)o[17 + k].data)[at] == f->float_list->value[j]);
                } else {
                    assert_true(((int64_t *)o[17 + k].data)[at] == f->int64_list->value[j]);
                }
            }
        }
    }
    sh_free(o, 51);
    tensorflow__example__free_unpacked(ex, NULL);
    free(rec);
}

/* Random Examples built with protobuf-c parse to the values put in. */
static void test_random_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 42;
    for (int iter = 0; iter < 50; iter++) {
        float fv[8];
        int64_t iv[8];
        size_t nf = sh_rand(&seed) % 8, ni = sh_rand(&seed) % 8;
        for (size_t i = 0; i < nf; i++)
            fv[i] = (float)(int64_t)(sh_rand(&seed) % 2001 - 1000) / 8.0f;
        for (size_t i = 0; i < ni; i++)
            iv[i] = (int64_t)sh_rand(&seed);
        Tensorflow__FloatList fl = TENSORFLOW__FLOAT_LIST__INIT;
        fl.n_value = nf;
        fl.value = fv;
        Tensorflow__Int64List il = TENSORFLOW__INT64_LIST__INIT;
        il.n_value = ni;
        il.value = iv;
        Tensorflow__Feature ff = TENSORFLOW__FEATURE__INIT, fi = TENSORFLOW__FEATURE__INIT;
        ff.kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        ff.float_list = &fl;
        fi.kind_case = TENSORFLOW__FEATURE__KIND_INT64_LIST;
        fi.int64_list = &il;
        Tensorflow__Features__FeatureEntry e1 = TENSORFLOW__FEATURES__FEATURE_ENTRY__INIT;
        Tensorflow__Features__FeatureEntry e2 = TENSORFLOW__FEATURES__FEATURE_ENTRY__INIT;
        e1.key = "fl";
        e1.value = &ff;
        e2.key = "il";
        e2.value = &fi;
        Tensorflow__Features__FeatureEntry *ents[2] = {&e1, &e2};
        Tensorflow__Features fs = TENSORFLOW__FEATURES__INIT;
        fs.n_feature = 2;
        fs.feature = ents;
        Tensorflow__Example ex = TENSORFLOW__EXAMPLE__INIT;
        ex.features = &fs;
        size_t sz = tensorflow__example__get_packed_size(&ex);
        uint8_t *buf = malloc(sz ? sz : 1);
        tensorflow__example__pack(&ex, buf);
        eng_str ser = {(const char *)buf, sz};
        pspec p = {.ns = 2, .skeys = {"fl", "il"}, .stypes = {ENG_DT_FLOAT, ENG_DT_INT64}};
        eng_tensor o[6];
        tsd_status st;
        tsd_code rc = run_parse(1, &p, &ser, 1, NULL, 0, o, &st);
        SH_EXPECT_OK(rc, &st);
        assert_int_equal(o[2].dims[0], (int64_t)nf);
        assert_int_equal(o[3].dims[0], (int64_t)ni);
        if (nf)
            assert_memory_equal(o[2].data, fv, nf * sizeof *fv);
        if (ni)
            assert_memory_equal(o[3].data, iv, ni * sizeof *iv);
        sh_free(o, 6);
        free(buf);
    }
}

/* The decoder on its own: walk order, empty Features, kinds. */
static int collect(void *ud, const eng_ex_entry *e)
{
    int *n = ud;
    (*n)++;
    return e->key_len == 4 && memcmp(e->key, "stop", 4) == 0;
}

static void test_decoder_direct(void **state)
{
    (void)state;
    sh_pb f = {.n = 0};
    float v = 1;
    sh_ex_floats(&f, "a", 1, &v, 1);
    sh_ex_empty(&f, "b");
    sh_ex_floats(&f, "stop", 1, &v, 1);
    sh_ex_floats(&f, "never", 1, &v, 1);
    eng_str s = sh_ex_finish(&f);
    int n = 0;
    tsd_status st;
    assert_int_equal(eng_example_walk(s.ptr, s.len, collect, &n, &st), TSD_OK);
    assert_int_equal(n, 3);
    eng_ex_list l;
    assert_int_equal(eng_ex_feature(NULL, 0, &l, &st), TSD_OK);
    assert_int_equal(l.kind, ENG_EX_NONE);
    assert_string_equal(eng_ex_kind_name(ENG_EX_INT64), "int64");
    assert_int_equal(eng_example_walk(s.ptr, s.len - 1, NULL, NULL, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "offset"));
    free((void *)s.ptr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_defaults), cmocka_unit_test(test_required_missing),
        cmocka_unit_test(test_varlen_sparse),  cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_count_mismatch), cmocka_unit_test(test_packed_unpacked),
        cmocka_unit_test(test_duplicates),     cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_bad_inputs),     cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_taxi_record),    cmocka_unit_test(test_random_roundtrip),
        cmocka_unit_test(test_decoder_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
