/*
 * test_bundle.c - tensor bundles: values of real TensorFlow checkpoints
 * (models.md §3), DT_STRING entries, shape_and_slice specs and slices, and
 * corrupted / hostile index and data files (every error must be clean and
 * name the file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include "loader/bundle_int.h"
#include "loader/loader.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb-c.h"
#include "tensorflow/core/protobuf/trackable_object_graph.pb-c.h"
#include "tests/unit/test_util.h"
#include "tests/unit/loader/table_builder.h"

#define TFS "models/tfserving/"
#define HP2 TFS "saved_model_half_plus_two_cpu/00000123/variables/variables"
#define HP3 TFS "saved_model_half_plus_three/00000123/variables/variables"
#define CNT TFS "saved_model_counter/00000123/variables/variables"
#define TF2 TFS "saved_model_half_plus_two_tf2_cpu/00000123/variables/variables"
#define EMPTYCFG                                                                                   \
    TFS "saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123/variables/"          \
        "variables"
#define CENSUS "models/estimator/census_wide_deep/1527087570/variables/variables"
#define IRIS "models/estimator/iris_linear/1/variables/variables"
#define TAXI "models/estimator/taxi_dnn/1/variables/variables"
#define TAXITFT "models/estimator/taxi_wide_deep_tft/1646034756/variables/variables"
#define KSI "models/keras/keras_single_input/1/variables/variables"
#define IRISK "models/keras/iris_keras/8/variables/variables"

static ldr_bundle *open_ok(const char *rel)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = NULL;
    if (ldr_bundle_open(tsd_test_path(rel), &b, &st) != TSD_OK)
        fail_msg("open %s: %s", rel, st.msg);
    return b;
}

static eng_tensor read_ok(ldr_bundle *b, const char *key)
{
    tsd_status st = TSD_STATUS_INIT;
    const ldr_bundle_entry *e = ldr_bundle_find(b, key);
    if (!e)
        fail_msg("no key %s", key);
    eng_tensor t;
    if (ldr_bundle_read(b, e, &t, &st) != TSD_OK)
        fail_msg("read %s: %s", key, st.msg);
    return t;
}

static void expect_floats(ldr_bundle *b, const char *key, int rank, const int64_t *dims,
                          const float *want, size_t n, double tol)
{
    eng_tensor t = read_ok(b, key);
    assert_int_equal(t.dtype, ENG_DT_FLOAT);
    assert_int_equal(t.rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(t.dims[i], dims[i]);
    assert_int_equal(eng_tensor_num_elements(&t), (int64_t)n);
    const float *f = t.data;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)f[i] - (double)want[i]) > tol)
            fail_msg("%s[%zu] = %g, want %g", key, i, (double)f[i], (double)want[i]);
    eng_tensor_free_data(&t);
}

static void expect_scalar(ldr_bundle *b, const char *key, float v)
{
    expect_floats(b, key, 0, NULL, &v, 1, 0.0);
}

static int64_t read_i64(ldr_bundle *b, const char *key)
{
    eng_tensor t = read_ok(b, key);
    assert_int_equal(t.dtype, ENG_DT_INT64);
    assert_int_equal(t.rank, 0);
    int64_t v = *(int64_t *)t.data;
    eng_tensor_free_data(&t);
    return v;
}

static void test_half_plus(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(HP2);
    assert_int_equal(ldr_bundle_num_entries(b), 5);
    expect_scalar(b, "a", 0.5f);
    expect_scalar(b, "a2", 0.5f);
    expect_scalar(b, "b", 2.0f);
    expect_scalar(b, "c", 3.0f);
    expect_scalar(b, "c2", 3.0f);
    assert_null(ldr_bundle_find(b, "d"));
    assert_null(ldr_bundle_find(b, ""));
    assert_null(ldr_bundle_entry_at(b, 5));
    assert_string_equal(ldr_bundle_entry_at(b, 0)->key, "a");
    ldr_bundle_close(b);

    b = open_ok(EMPTYCFG);
    expect_scalar(b, "a", 0.5f);
    expect_scalar(b, "c2", 3.0f);
    ldr_bundle_close(b);

    b = open_ok(HP3);
    assert_int_equal(ldr_bundle_num_entries(b), 3);
    expect_scalar(b, "a", 0.5f);
    expect_scalar(b, "b", 3.0f);
    expect_scalar(b, "c", 3.0f);
    /* formats.md §1.10 item 2: offsets 0, 4, 8 */
    for (size_t i = 0; i < 3; i++) {
        const ldr_bundle_entry *e = ldr_bundle_entry_at(b, i);
        assert_int_equal(e->offset, 4 * i);
        assert_int_equal(e->size, 4);
        assert_int_equal(e->rank, 0);
        assert_int_equal(e->shard_id, 0);
        assert_int_equal(e->nslices, 0);
    }
    ldr_bundle_close(b);

    b = open_ok(CNT);
    assert_int_equal(ldr_bundle_num_entries(b), 1);
    const ldr_bundle_entry *e = ldr_bundle_find(b, "counter");
    assert_non_null(e);
    assert_int_equal(e->crc32c, 0x3a117ba6u);
    assert_int_equal(e->dtype, ENG_DT_FLOAT);
    expect_scalar(b, "counter", 0.0f);
    ldr_bundle_close(b);
}

