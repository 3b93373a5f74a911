/*
 * test_savedmodel.c - the SavedModel reader against every fixture of
 * models.md §3.1-3.13 (signatures, tensor names, declared dtypes and
 * shapes, TF versions, TF2 flag, assets, init ops, table initializers),
 * plus corrupted, truncated, missing and wrongly tagged inputs and
 * synthetic SavedModels built in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "loader/savedmodel_int.h"
#include "tests/unit/test_util.h"

/* ---- expected signatures, transcribed from models.md ------------------------- */

#define UNK (-1)    /* unknown rank */
#define SKIP (-100) /* dtype not checked */
#define MAXT 8

typedef struct exp_tensor {
    const char *key, *name;
    int dtype;
    int rank;
    int64_t dims[3];
} exp_tensor;

typedef struct exp_sig {
    const char *key, *method;
    exp_tensor in[MAXT];
    exp_tensor out[MAXT];
} exp_sig;

typedef struct exp_model {
    const char *path;
    const char *tf_version;
    int tf2;
    const char *init_op; /* NULL: none */
    exp_sig sigs[8];
} exp_model;

#define F ENG_DT_FLOAT
#define S ENG_DT_STRING
#define I64 ENG_DT_INT64
#define I32 ENG_DT_INT32
#define FREF (ENG_DT_FLOAT + ENG_DT_REF_OFFSET)
#define PRED "tensorflow/serving/predict"
#define CLS "tensorflow/serving/classify"
#define REG "tensorflow/serving/regress"
#define T(...) T_(__VA_ARGS__)
#define T_(k, n, d, r, ...)                                                                        \
    {                                                                                              \
        k, n, d, r,                                                                                \
        {                                                                                          \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }
#define B1 2, -1, 1 /* [-1,1] */

/* The six TF1 half_plus_two signatures of half_plus_two_2_versions (§3.3). */
#define HP2_SIX(tfex)                                                                              \
    {"classify_x2_to_y3", CLS, {T("inputs", "x2:0", F, B1)}, {T("scores", "y3:0", F, B1)}},        \
        {"classify_x_to_y", CLS, {tfex}, {T("scores", "y:0", F, B1)}},                             \
        {"regress_x2_to_y3", REG, {T("inputs", "x2:0", F, B1)}, {T("outputs", "y3:0", F, B1)}},    \
        {"regress_x_to_y", REG, {tfex}, {T("outputs", "y:0", F, B1)}},                             \
        {"regress_x_to_y2", REG, {tfex}, {T("outputs", "y2:0", F, B1)}},                           \
    {                                                                                              \
        "serving_default", PRED, {T("x", "x:0", F, B1)},                                           \
        {                                                                                          \
            T("y", "y:0", F, B1)                                                                   \
        }                                                                                          \
    }

#define INIT_SIG                                                                                   \
    {                                                                                              \
        "__saved_model_init_op", "", {{0}},                                                        \
        {                                                                                          \
            T("__saved_model_init_op", "NoOp", ENG_DT_INVALID, UNK, 0)                             \
        }                                                                                          \
    }

/* The classify/regress/predict signatures of the Estimator exports. */
#define EST_CLS(cls, prob, n)                                                                      \
    {T("inputs", "input_example_tensor:0", S, 1, -1)},                                             \
    {                                                                                              \
        T("classes", cls, S, 2, -1, n), T("scores", prob, F, 2, -1, n)                             \
    }

static const exp_model models[] = {
    {"models/tfserving/saved_model_half_plus_two_cpu/00000123",
     "1.14.0",
     0,
     "group_deps",
     {{"classify_x_to_y",
       CLS,
       {T("inputs", "tf_example:0", S, UNK, 0)},
       {T("scores", "y:0", F, B1)}},
      {"regress_x2_to_y3", REG, {T("inputs", "x2:0", F, B1)}, {T("outputs", "y3:0", F, B1)}},
      {"regress_x_to_y",
       REG,
       {T("inputs", "tf_example:0", S, UNK, 0)},
       {T("outputs", "y:0", F, B1)}},
      {"regress_x_to_y2",
       REG,
       {T("inputs", "tf_example:0", S, UNK, 0)},
       {T("outputs", "y2:0", F, B1)}},
      {"serving_default", PRED, {T("x", "x:0", F, B1)}, {T("y", "y:0", F, B1)}}}},
    {"models/tfserving/saved_model_half_plus_three/00000123",
     "1.0.0-rc2",
     0,
     "group_deps",
     {{"serving_default", PRED, {T("x", "x:0", F, 0, 0)}, {T("y", "y:0", F, 0, 0)}},
      {"tensorflow/serving/regress",
       REG,
       {T("inputs", "tf_example:0", F, 0, 0)},
       {T("outputs", "Identity:0", F, 0, 0)}}}},
    {"models/tfserving/saved_model_half_plus_two_2_versions/00000123",
     "1.1.0-rc2",
     0,
     "group_deps",
     {HP2_SIX(T("inputs", "tf_example:0", S, UNK, 0))}},
    {"models/tfserving/saved_model_half_plus_two_2_versions/00000124",
     "1.1.0-rc2",
     0,
     "group_deps",
     {HP2_SIX(T("inputs", "tf_example:0", S, UNK, 0))}},
    {"models/tfserving/saved_model_counter/00000123",
     "1.5.0-rc1",
     0,
     NULL,
     {{"get_counter", PRED, {{0}}, {T("output", "counter:0", FREF, 0, 0)}},
      {"incr_counter", PRED, {{0}}, {T("output", "incr_counter_op/AssignAdd:0", FREF, 0, 0)}},
      {"incr_counter_by",
       PRED,
       {T("delta", "delta:0", F, UNK, 0)},
       {T("output", "incr_counter_by_op/AssignAdd:0", FREF, 0, 0)}},
      {"reset_counter", PRED, {{0}}, {T("output", "reset_counter_op/Assign:0", FREF, 0, 0)}}}},
    {"models/tfserving/saved_model_half_plus_two_tf2_cpu/00000123",
     "2.14.0",
     1,
     "NoOp",
     {INIT_SIG,
      {"classify_x2_to_y3",
       PRED,
       {T("inputs", "classify_x2_to_y3_inputs:0", F, 1, 1)},
       {T("scores", "StatefulPartitionedCall:0", F, 1, 1)}},
      {"classify_x_to_y",
       PRED,
       {T("inputs", "classify_x_to_y_inputs:0", S, 1, -1)},
       {T("scores", "StatefulPartitionedCall_1:0", F, B1)}},
      {"regress_x2_to_y3",
       PRED,
       {T("inputs", "regress_x2_to_y3_inputs:0", F, 1, 1)},
       {T("outputs", "StatefulPartitionedCall_2:0", F, 1, 1)}},
      {"regress_x_to_y",
       PRED,
       {T("inputs", "regress_x_to_y_inputs:0", S, 1, -1)},
       {T("outputs", "StatefulPartitionedCall_3:0", F, B1)}},
      {"regress_x_to_y2",
       PRED,
       {T("inputs", "regress_x_to_y2_inputs:0", S, 1, -1)},
       {T("outputs", "StatefulPartitionedCall_4:0", F, B1)}},
      {"serving_default",
       PRED,
       {T("x", "serving_default_x:0", F, 1, 1)},
       {T("y", "StatefulPartitionedCall_5:0", F, 1, 1)}}}},
    {"models/tfserving/saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123",
     "2.4.0",
     0,
     "group_deps",
     {HP2_SIX(T("inputs", "tf_example:0", S, 1, -1))}},
    {"models/tfserving/matrix_half_plus_two/1",
     "1.2.0-rc2",
     0,
     NULL,
     {{"serving_default", PRED, {T("x", "x:0", F, 3, -1, 3, 3)}, {T("y", "y:0", F, 3, -1, 3, 3)}}}},
    {"models/estimator/census_wide_deep/1527087570",
     "1.8.0",
     0,
     "group_deps",
     {{"classification", CLS, EST_CLS("head/Tile:0", "head/predictions/probabilities:0", 2)},
      {"predict",
       PRED,
       {T("examples", "input_example_tensor:0", S, 1, -1)},
       {T("class_ids", "head/predictions/ExpandDims:0", I64, B1),
        T("classes", "head/predictions/str_classes:0", S, B1),
        T("logistic", "head/predictions/logistic:0", F, B1), T("logits", "add:0", F, B1),
        T("probabilities", "head/predictions/probabilities:0", F, 2, -1, 2)}},
      {"regression",
       REG,
       {T("inputs", "input_example_tensor:0", S, 1, -1)},
       {T("outputs", "head/predictions/logistic:0", F, B1)}},
      {"serving_default", CLS, EST_CLS("head/Tile:0", "head/predictions/probabilities:0", 2)}}},
    {"models/estimator/iris_linear/1",
     "1.5.0",
     0,
     "group_deps",
     {{"classification", CLS,
       EST_CLS("linear/head/Tile:0", "linear/head/predictions/probabilities:0", 3)},
      {"predict",
       PRED,
       {T("examples", "input_example_tensor:0", S, 1, -1)},
       {T("class_ids", "linear/head/predictions/ExpandDims:0", I64, B1),
        T("classes", "linear/head/predictions/str_classes:0", S, B1),
        T("logits", "linear/linear_model/weighted_sum:0", F, 2, -1, 3),
        T("probabilities", "linear/head/predictions/probabilities:0", F, 2, -1, 3)}},
      {"serving_default", CLS,
       EST_CLS("linear/head/Tile:0", "linear/head/predictions/probabilities:0", 3)}}},
    {"models/estimator/taxi_dnn/1",
     "1.8.0",
     0,
     "group_deps",
     {{"classification", CLS,
       EST_CLS("dnn/head/Tile:0", "dnn/head/predictions/probabilities:0", 2)},
      {"predict",
       PRED,
       {T("examples", "input_example_tensor:0", S, 1, -1)},
       {T("class_ids", "dnn/head/predictions/ExpandDims:0", I64, B1),
        T("classes", "dnn/head/predictions/str_classes:0", S, B1),
        T("logistic", "dnn/head/predictions/logistic:0", F, B1),
        T("logits", "dnn/logits/BiasAdd:0", F, B1),
        T("probabilities", "dnn/head/predictions/probabilities:0", F, 2, -1, 2)}},
      {"regression",
       REG,
       {T("inputs", "input_example_tensor:0", S, 1, -1)},
       {T("outputs", "dnn/head/predictions/logistic:0", F, B1)}},
      {"serving_default", CLS,
       EST_CLS("dnn/head/Tile:0", "dnn/head/predictions/probabilities:0", 2)}}},
    {"models/estimator/taxi_wide_deep_tft/1646034756",
     "2.9.0-dev20220227",
     0,
     "group_deps",
     {{"classification", CLS, EST_CLS("head/Tile:0", "head/predictions/probabilities:0", 2)},
      {"predict",
       PRED,
       {T("examples", "input_example_tensor:0", S, 1, -1)},
       {T("all_class_ids", "head/predictions/Tile:0", I32, 2, -1, 2),
        T("all_classes", "head/predictions/Tile_1:0", S, 2, -1, 2),
        T("class_ids", "head/predictions/ExpandDims:0", I64, B1),
        T("classes", "head/predictions/str_classes:0", S, B1),
        T("logistic", "head/predictions/logistic:0", F, B1), T("logits", "add:0", F, B1),
        T("probabilities", "head/predictions/probabilities:0", F, 2, -1, 2)}},
      {"regression",
       REG,
       {T("inputs", "input_example_tensor:0", S, 1, -1)},
       {T("outputs", "head/predictions/logistic:0", F, B1)}},
      {"serving_default", CLS, EST_CLS("head/Tile:0", "head/predictions/probabilities:0", 2)}}},
    {"models/keras/iris_keras/8",
     "2.3.0",
     1,
     "NoOp",
     {INIT_SIG,
      {"serving_default",
       PRED,
       {T("examples", "serving_default_examples:0", S, 1, -1)},
       {T("output_0", "StatefulPartitionedCall:0", F, 2, -1, 3)}}}},
    {"models/keras/keras_single_input/1",
     "2.3.0",
     1,
     "NoOp",
     {INIT_SIG,
      {"serving_default",
       PRED,
       {T("test_in_input", "serving_default_test_in_input:0", F, 2, -1, 5)},
       {T("test_out", "StatefulPartitionedCall:0", F, B1)}}}},
};

static size_t count_tensors(const exp_tensor *t)
{
    size_t n = 0;
    while (n < MAXT && t[n].key)
        n++;
    return n;
}

static void check_tensors(const char *where, const exp_tensor *want, const ldr_tensor_info *got,
                          size_t ngot)
{
    size_t n = count_tensors(want);
    if (n != ngot)
        fail_msg("%s: %zu tensors, expected %zu", where, ngot, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[i].key, want[i].key);
        assert_non_null(got[i].name);
        assert_string_equal(got[i].name, want[i].name);
        if (want[i].dtype != SKIP && (int)got[i].dtype != want[i].dtype)
            fail_msg("%s %s: dtype %d, expected %d", where, want[i].key, (int)got[i].dtype,
                     want[i].dtype);
        if (got[i].shape.rank != want[i].rank)
            fail_msg("%s %s: rank %d, expected %d", where, want[i].key, (int)got[i].shape.rank,
                     want[i].rank);
        for (int d = 0; d < want[i].rank; d++)
            assert_int_equal(got[i].shape.dims[d], want[i].dims[d]);
    }
}