/* models.md §3.8 */
static const struct {
    const char *key;
    int rank;
    int64_t d0, d1;
} census_vars[] = {
    {"dnn/hiddenlayer_0/kernel", 2, 51, 100},
    {"dnn/hiddenlayer_0/bias", 1, 100, 0},
    {"dnn/hiddenlayer_1/kernel", 2, 100, 75},
    {"dnn/hiddenlayer_1/bias", 1, 75, 0},
    {"dnn/hiddenlayer_2/kernel", 2, 75, 50},
    {"dnn/hiddenlayer_2/bias", 1, 50, 0},
    {"dnn/hiddenlayer_3/kernel", 2, 50, 25},
    {"dnn/hiddenlayer_3/bias", 1, 25, 0},
    {"dnn/input_from_feature_columns/input_layer/occupation_embedding/embedding_weights", 2, 1000,
     8},
    {"dnn/logits/kernel", 2, 25, 1},
    {"dnn/logits/bias", 1, 1, 0},
    {"linear/linear_model/age_bucketized/weights", 2, 11, 1},
    {"linear/linear_model/age_bucketized_X_education_X_occupation/weights", 2, 1000, 1},
    {"linear/linear_model/bias_weights", 1, 1, 0},
    {"linear/linear_model/education/weights", 2, 16, 1},
    {"linear/linear_model/education_X_occupation/weights", 2, 1000, 1},
    {"linear/linear_model/marital_status/weights", 2, 7, 1},
    {"linear/linear_model/occupation/weights", 2, 1000, 1},
    {"linear/linear_model/relationship/weights", 2, 6, 1},
    {"linear/linear_model/workclass/weights", 2, 9, 1},
};

static void test_census(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(CENSUS);
    assert_int_equal(ldr_bundle_num_entries(b), 21);
    assert_int_equal(read_i64(b, "global_step"), 32580);
    assert_int_equal(ldr_bundle_find(b, "global_step")->rank, 0);
    size_t raw_len;
    uint8_t *raw =
        (uint8_t *)tsd_test_read_file(tsd_test_path(CENSUS ".data-00000-of-00001"), &raw_len);
    assert_non_null(raw);
    assert_int_equal(raw_len, 115712);
    uint64_t total = 8; /* global_step */
    for (size_t i = 0; i < sizeof census_vars / sizeof census_vars[0]; i++) {
        const ldr_bundle_entry *e = ldr_bundle_find(b, census_vars[i].key);
        assert_non_null(e);
        eng_tensor t = read_ok(b, census_vars[i].key);
        assert_int_equal(t.dtype, ENG_DT_FLOAT);
        assert_int_equal(t.rank, census_vars[i].rank);
        assert_int_equal(t.dims[0], census_vars[i].d0);
        if (t.rank == 2)
            assert_int_equal(t.dims[1], census_vars[i].d1);
        /* bytes equal the data file at the entry's offset, and the stored
         * CRC checks out with the independent bit-wise CRC */
        assert_int_equal(t.nbytes, e->size);
        assert_memory_equal(t.data, raw + e->offset, t.nbytes);
        assert_int_equal(tb_mask(tb_crc(0, raw + e->offset, e->size)), e->crc32c);
        total += e->size;
        eng_tensor_free_data(&t);
    }
    assert_int_equal(total, raw_len);
    free(raw);
    float lb = -0.0518f, ll = -0.2592f;
    int64_t one = 1;
    expect_floats(b, "dnn/logits/bias", 1, &one, &lb, 1, 5e-5);
    expect_floats(b, "linear/linear_model/bias_weights", 1, &one, &ll, 1, 5e-5);
    ldr_bundle_close(b);
}

static void test_iris_taxi(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(IRIS);
    assert_int_equal(ldr_bundle_num_entries(b), 6);
    assert_int_equal(read_i64(b, "global_step"), 12);
    static const float bias[] = {-0.2493f, 0.3335f, -0.1134f};
    int64_t d3 = 3, d13[2] = {1, 3};
    expect_floats(b, "linear/linear_model/bias_weights", 1, &d3, bias, 3, 5e-5);
    static const float pl[] = {-0.519f, 0.1114f, 0.6456f};
    expect_floats(b, "linear/linear_model/petal_length/weights", 2, d13, pl, 3, 5e-5);
    static const float sw[] = {0.7347f, -0.5926f, -0.0294f};
    expect_floats(b, "linear/linear_model/sepal_width/weights", 2, d13, sw, 3, 5e-5);
    ldr_bundle_close(b);

    b = open_ok(TAXI);
    assert_int_equal(ldr_bundle_num_entries(b), 11);
    assert_int_equal(read_i64(b, "global_step"), 469);
    float tb = -0.0142f;
    int64_t one = 1;
    expect_floats(b, "dnn/logits/bias", 1, &one, &tb, 1, 5e-5);
    assert_int_equal(ldr_bundle_find(b, "dnn/hiddenlayer_0/kernel")->dims[0], 81);
    ldr_bundle_close(b);

    b = open_ok(TAXITFT);
    assert_int_equal(ldr_bundle_num_entries(b), 21);
    assert_int_equal(read_i64(b, "global_step"), 1000);
    float tl = -0.1486f, tdl = -0.0689f;
    expect_floats(b, "linear/linear_model/bias_weights", 1, &one, &tl, 1, 5e-5);
    expect_floats(b, "dnn/logits/bias", 1, &one, &tdl, 1, 5e-5);
    ldr_bundle_close(b);
}