static ldr_saved_model *open_ok(const char *rel)
{
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    tsd_code rc = ldr_saved_model_open(tsd_test_path(rel), NULL, 0, &sm, &st);
    if (rc != TSD_OK)
        fail_msg("%s: %s", rel, st.msg);
    assert_non_null(sm);
    return sm;
}

/* Every fixture: versions, TF2 flag, tag sets, signatures, init op. */
static void test_all_fixtures(void **state)
{
    (void)state;
    assert_int_equal(sizeof models / sizeof models[0], 14);
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        const exp_model *em = &models[m];
        ldr_saved_model *sm = open_ok(em->path);
        assert_string_equal(ldr_saved_model_tf_version(sm), em->tf_version);
        assert_int_equal(ldr_saved_model_is_tf2(sm), em->tf2);
        assert_int_equal(ldr_saved_model_num_tag_sets(sm), 1);
        assert_string_equal(ldr_saved_model_tag_set(sm, 0), "serve");
        assert_string_equal(ldr_saved_model_dir(sm), tsd_test_path(em->path));
        const char *init = ldr_saved_model_init_op(sm);
        if (em->init_op) {
            assert_non_null(init);
            assert_string_equal(init, em->init_op);
        } else {
            assert_null(init);
        }
        size_t nsig = 0;
        while (nsig < 8 && em->sigs[nsig].key)
            nsig++;
        if (ldr_saved_model_num_signatures(sm) != nsig)
            fail_msg("%s: %zu signatures, expected %zu", em->path,
                     ldr_saved_model_num_signatures(sm), nsig);
        for (size_t i = 0; i < nsig; i++) {
            const exp_sig *es = &em->sigs[i];
            const ldr_signature *sig = ldr_saved_model_signature(sm, i);
            assert_string_equal(sig->key, es->key);
            assert_string_equal(sig->method_name, es->method);
            assert_ptr_equal(ldr_saved_model_find_signature(sm, es->key), sig);
            char where[256];
            snprintf(where, sizeof where, "%s [%s] inputs", em->path, es->key);
            check_tensors(where, es->in, sig->inputs, sig->ninputs);
            snprintf(where, sizeof where, "%s [%s] outputs", em->path, es->key);
            check_tensors(where, es->out, sig->outputs, sig->noutputs);
        }
        assert_null(ldr_saved_model_find_signature(sm, "no_such_signature"));
        assert_null(ldr_saved_model_signature(sm, nsig));
        ldr_saved_model_free(sm);
    }
}

/* ---- assets, init ops, table initializers -------------------------------------- */

static void check_asset(const ldr_saved_model *sm, size_t i, const char *tensor,
                        const char *filename, int exists)
{
    const ldr_asset *a = ldr_saved_model_asset(sm, i);
    assert_non_null(a);
    assert_string_equal(a->tensor, tensor);
    assert_string_equal(a->filename, filename);
    char want[4096];
    snprintf(want, sizeof want, "%s/assets/%s", ldr_saved_model_dir(sm), filename);
    assert_string_equal(a->path, want);
    struct stat sb;
    assert_int_equal(stat(a->path, &sb) == 0, exists);
}

static void test_assets(void **state)
{
    (void)state;
    static const char *const hp[] = {
        "models/tfserving/saved_model_half_plus_two_cpu/00000123",
        "models/tfserving/saved_model_half_plus_three/00000123",
        "models/tfserving/saved_model_half_plus_two_2_versions/00000123",
    };
    for (size_t i = 0; i < 3; i++) {
        ldr_saved_model *sm = open_ok(hp[i]);
        assert_int_equal(ldr_saved_model_num_assets(sm), 1);
        check_asset(sm, 0, "Const:0", "foo.txt", 1);
        assert_null(ldr_saved_model_asset(sm, 1));
        ldr_saved_model_free(sm);
    }

    /* TF2: asset_file_def rather than the collection */
    ldr_saved_model *sm = open_ok("models/tfserving/saved_model_half_plus_two_tf2_cpu/00000123");
    assert_int_equal(ldr_saved_model_num_assets(sm), 1);
    check_asset(sm, 0, "asset_path_initializer:0", "foo.txt", 1);
    ldr_saved_model_free(sm);

    /* listed asset, but no assets/ directory: open still succeeds */
    sm = open_ok("models/tfserving/"
                 "saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123");
    assert_int_equal(ldr_saved_model_num_assets(sm), 1);
    check_asset(sm, 0, "Const:0", "foo.txt", 0);
    ldr_saved_model_free(sm);

    sm = open_ok("models/estimator/taxi_wide_deep_tft/1646034756");
    assert_int_equal(ldr_saved_model_num_assets(sm), 4);
    check_asset(sm, 0, "transform_features_layer/asset_path:0",
                "vocab_compute_and_apply_vocabulary_1_vocabulary", 1);
    check_asset(sm, 1, "transform_features_layer/asset_path_1:0",
                "vocab_compute_and_apply_vocabulary_vocabulary", 1);
    check_asset(sm, 2, "transform_features_layer/asset_path_2:0",
                "vocab_compute_and_apply_vocabulary_1_vocabulary", 1);
    check_asset(sm, 3, "transform_features_layer/asset_path_3:0",
                "vocab_compute_and_apply_vocabulary_vocabulary", 1);
    ldr_saved_model_free(sm);

    static const char *const none[] = {
        "models/tfserving/saved_model_counter/00000123",
        "models/tfserving/matrix_half_plus_two/1",
        "models/estimator/census_wide_deep/1527087570",
        "models/estimator/iris_linear/1",
        "models/estimator/taxi_dnn/1",
        "models/keras/iris_keras/8",
        "models/keras/keras_single_input/1",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        sm = open_ok(none[i]);
        assert_int_equal(ldr_saved_model_num_assets(sm), 0);
        assert_null(ldr_saved_model_asset(sm, 0));
        ldr_saved_model_free(sm);
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_table_initializers(void **state)
{
    (void)state;
    ldr_saved_model *sm = open_ok("models/estimator/taxi_wide_deep_tft/1646034756");
    assert_string_equal(ldr_saved_model_init_op(sm), "group_deps");
    assert_int_equal(ldr_saved_model_num_table_inits(sm), 4);
    static const char *const want[] = {
        "transform_features_layer/StatefulPartitionedCall_2",
        "transform_features_layer/StatefulPartitionedCall_3",
        "transform_features_layer/StatefulPartitionedCall_4",
        "transform_features_layer/StatefulPartitionedCall_5",
    };
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(ldr_saved_model_table_init(sm, i), want[i]);
    assert_null(ldr_saved_model_table_init(sm, 4));
    ldr_saved_model_free(sm);

    /* census: eight vocabulary tables, one table_init node each (§3.8) */
    sm = open_ok("models/estimator/census_wide_deep/1527087570");
    assert_int_equal(ldr_saved_model_num_table_inits(sm), 8);
    int dnn = 0, linear = 0;
    for (size_t i = 0; i < 8; i++) {
        const char *t = ldr_saved_model_table_init(sm, i);
        assert_true(ends_with(t, "/hash_table/table_init"));
        dnn += strncmp(t, "dnn/", 4) == 0;
        linear += strncmp(t, "linear/", 7) == 0;
    }
    assert_int_equal(dnn, 4);
    assert_int_equal(linear, 4);
    ldr_saved_model_free(sm);

    sm = open_ok("models/tfserving/saved_model_half_plus_two_cpu/00000123");
    assert_int_equal(ldr_saved_model_num_table_inits(sm), 0);
    ldr_saved_model_free(sm);
}

/* The lazily opened bundle; NULL without error when there is no variables/. */
static void test_bundle(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    ldr_saved_model *sm = open_ok("models/tfserving/matrix_half_plus_two/1");
    assert_null(ldr_saved_model_bundle(sm, &st));
    assert_int_equal(st.code, TSD_OK);
    assert_int_equal(ldr_saved_model_num_vars(sm), 0);
    ldr_saved_model_free(sm);

    sm = open_ok("models/tfserving/saved_model_half_plus_two_cpu/00000123");
    ldr_bundle *b = ldr_saved_model_bundle(sm, &st);
    if (!b)
        fail_msg("bundle: %s", st.msg);
    assert_ptr_equal(ldr_saved_model_bundle(sm, &st), b); /* opened once */
    assert_int_equal(ldr_bundle_num_entries(b), 5);
    assert_non_null(ldr_bundle_find(b, "a2"));
    ldr_saved_model_free(sm);
}

/* ---- error cases ------------------------------------------------------------------- */

/* A temp export dir holding `len` bytes as saved_model.pb. */
static const char *make_export(const void *data, size_t len)
{
    const char *dir = tsd_test_tmpdir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    assert_int_equal(tsd_test_write_file(path, data, len), 0);
    return dir;
}

static void remove_export(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/saved_model.pbtxt", dir);
    unlink(path);
    rmdir(dir);
}

static void test_truncated_and_corrupted(void **state)
{
    (void)state;
    size_t len = 0;
    char *pb = tsd_test_read_file(
        tsd_test_path("models/tfserving/saved_model_half_plus_two_cpu/00000123/saved_model.pb"),
        &len);
    assert_non_null(pb);
    assert_int_equal(len, 12107);

    /* cut inside the (large) MetaGraphDef field, and inside its length prefix */
    size_t cuts[] = {len / 2, len - 1, 3};
    for (size_t i = 0; i < 3; i++) {
        const char *dir = make_export(pb, cuts[i]);
        ldr_saved_model *sm = (ldr_saved_model *)0x1;
        tsd_status st = TSD_STATUS_INIT;
        assert_int_equal(ldr_saved_model_open(dir, NULL, 0, &sm, &st), TSD_DATA_LOSS);
        assert_null(sm);
        assert_non_null(strstr(st.msg, "saved_model.pb"));
        assert_non_null(strstr(st.msg, dir));
        remove_export(dir);
    }

    /* garbage: an over-long varint tag */
    unsigned char junk[64];
    memset(junk, 0xff, sizeof junk);
    const char *dir = make_export(junk, sizeof junk);
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_saved_model_open(dir, NULL, 0, &sm, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "saved_model.pb"));
    remove_export(dir);

    /* an empty file is a SavedModel without meta graphs: no tag set matches */
    dir = make_export("", 0);
    assert_int_equal(ldr_saved_model_open(dir, NULL, 0, &sm, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "{ serve }"));
    remove_export(dir);
    free(pb);
}

static void test_missing(void **state)
{
    (void)state;
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_saved_model_open("/nonexistent/tensord/model", NULL, 0, &sm, &st),
                     TSD_NOT_FOUND);
    assert_null(sm);
    assert_non_null(strstr(st.msg, "/nonexistent/tensord/model"));

    /* a file where the directory should be */
    const char *file =
        tsd_test_path("models/tfserving/saved_model_half_plus_two_cpu/00000123/saved_model.pb");
    assert_int_equal(ldr_saved_model_open(file, NULL, 0, &sm, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "not a directory"));

    /* a directory without saved_model.pb */
    const char *dir = tsd_test_tmpdir();
    assert_int_equal(ldr_saved_model_open(dir, NULL, 0, &sm, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "saved_model.pb"));

    /* text format is refused with a clear error */
    char path[512];
    snprintf(path, sizeof path, "%s/saved_model.pbtxt", dir);
    assert_int_equal(tsd_test_write_file(path, "meta_graphs {}\n", 15), 0);
    assert_int_equal(ldr_saved_model_open(dir, NULL, 0, &sm, &st), TSD_UNIMPLEMENTED);
    assert_non_null(strstr(st.msg, "saved_model.pbtxt"));
    remove_export(dir);
}