/* Read every entry of a bundle (all must succeed). */
static void read_all(ldr_bundle *b)
{
    for (size_t i = 0; i < ldr_bundle_num_entries(b); i++) {
        const ldr_bundle_entry *e = ldr_bundle_entry_at(b, i);
        tsd_status st = TSD_STATUS_INIT;
        eng_tensor t;
        if (ldr_bundle_read(b, e, &t, &st) != TSD_OK)
            fail_msg("%s: %s", e->key, st.msg);
        assert_int_equal(t.dtype, e->dtype);
        assert_int_equal(t.rank, e->rank);
        eng_tensor_free_data(&t);
    }
}

static void check_object_graph(ldr_bundle *b, uint64_t entry_size)
{
    const ldr_bundle_entry *e = ldr_bundle_find(b, "_CHECKPOINTABLE_OBJECT_GRAPH");
    assert_non_null(e);
    assert_int_equal(e->dtype, ENG_DT_STRING);
    assert_int_equal(e->rank, 0);
    assert_int_equal(e->size, entry_size);
    eng_tensor t = read_ok(b, e->key);
    assert_int_equal(t.dtype, ENG_DT_STRING);
    assert_int_equal(eng_tensor_num_elements(&t), 1);
    const eng_str *s = t.data;
    /* a one-element string entry is varint(len) + 4 + len bytes */
    size_t vl = s[0].len < 128 ? 1 : s[0].len < 16384 ? 2 : 3;
    assert_int_equal(vl + 4 + s[0].len, entry_size);
    /* the bytes are a TrackableObjectGraph proto with nodes */
    Tensorflow__TrackableObjectGraph *g =
        tensorflow__trackable_object_graph__unpack(NULL, s[0].len, (const uint8_t *)s[0].ptr);
    assert_non_null(g);
    assert_true(g->n_nodes > 1);
    tensorflow__trackable_object_graph__free_unpacked(g, NULL);
    eng_tensor_free_data(&t);
}

static void test_tf2_strings(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(TF2);
    assert_int_equal(ldr_bundle_num_entries(b), 4);
    /* formats.md §1.10 item 5 */
    const ldr_bundle_entry *e = ldr_bundle_find(b, "_CHECKPOINTABLE_OBJECT_GRAPH");
    assert_non_null(e);
    assert_int_equal(e->offset, 12);
    assert_int_equal(e->size, 619);
    assert_int_equal(e->crc32c, 0x47b7d190u);
    eng_tensor t = read_ok(b, e->key);
    assert_int_equal(((const eng_str *)t.data)[0].len, 613);
    eng_tensor_free_data(&t);
    check_object_graph(b, 619);
    expect_scalar(b, "a/.ATTRIBUTES/VARIABLE_VALUE", 0.5f);
    expect_scalar(b, "b/.ATTRIBUTES/VARIABLE_VALUE", 2.0f);
    expect_scalar(b, "c/.ATTRIBUTES/VARIABLE_VALUE", 3.0f);
    read_all(b);
    ldr_bundle_close(b);
}