static void test_tags(void **state)
{
    (void)state;
    const char *dir = tsd_test_path("models/tfserving/saved_model_half_plus_two_cpu/00000123");
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    const char *foo[] = {"foo"};
    assert_int_equal(ldr_saved_model_open(dir, foo, 1, &sm, &st), TSD_NOT_FOUND);
    assert_null(sm);
    assert_non_null(strstr(st.msg, "Could not find meta graph def matching supplied tags: "
                                   "{ foo }"));
    assert_non_null(strstr(st.msg, "Available tag sets: { serve }"));
    assert_non_null(strstr(st.msg, "saved_model.pb"));

    /* a superset does not match: tag sets compare as sets */
    const char *two[] = {"serve", "gpu"};
    assert_int_equal(ldr_saved_model_open(dir, two, 2, &sm, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "{ serve gpu }"));

    /* explicit {"serve"}, and a duplicate tag, select the one MetaGraphDef */
    /* a trailing slash on the directory is dropped */
    char slash[4096];
    snprintf(slash, sizeof slash, "%s/", dir);
    const char *serve[] = {"serve", "serve"};
    assert_int_equal(ldr_saved_model_open(slash, serve, 1, &sm, &st), TSD_OK);
    assert_string_equal(ldr_saved_model_dir(sm), dir);
    assert_string_equal(ldr_saved_model_asset(sm, 0)->path + strlen(dir), "/assets/foo.txt");
    ldr_saved_model_free(sm);

    assert_int_equal(ldr_saved_model_open(dir, serve, 1, &sm, &st), TSD_OK);
    ldr_saved_model_free(sm);
    assert_int_equal(ldr_saved_model_open(dir, serve, 2, &sm, &st), TSD_OK);
    ldr_saved_model_free(sm);
}