static void test_keras(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(KSI);
    assert_int_equal(ldr_bundle_num_entries(b), 28);
    check_object_graph(b, 4653);
    assert_int_equal(read_i64(b, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"), 1);
    int64_t one = 1, d55[2] = {5, 5};
    float kb = 0.001f;
    expect_floats(b, "layer_with_weights-2/bias/.ATTRIBUTES/VARIABLE_VALUE", 1, &one, &kb, 1, 5e-6);
    expect_scalar(b, "optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE", 0.001f);
    eng_tensor k = read_ok(b, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    assert_int_equal(k.rank, 2);
    assert_memory_equal(k.dims, d55, sizeof d55);
    eng_tensor_free_data(&k);
    read_all(b);
    ldr_bundle_close(b);

    b = open_ok(IRISK);
    assert_int_equal(ldr_bundle_num_entries(b), 34);
    check_object_graph(b, 6031);
    assert_int_equal(read_i64(b, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"), 100);
    static const float bias3[] = {-0.4401f, 0.6678f, -0.1931f};
    int64_t d3 = 3;
    expect_floats(b, "layer_with_weights-3/bias/.ATTRIBUTES/VARIABLE_VALUE", 1, &d3, bias3, 3,
                  5e-5);
    expect_scalar(b, "optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE", 0.9f);
    expect_scalar(b, "keras_api/metrics/0/count/.ATTRIBUTES/VARIABLE_VALUE", 50.0f);
    expect_scalar(b, "keras_api/metrics/1/total/.ATTRIBUTES/VARIABLE_VALUE", 47.0f);
    read_all(b);
    ldr_bundle_close(b);
}

/* ---- slices ------------------------------------------------------------ */

/* Independent formatter for round-trip checks. */
static void format_spec(const ldr_slice_spec *s, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->rank; i++)
        o += (size_t)snprintf(buf + o, n - o, "%lld ", (long long)s->full[i]);
    for (int i = 0; i < s->rank; i++) {
        if (s->length[i] < 0)
            o += (size_t)snprintf(buf + o, n - o, "-");
        else
            o += (size_t)snprintf(buf + o, n - o, "%lld,%lld", (long long)s->start[i],
                                  (long long)s->length[i]);
        if (i + 1 < s->rank)
            o += (size_t)snprintf(buf + o, n - o, ":");
    }
}

static void test_slice_parse(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    ldr_slice_spec s;
    assert_int_equal(ldr_slice_spec_parse("51 100 0,51:0,100", &s, &st), TSD_OK);
    assert_int_equal(s.rank, 2);
    assert_int_equal(s.full[0], 51);
    assert_int_equal(s.full[1], 100);
    assert_int_equal(s.start[0], 0);
    assert_int_equal(s.length[0], 51);
    assert_int_equal(s.start[1], 0);
    assert_int_equal(s.length[1], 100);
    assert_int_equal(ldr_slice_spec_parse("", &s, &st), TSD_OK);
    assert_int_equal(s.rank, 0);
    assert_int_equal(ldr_slice_spec_parse("1 3 0,1:0,3", &s, &st), TSD_OK);
    assert_int_equal(s.full[1], 3);
    assert_int_equal(ldr_slice_spec_parse("10 -", &s, &st), TSD_OK);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.length[0], -1);
    static const char *const good[] = {
        "51 100 0,51:0,100", "1 3 0,1:0,3", "10 -",
        "4 5 6 -:1,2:5,1",   "7 3,4",       "1 2 3 4 5 6 7 8 0,1:-:-:-:-:-:-:0,8",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char buf[256];
        if (ldr_slice_spec_parse(good[i], &s, &st) != TSD_OK)
            fail_msg("%s: %s", good[i], st.msg);
        format_spec(&s, buf, sizeof buf);
        assert_string_equal(buf, good[i]);
    }
    static const char *const bad[] = {
        "51 100",
        "51 100 0,51",
        "51 100 0,51:0,100:0,1",
        "51 100 0,52:0,100",
        "51 100 a,1:0,100",
        "51 100 0,0:0,100",
        "-1 100 0,1:0,100",
        "51  100 0,51:0,100",
        " 51 100 0,51:0,100",
        "51 100 0,51,3:0,100",
        "51 100 0,51:",
        "51 100 :0,100",
        "1 2 3 4 5 6 7 8 9 -:-:-:-:-:-:-:-:-",
        "51 100 0,51:0,100 ",
        "51 100 -1,5:0,100",
        "51",
        "x 0,1",
        "99999999999999999999 0,1",
        "5 3,3",
        "5 6,1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsd_status_clear(&st);
        if (ldr_slice_spec_parse(bad[i], &s, &st) == TSD_OK)
            fail_msg("accepted bad spec '%s'", bad[i]);
        assert_int_equal(st.code, TSD_INVALID_ARGUMENT);
        assert_non_null(strstr(st.msg, "shape_and_slice"));
    }
}

static void test_slice_read(void **state)
{
    (void)state;
    ldr_bundle *b = open_ok(CENSUS);
    tsd_status st = TSD_STATUS_INIT;
    const char *key = "dnn/hiddenlayer_0/kernel";
    eng_tensor full = read_ok(b, key), part;
    /* the spec RestoreV2 uses for the partitioned variable = whole tensor */
    assert_int_equal(ldr_bundle_read_slice(b, key, "51 100 0,51:0,100", &part, &st), TSD_OK);
    assert_int_equal(part.rank, 2);
    assert_int_equal(part.nbytes, full.nbytes);
    assert_memory_equal(part.data, full.data, full.nbytes);
    eng_tensor_free_data(&part);
    assert_int_equal(ldr_bundle_read_slice(b, key, "", &part, &st), TSD_OK);
    assert_memory_equal(part.data, full.data, full.nbytes);
    eng_tensor_free_data(&part);
    /* a real sub-box against naive indexing */
    assert_int_equal(ldr_bundle_read_slice(b, key, "51 100 3,5:10,7", &part, &st), TSD_OK);
    assert_int_equal(part.dtype, ENG_DT_FLOAT);
    assert_int_equal(part.rank, 2);
    assert_int_equal(part.dims[0], 5);
    assert_int_equal(part.dims[1], 7);
    const float *f = full.data, *p = part.data;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            assert_true(p[i * 7 + j] == f[(3 + i) * 100 + (10 + j)]);
    eng_tensor_free_data(&part);
    assert_int_equal(ldr_bundle_read_slice(b, key, "51 100 -:98,2", &part, &st), TSD_OK);
    assert_int_equal(part.dims[0], 51);
    assert_int_equal(part.dims[1], 2);
    p = part.data;
    for (int i = 0; i < 51; i++)
        for (int j = 0; j < 2; j++)
            assert_true(p[i * 2 + j] == f[i * 100 + 98 + j]);
    eng_tensor_free_data(&part);
    eng_tensor_free_data(&full);

    /* wrong full shape, unknown key, malformed spec */
    assert_int_equal(ldr_bundle_read_slice(b, key, "100 51 0,100:0,51", &part, &st),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, key));
    assert_int_equal(ldr_bundle_read_slice(b, "nope", "", &part, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "variables/variables.index: key 'nope' not found"));
    assert_int_equal(ldr_bundle_read_slice(b, key, "51 100 0,51", &part, &st),
                     TSD_INVALID_ARGUMENT);
    ldr_bundle_close(b);

    b = open_ok(IRIS);
    assert_int_equal(
        ldr_bundle_read_slice(b, "linear/linear_model/bias_weights", "3 1,2", &part, &st), TSD_OK);
    assert_int_equal(part.rank, 1);
    assert_int_equal(part.dims[0], 2);
    assert_true(fabs(((float *)part.data)[0] - 0.3335) < 5e-5);
    assert_true(fabs(((float *)part.data)[1] + 0.1134) < 5e-5);
    eng_tensor_free_data(&part);
    ldr_bundle_close(b);
}

/* ---- hand-built bundles ------------------------------------------------- */

/* One entry to write into a hand-built bundle. */
typedef struct wentry {
    const char *key;
    Tensorflow__BundleEntryProto *proto;
} wentry;

/* Write <dir>/variables/variables.{index,data-00000-of-NNNNN}; returns prefix. */
static const char *write_bundle(const char *dir, const uint8_t *hdr, size_t hdr_len,
                                const wentry *ents, size_t n, const uint8_t *data, size_t data_len,
                                int nshards)
{
    static char prefix[512];
    char path[600];
    snprintf(path, sizeof path, "%s/variables", dir);
    mkdir(path, 0700);
    snprintf(prefix, sizeof prefix, "%s/variables/variables", dir);
    tb_kv kv[32];
    uint8_t vals[32][256];
    size_t nkv = 0;
    if (hdr)
        kv[nkv++] = (tb_kv){"", 0, hdr, hdr_len};
    for (size_t i = 0; i < n; i++) {
        size_t l = tensorflow__bundle_entry_proto__pack(ents[i].proto, vals[nkv]);
        kv[nkv] = (tb_kv){ents[i].key, strlen(ents[i].key), vals[nkv], l};
        nkv++;
    }
    tb_buf f = {0};
    tb_table(&f, kv, nkv, 0, 16, 0);
    snprintf(path, sizeof path, "%s.index", prefix);
    assert_int_equal(tsd_test_write_file(path, f.p, f.n), 0);
    free(f.p);
    for (int s = 0; s < nshards; s++) {
        snprintf(path, sizeof path, "%s.data-%05d-of-%05d", prefix, s, nshards);
        assert_int_equal(tsd_test_write_file(path, data, s == 0 ? data_len : 0), 0);
    }
    return prefix;
}

static const uint8_t std_header[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};

static void test_hostile_entries(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    assert_non_null(dir);
    uint8_t data[16] = {0};
    Tensorflow__TensorShapeProto__Dim dim = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
    Tensorflow__TensorShapeProto__Dim *dims[1] = {&dim};
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = dims;
    Tensorflow__BundleEntryProto big = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    big.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    big.shape = &shape;
    dim.size = (int64_t)1 << 40;
    big.offset = (int64_t)1 << 60;
    big.size = (int64_t)1 << 62;
    wentry e1 = {"huge", &big};
    const char *prefix = write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    eng_tensor t;
    const ldr_bundle_entry *e = ldr_bundle_find(b, "huge");
    assert_int_equal(ldr_bundle_read(b, e, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.data-00000-of-00001: tensor 'huge'"));
    assert_non_null(strstr(st.msg, "beyond the end"));
    ldr_bundle_close(b);

    /* in-range bytes, but a shape of 2^40 elements */
    big.offset = 0;
    big.size = 4;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "huge"), &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "tensor 'huge'"));
    /* same for a string tensor: 2^40 elements in 4 bytes */
    ldr_bundle_close(b);
    big.dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "huge"), &t, &st), TSD_DATA_LOSS);
    ldr_bundle_close(b);

    /* size not matching the shape */
    big.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    dim.size = 3;
    big.size = 8;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "huge"), &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "does not match shape [3]"));
    ldr_bundle_close(b);

    /* unsupported dtype and partitioned entry */
    big.size = 12;
    big.dtype = TENSORFLOW__DATA_TYPE__DT_VARIANT;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "huge"), &t, &st), TSD_UNIMPLEMENTED);
    ldr_bundle_close(b);
    big.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    Tensorflow__TensorSliceProto sl = TENSORFLOW__TENSOR_SLICE_PROTO__INIT;
    Tensorflow__TensorSliceProto *sls[1] = {&sl};
    big.n_slices = 1;
    big.slices = sls;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_find(b, "huge")->nslices, 1);
    assert_int_equal(ldr_bundle_read_slice(b, "huge", "", &t, &st), TSD_UNIMPLEMENTED);
    assert_non_null(strstr(st.msg, "'huge'"));
    ldr_bundle_close(b);
    big.n_slices = 0;
    big.slices = NULL;

    /* shard id out of range, negative dims, bad headers, missing header */
    big.shard_id = 1;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.index: entry 'huge': shard_id 1"));
    big.shard_id = 0;
    dim.size = -1;
    write_bundle(dir, std_header, sizeof std_header, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_DATA_LOSS);
    dim.size = 3;
    static const uint8_t h_noshards[] = {0x1a, 0x02, 0x08, 0x01};
    write_bundle(dir, h_noshards, sizeof h_noshards, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "num_shards"));
    static const uint8_t h_future[] = {0x08, 0x01, 0x1a, 0x04, 0x08, 0x05, 0x10, 0x05};
    write_bundle(dir, h_future, sizeof h_future, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_FAILED_PRECONDITION);
    static const uint8_t h_bad[] = {0x08, 0x01, 0x1a, 0x04, 0x08, 0x01, 0x18, 0x01};
    write_bundle(dir, h_bad, sizeof h_bad, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_FAILED_PRECONDITION);
    static const uint8_t h_garbage[] = {0x08};
    write_bundle(dir, h_garbage, sizeof h_garbage, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "BundleHeaderProto"));
    write_bundle(dir, NULL, 0, &e1, 1, data, 16, 1);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "no header entry"));
    /* two shards: the second (empty) shard file must exist */
    static const uint8_t h_two[] = {0x08, 0x02, 0x1a, 0x02, 0x08, 0x01};
    write_bundle(dir, h_two, sizeof h_two, &e1, 1, data, 16, 2);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    ldr_bundle_close(b);
    char path[600];
    snprintf(path, sizeof path, "%s.data-00001-of-00002", prefix);
    unlink(path);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "variables.data-00001-of-00002"));
    /* missing index */
    assert_int_equal(ldr_bundle_open("/nonexistent/variables/variables", &b, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "variables/variables.index"));
}

/* Encode a DT_STRING region per formats.md §1.6 using the test CRC. */
static size_t encode_strings(uint8_t *out, const char *const *s, size_t n, uint32_t *crc)
{
    tb_buf b = {0};
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = (uint32_t)strlen(s[i]);
        tb_varint(&b, l);
        uint8_t le[4] = {(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24)};
        c = tb_crc(c, le, 4);
    }
    size_t at = b.n;
    tb_fixed32(&b, tb_mask(c));
    c = tb_crc(c, b.p + at, 4);
    for (size_t i = 0; i < n; i++) {
        tb_put(&b, s[i], strlen(s[i]));
        c = tb_crc(c, (const uint8_t *)s[i], strlen(s[i]));
    }
    memcpy(out, b.p, b.n);
    size_t len = b.n;
    free(b.p);
    *crc = tb_mask(c);
    return len;
}

static void test_built_strings_and_endianness(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    static const char *const strs[] = {"ab", "", "xyz", "hello world"};
    uint8_t data[128];
    uint32_t crc;
    size_t n = encode_strings(data, strs, 4, &crc);
    /* big-endian floats 1.5 and -2.0 after the strings */
    static const uint8_t be[8] = {0x3f, 0xc0, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00};
    memcpy(data + n, be, 8);
    Tensorflow__TensorShapeProto__Dim dim = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
    Tensorflow__TensorShapeProto__Dim *dims[1] = {&dim};
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = dims;
    dim.size = 4;
    Tensorflow__BundleEntryProto se = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    se.dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
    se.shape = &shape;
    se.size = (int64_t)n;
    se.crc32c = crc;
    Tensorflow__TensorShapeProto__Dim dim2 = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
    Tensorflow__TensorShapeProto__Dim *dims2[1] = {&dim2};
    Tensorflow__TensorShapeProto shape2 = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape2.n_dim = 1;
    shape2.dim = dims2;
    dim2.size = 2;
    Tensorflow__BundleEntryProto fe = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    fe.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    fe.shape = &shape2;
    fe.offset = (int64_t)n;
    fe.size = 8;
    fe.crc32c = tb_mask(tb_crc(0, be, 8));
    wentry ents[2] = {{"f", &fe}, {"s", &se}};
    static const uint8_t h_big[] = {0x08, 0x01, 0x10, 0x01, 0x1a, 0x02, 0x08, 0x01};
    const char *prefix = write_bundle(dir, h_big, sizeof h_big, ents, 2, data, n + 8, 1);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    eng_tensor t = read_ok(b, "s");
    assert_int_equal(t.dims[0], 4);
    const eng_str *s = t.data;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].len, strlen(strs[i]));
        assert_memory_equal(s[i].ptr, strs[i], s[i].len);
    }
    eng_tensor_free_data(&t);
    eng_tensor f = read_ok(b, "f");
    assert_true(((float *)f.data)[0] == 1.5f);
    assert_true(((float *)f.data)[1] == -2.0f);
    eng_tensor_free_data(&f);
    /* string slice */
    assert_int_equal(ldr_bundle_read_slice(b, "s", "4 1,2", &t, &st), TSD_OK);
    s = t.data;
    assert_int_equal(t.dims[0], 2);
    assert_int_equal(s[0].len, 0);
    assert_int_equal(s[1].len, 3);
    assert_memory_equal(s[1].ptr, "xyz", 3);
    eng_tensor_free_data(&t);
    ldr_bundle_close(b);

    /* corrupt the length CRC, then a string byte, then a varint */
    char path[600];
    snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
    uint8_t bad[128];
    static const size_t spots[] = {4, 9, 1};
    static const char *const what[] = {"length crc32c mismatch", "crc32c mismatch",
                                       "length crc32c mismatch"};
    for (int k = 0; k < 3; k++) {
        memcpy(bad, data, n + 8);
        bad[spots[k]] ^= 0x01;
        assert_int_equal(tsd_test_write_file(path, bad, n + 8), 0);
        assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
        assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "s"), &t, &st), TSD_DATA_LOSS);
        assert_non_null(strstr(st.msg, "variables/variables.data-00000-of-00001: tensor 's'"));
        assert_non_null(strstr(st.msg, what[k]));
        ldr_bundle_close(b);
    }
}