/* ---- synthetic SavedModels built in memory ---------------------------------------- */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    assert_non_null(p);
    return p;
}

/* A SavedModel with one MetaGraphDef tagged "serve" (heap-built, free_unpacked-safe). */
static Tensorflow__SavedModel *synth_new(Tensorflow__MetaGraphDef **mgp)
{
    Tensorflow__SavedModel *pb = xcalloc(1, sizeof *pb);
    tensorflow__saved_model__init(pb);
    Tensorflow__MetaGraphDef *mg = xcalloc(1, sizeof *mg);
    tensorflow__meta_graph_def__init(mg);
    Tensorflow__MetaGraphDef__MetaInfoDef *mi = xcalloc(1, sizeof *mi);
    tensorflow__meta_graph_def__meta_info_def__init(mi);
    mi->n_tags = 1;
    mi->tags = xcalloc(1, sizeof(char *));
    mi->tags[0] = xstrdup("serve");
    mg->meta_info_def = mi;
    pb->n_meta_graphs = 1;
    pb->meta_graphs = xcalloc(1, sizeof *pb->meta_graphs);
    pb->meta_graphs[0] = mg;
    *mgp = mg;
    return pb;
}

static void synth_collection(Tensorflow__MetaGraphDef *mg, const char *key, size_t n,
                             const char *const *vals)
{
    Tensorflow__CollectionDef *c = xcalloc(1, sizeof *c);
    tensorflow__collection_def__init(c);
    Tensorflow__CollectionDef__NodeList *nl = xcalloc(1, sizeof *nl);
    tensorflow__collection_def__node_list__init(nl);
    nl->n_value = n;
    nl->value = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        nl->value[i] = xstrdup(vals[i]);
    c->kind_case = TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST;
    c->node_list = nl;
    Tensorflow__MetaGraphDef__CollectionDefEntry *e = xcalloc(1, sizeof *e);
    tensorflow__meta_graph_def__collection_def_entry__init(e);
    e->key = xstrdup(key);
    e->value = c;
    mg->collection_def =
        realloc(mg->collection_def, (mg->n_collection_def + 1) * sizeof *mg->collection_def);
    assert_non_null(mg->collection_def);
    mg->collection_def[mg->n_collection_def++] = e;
}