/* Two data shards, an entry in each (as TF 1.x estimators wrote them: the
 * global step in shard 0, model variables in shard 1). */
static void test_two_shards(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    assert_non_null(dir);
    static const float a[2] = {1.5f, -2.0f}, bv[3] = {3.0f, 4.0f, 5.0f};
    Tensorflow__TensorShapeProto__Dim da = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT,
                                      db = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
    Tensorflow__TensorShapeProto__Dim *pa[1] = {&da}, *pb[1] = {&db};
    Tensorflow__TensorShapeProto sa = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT,
                                 sb = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    da.size = 2;
    db.size = 3;
    sa.n_dim = sb.n_dim = 1;
    sa.dim = pa;
    sb.dim = pb;
    Tensorflow__BundleEntryProto ea = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT,
                                 eb = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    ea.dtype = eb.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    ea.shape = &sa;
    eb.shape = &sb;
    uint8_t d0[8], d1[16];
    memcpy(d0, a, sizeof a); /* little-endian hosts only, as the loader */
    memset(d1, 0xee, 4);     /* data of shard 1 starts at offset 4 */
    memcpy(d1 + 4, bv, sizeof bv);
    ea.shard_id = 0;
    ea.offset = 0;
    ea.size = 8;
    ea.crc32c = tb_mask(tb_crc(0, d0, 8));
    eb.shard_id = 1;
    eb.offset = 4;
    eb.size = 12;
    eb.crc32c = tb_mask(tb_crc(0, d1 + 4, 12));
    wentry ents[2] = {{"a", &ea}, {"b", &eb}};
    static const uint8_t h_two[] = {0x08, 0x02, 0x1a, 0x02, 0x08, 0x01};
    const char *prefix = write_bundle(dir, h_two, sizeof h_two, ents, 2, d0, 8, 2);
    char path[600];
    snprintf(path, sizeof path, "%s.data-00001-of-00002", prefix);
    assert_int_equal(tsd_test_write_file(path, d1, sizeof d1), 0);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    eng_tensor t = read_ok(b, "a");
    assert_memory_equal(t.data, a, sizeof a);
    eng_tensor_free_data(&t);
    t = read_ok(b, "b");
    assert_int_equal(t.dims[0], 3);
    assert_memory_equal(t.data, bv, sizeof bv);
    eng_tensor_free_data(&t);
    ldr_bundle_close(b);
    /* a flipped byte in shard 1 is caught by its CRC and named */
    d1[6] ^= 0x10;
    assert_int_equal(tsd_test_write_file(path, d1, sizeof d1), 0);
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "b"), &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.data-00001-of-00002: tensor 'b'"));
    ldr_bundle_close(b);
}