static void synth_asset(Tensorflow__MetaGraphDef *mg, const char *tensor, const char *file)
{
    Tensorflow__AssetFileDef *a = xcalloc(1, sizeof *a);
    tensorflow__asset_file_def__init(a);
    Tensorflow__TensorInfo *ti = xcalloc(1, sizeof *ti);
    tensorflow__tensor_info__init(ti);
    ti->encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
    ti->name = xstrdup(tensor);
    a->tensor_info = ti;
    a->filename = xstrdup(file);
    mg->asset_file_def =
        realloc(mg->asset_file_def, (mg->n_asset_file_def + 1) * sizeof *mg->asset_file_def);
    assert_non_null(mg->asset_file_def);
    mg->asset_file_def[mg->n_asset_file_def++] = a;
}

/* Collection saved_model_assets as an any_list holding one Any. */
static void synth_any_asset(Tensorflow__MetaGraphDef *mg, const char *type_url, const void *value,
                            size_t len)
{
    Google__Protobuf__Any *any = xcalloc(1, sizeof *any);
    google__protobuf__any__init(any);
    any->type_url = xstrdup(type_url);
    any->value.len = len;
    any->value.data = xcalloc(len ? len : 1, 1);
    memcpy(any->value.data, value, len);
    Tensorflow__CollectionDef__AnyList *al = xcalloc(1, sizeof *al);
    tensorflow__collection_def__any_list__init(al);
    al->n_value = 1;
    al->value = xcalloc(1, sizeof *al->value);
    al->value[0] = any;
    Tensorflow__CollectionDef *c = xcalloc(1, sizeof *c);
    tensorflow__collection_def__init(c);
    c->kind_case = TENSORFLOW__COLLECTION_DEF__KIND_ANY_LIST;
    c->any_list = al;
    Tensorflow__MetaGraphDef__CollectionDefEntry *e = xcalloc(1, sizeof *e);
    tensorflow__meta_graph_def__collection_def_entry__init(e);
    e->key = xstrdup("saved_model_assets");
    e->value = c;
    mg->collection_def =
        realloc(mg->collection_def, (mg->n_collection_def + 1) * sizeof *mg->collection_def);
    assert_non_null(mg->collection_def);
    mg->collection_def[mg->n_collection_def++] = e;
}

/* A signature with one input "x" of the given rank (dims all 1). */
static void synth_signature(Tensorflow__MetaGraphDef *mg, const char *key, size_t rank)
{
    Tensorflow__TensorShapeProto *sh = xcalloc(1, sizeof *sh);
    tensorflow__tensor_shape_proto__init(sh);
    sh->n_dim = rank;
    sh->dim = xcalloc(rank ? rank : 1, sizeof *sh->dim);
    for (size_t i = 0; i < rank; i++) {
        sh->dim[i] = xcalloc(1, sizeof **sh->dim);
        tensorflow__tensor_shape_proto__dim__init(sh->dim[i]);
        sh->dim[i]->size = 1;
    }
    Tensorflow__TensorInfo *ti = xcalloc(1, sizeof *ti);
    tensorflow__tensor_info__init(ti);
    ti->encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
    ti->name = xstrdup("x:0");
    ti->dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    ti->tensor_shape = sh;
    Tensorflow__SignatureDef__InputsEntry *in = xcalloc(1, sizeof *in);
    tensorflow__signature_def__inputs_entry__init(in);
    in->key = xstrdup("x");
    in->value = ti;
    Tensorflow__SignatureDef *sd = xcalloc(1, sizeof *sd);
    tensorflow__signature_def__init(sd);
    sd->n_inputs = 1;
    sd->inputs = xcalloc(1, sizeof *sd->inputs);
    sd->inputs[0] = in;
    sd->method_name = xstrdup(PRED);
    Tensorflow__MetaGraphDef__SignatureDefEntry *e = xcalloc(1, sizeof *e);
    tensorflow__meta_graph_def__signature_def_entry__init(e);
    e->key = xstrdup(key);
    e->value = sd;
    mg->signature_def =
        realloc(mg->signature_def, (mg->n_signature_def + 1) * sizeof *mg->signature_def);
    assert_non_null(mg->signature_def);
    mg->signature_def[mg->n_signature_def++] = e;
}

/* Serialize pb, free it, and open the bytes. */
static tsd_code synth_open(Tensorflow__SavedModel *pb, ldr_saved_model **sm, tsd_status *st)
{
    size_t len = tensorflow__saved_model__get_packed_size(pb);
    uint8_t *buf = xcalloc(len ? len : 1, 1);
    assert_int_equal(tensorflow__saved_model__pack(pb, buf), len);
    tensorflow__saved_model__free_unpacked(pb, NULL);
    tsd_code rc =
        ldr__saved_model_from_buffer("/export", "synthetic", buf, len, NULL, 0, 1, sm, st);
    free(buf);
    return rc;
}