/* ---- corrupted real files ----------------------------------------------- */

/* Copy a real bundle's files into dir/variables/ with optional damage. */
static const char *copy_bundle(const char *dir, const char *rel, size_t index_len, long flip_index,
                               size_t data_len, long flip_data)
{
    static char prefix[512];
    char src[600], dst[600];
    snprintf(dst, sizeof dst, "%s/variables", dir);
    mkdir(dst, 0700);
    snprintf(prefix, sizeof prefix, "%s/variables/variables", dir);
    static const char *const sfx[2] = {".index", ".data-00000-of-00001"};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        snprintf(src, sizeof src, "%s%s", tsd_test_path(rel), sfx[k]);
        uint8_t *d = (uint8_t *)tsd_test_read_file(src, &n);
        assert_non_null(d);
        size_t len = k == 0 ? index_len : data_len;
        long flip = k == 0 ? flip_index : flip_data;
        if (len > n)
            len = n;
        if (flip >= 0 && (size_t)flip < len)
            d[flip] ^= 0x10;
        snprintf(dst, sizeof dst, "%s%s", prefix, sfx[k]);
        assert_int_equal(tsd_test_write_file(dst, d, len), 0);
        free(d);
    }
    return prefix;
}

/* Open and read everything; returns the first error code (or OK). */
static tsd_code open_read_all(const char *prefix, tsd_status *st)
{
    ldr_bundle *b = NULL;
    tsd_code rc = ldr_bundle_open(prefix, &b, st);
    if (rc != TSD_OK)
        return rc;
    for (size_t i = 0; rc == TSD_OK && i < ldr_bundle_num_entries(b); i++) {
        eng_tensor t;
        rc = ldr_bundle_read(b, ldr_bundle_entry_at(b, i), &t, st);
        if (rc == TSD_OK)
            eng_tensor_free_data(&t);
    }
    ldr_bundle_close(b);
    return rc;
}