static void test_synthetic_ok(void **state)
{
    (void)state;
    Tensorflow__MetaGraphDef *mg;
    Tensorflow__SavedModel *pb = synth_new(&mg);
    synth_signature(mg, "zeta", 2);
    synth_signature(mg, "alpha", 0);
    synth_signature(mg, "mid", 8);
    synth_signature(mg, "alpha", 1); /* duplicate map key: the last one wins */
    synth_asset(mg, "vocab:0", "sub/vocab.txt");
    const char *legacy[] = {"legacy:0"};
    synth_collection(mg, "legacy_init_op", 1, legacy);
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (synth_open(pb, &sm, &st) != TSD_OK)
        fail_msg("%s", st.msg);
    assert_int_equal(ldr_saved_model_num_signatures(sm), 3);
    assert_string_equal(ldr_saved_model_signature(sm, 0)->key, "alpha");
    assert_int_equal(ldr_saved_model_signature(sm, 0)->inputs[0].shape.rank, 1);
    assert_string_equal(ldr_saved_model_signature(sm, 1)->key, "mid");
    assert_int_equal(ldr_saved_model_signature(sm, 1)->inputs[0].shape.rank, 8);
    assert_string_equal(ldr_saved_model_signature(sm, 2)->key, "zeta");
    assert_string_equal(ldr_saved_model_asset(sm, 0)->path, "/export/assets/sub/vocab.txt");
    assert_string_equal(ldr_saved_model_init_op(sm), "legacy");
    assert_string_equal(ldr_saved_model_tf_version(sm), "");
    assert_int_equal(ldr_saved_model_is_tf2(sm), 0);
    assert_int_equal(ldr_saved_model_num_vars(sm), 0); /* no saver_def */
    ldr_saved_model_free(sm);
}

static void test_synthetic_errors(void **state)
{
    (void)state;
    Tensorflow__MetaGraphDef *mg;
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;

    /* the init op collection must hold exactly one name */
    Tensorflow__SavedModel *pb = synth_new(&mg);
    const char *two[] = {"a", "b"};
    synth_collection(mg, "saved_model_main_op", 2, two);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_FAILED_PRECONDITION);
    assert_non_null(strstr(st.msg, "saved_model_main_op"));
    assert_non_null(strstr(st.msg, "synthetic"));
    assert_null(sm);

    /* assets must stay inside assets/ */
    static const char *const bad_files[] = {"../escape", "/etc/passwd", "a/../../b", ".."};
    for (size_t i = 0; i < 4; i++) {
        pb = synth_new(&mg);
        synth_asset(mg, "vocab:0", bad_files[i]);
        assert_int_equal(synth_open(pb, &sm, &st), TSD_INVALID_ARGUMENT);
        assert_non_null(strstr(st.msg, bad_files[i]));
    }

    /* assets collection: wrong Any type, undecodable AssetFileDef bytes */
    pb = synth_new(&mg);
    synth_any_asset(mg, "type.googleapis.com/tensorflow.TensorInfo", "", 0);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "saved_model_assets entry 0"));
    assert_non_null(strstr(st.msg, "tensorflow.TensorInfo"));
    pb = synth_new(&mg);
    /* filename field of length 9, but only 3 bytes follow */
    synth_any_asset(mg, "type.googleapis.com/tensorflow.AssetFileDef",
                    "\x12\x09"
                    "foo",
                    5);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "cannot decode"));
    /* a well-formed one: AssetFileDef{tensor_info{name:"c:0"} filename:"v.txt"} */
    pb = synth_new(&mg);
    synth_any_asset(mg, "type.googleapis.com/tensorflow.AssetFileDef",
                    "\x0a\x05\x0a\x03\x63\x3a\x30\x12\x05v.txt", 14);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_OK);
    assert_string_equal(ldr_saved_model_asset(sm, 0)->tensor, "c:0");
    assert_string_equal(ldr_saved_model_asset(sm, 0)->path, "/export/assets/v.txt");
    ldr_saved_model_free(sm);

    /* rank above ENG_MAX_RANK */
    pb = synth_new(&mg);
    synth_signature(mg, "deep", ENG_MAX_RANK + 1);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "deep"));

    /* the __saved_model_init_op signature without its output */
    pb = synth_new(&mg);
    synth_signature(mg, "__saved_model_init_op", 0);
    assert_int_equal(synth_open(pb, &sm, &st), TSD_FAILED_PRECONDITION);
    assert_non_null(strstr(st.msg, "__saved_model_init_op"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fixtures),
        cmocka_unit_test(test_assets),
        cmocka_unit_test(test_table_initializers),
        cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_truncated_and_corrupted),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_synthetic_ok),
        cmocka_unit_test(test_synthetic_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