static void test_truncated_files(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    tsd_status st = TSD_STATUS_INIT;
    const char *p = copy_bundle(dir, CNT, SIZE_MAX, -1, SIZE_MAX, -1);
    assert_int_equal(open_read_all(p, &st), TSD_OK);
    for (size_t len = 0; len < 123; len++) {
        p = copy_bundle(dir, CNT, len, -1, SIZE_MAX, -1);
        tsd_status_clear(&st);
        assert_int_not_equal(open_read_all(p, &st), TSD_OK);
        assert_non_null(strstr(st.msg, "variables/variables.index"));
    }
    for (size_t len = 0; len < 4; len++) {
        p = copy_bundle(dir, CNT, SIZE_MAX, -1, len, -1);
        assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
        assert_non_null(strstr(st.msg, "variables/variables.data-00000-of-00001: tensor "
                                       "'counter'"));
    }
    for (size_t len = 0; len < 1025; len += 13) {
        p = copy_bundle(dir, CENSUS, len, -1, SIZE_MAX, -1);
        assert_int_not_equal(open_read_all(p, &st), TSD_OK);
        assert_non_null(strstr(st.msg, "variables/variables.index"));
    }
    for (size_t len = 0; len < 115712; len += 4099) {
        p = copy_bundle(dir, CENSUS, SIZE_MAX, -1, len, -1);
        assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
        assert_non_null(strstr(st.msg, "variables/variables.data-00000-of-00001: tensor '"));
    }
    /* Snappy index truncated */
    for (size_t len = 0; len < 172; len += 5) {
        p = copy_bundle(dir, HP2, len, -1, SIZE_MAX, -1);
        assert_int_not_equal(open_read_all(p, &st), TSD_OK);
        assert_non_null(strstr(st.msg, "variables/variables.index"));
    }
}

static void test_bit_flips(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    tsd_status st = TSD_STATUS_INIT;
    /* data bytes: half_plus_three 'a' is bytes 0..3 */
    const char *p = copy_bundle(dir, HP3, SIZE_MAX, -1, SIZE_MAX, 2);
    assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.data-00000-of-00001: tensor 'a': "
                                   "crc32c mismatch"));
    p = copy_bundle(dir, HP3, SIZE_MAX, -1, SIZE_MAX, 9);
    assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "tensor 'c': crc32c mismatch"));
    /* index: block contents, trailer, footer magic */
    p = copy_bundle(dir, CNT, SIZE_MAX, 12, SIZE_MAX, -1);
    assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.index: data block at offset 0: "
                                   "checksum mismatch"));
    p = copy_bundle(dir, CNT, SIZE_MAX, 40, SIZE_MAX, -1);
    assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "checksum mismatch"));
    p = copy_bundle(dir, CNT, SIZE_MAX, 120, SIZE_MAX, -1);
    assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables/variables.index: footer"));
    /* every byte of the Snappy index and a sample of census bytes: clean
     * errors or (footer padding only) success, never a crash */
    for (long i = 0; i < 172; i++) {
        p = copy_bundle(dir, HP2, SIZE_MAX, i, SIZE_MAX, -1);
        tsd_code rc = open_read_all(p, &st);
        if (rc != TSD_OK)
            assert_non_null(strstr(st.msg, "variables/variables"));
    }
    for (long i = 0; i < 1025; i += 11) {
        p = copy_bundle(dir, CENSUS, SIZE_MAX, i, SIZE_MAX, -1);
        tsd_code rc = open_read_all(p, &st);
        if (rc != TSD_OK)
            assert_non_null(strstr(st.msg, "variables/variables"));
        else
            assert_true(i >= 1025 - 48 + 4); /* only footer padding may be ignored */
    }
    for (long i = 0; i < 115712; i += 997) {
        p = copy_bundle(dir, CENSUS, SIZE_MAX, -1, SIZE_MAX, i);
        assert_int_equal(open_read_all(p, &st), TSD_DATA_LOSS);
        assert_non_null(strstr(st.msg, "crc32c mismatch"));
    }
}

static void test_index_parse_mem(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = (uint8_t *)tsd_test_read_file(tsd_test_path(CENSUS ".index"), &n);
    assert_non_null(d);
    ldr__bundle_index ix;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr__bundle_index_parse(d, n, "x.index", 0, &ix, &st), TSD_OK);
    assert_int_equal(ix.num_shards, 1);
    assert_int_equal(ix.big_endian, 0);
    assert_int_equal(ix.nentries, 21);
    ldr__bundle_index_clear(&ix);
    assert_int_equal(ix.nentries, 0);
    free(d);
    assert_string_equal(ldr__bundle_display_name("/a/b/variables/variables.index"),
                        "variables/variables.index");
    assert_string_equal(ldr__bundle_display_name("x.index"), "x.index");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_plus),       cmocka_unit_test(test_census),
        cmocka_unit_test(test_iris_taxi),       cmocka_unit_test(test_tf2_strings),
        cmocka_unit_test(test_keras),           cmocka_unit_test(test_slice_parse),
        cmocka_unit_test(test_slice_read),      cmocka_unit_test(test_hostile_entries),
        cmocka_unit_test(test_two_shards),      cmocka_unit_test(test_built_strings_and_endianness),
        cmocka_unit_test(test_truncated_files), cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_index_parse_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
