/*
 * test_proto.c - the generated protobuf-c code against real TensorFlow
 * files: every fixture saved_model.pb decodes with the meta graph, tags,
 * signatures, versions, saver, collections, assets and node attrs that
 * models.md documents. Hand-computed wire bytes are in test_proto_wire.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tensorflow/core/protobuf/saved_model.pb-c.h"

#include "../test_util.h"

typedef Tensorflow__SavedModel saved_model_t;
typedef Tensorflow__MetaGraphDef meta_graph_t;
typedef Tensorflow__SignatureDef signature_t;
typedef Tensorflow__TensorInfo tensor_info_t;
typedef Tensorflow__NodeDef node_t;
typedef Tensorflow__AttrValue attr_t;

/* Reads and decodes <shared>/models/<rel>/saved_model.pb; fails the test on error. */
static saved_model_t *load_model(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "models/%s/saved_model.pb", rel);
    size_t len = 0;
    char *buf = tsd_test_read_file(tsd_test_path(path), &len);
    if (!buf)
        fail_msg("cannot read %s", tsd_test_path(path));
    saved_model_t *sm = tensorflow__saved_model__unpack(NULL, len, (const uint8_t *)buf);
    free(buf);
    if (!sm)
        fail_msg("cannot decode %s", path);
    return sm;
}

/* The single meta graph of a fixture, after checking count and tag set. */
static const meta_graph_t *serve_graph(const saved_model_t *sm)
{
    assert_int_equal(sm->n_meta_graphs, 1);
    const meta_graph_t *mg = sm->meta_graphs[0];
    assert_non_null(mg->meta_info_def);
    assert_int_equal(mg->meta_info_def->n_tags, 1);
    assert_string_equal(mg->meta_info_def->tags[0], "serve");
    assert_non_null(mg->graph_def);
    return mg;
}

static const signature_t *find_sig(const meta_graph_t *mg, const char *key)
{
    for (size_t i = 0; i < mg->n_signature_def; i++)
        if (strcmp(mg->signature_def[i]->key, key) == 0)
            return mg->signature_def[i]->value;
    fail_msg("signature %s not found", key);
    return NULL;
}

static const tensor_info_t *find_info(Tensorflow__SignatureDef__InputsEntry **e, size_t n,
                                      const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i]->key, key) == 0)
            return e[i]->value;
    fail_msg("tensor alias %s not found", key);
    return NULL;
}

/* InputsEntry and OutputsEntry have the same layout (key, value). */
static const tensor_info_t *sig_in(const signature_t *s, const char *key)
{
    return find_info(s->inputs, s->n_inputs, key);
}

static const tensor_info_t *sig_out(const signature_t *s, const char *key)
{
    return find_info((Tensorflow__SignatureDef__InputsEntry **)s->outputs, s->n_outputs, key);
}

/* Checks a dense TensorInfo: name, dtype and dims (n_dims < 0: unknown rank). */
static void check_info(const tensor_info_t *ti, const char *name, int dtype, int n_dims,
                       const int64_t *dims)
{
    assert_int_equal(ti->encoding_case, TENSORFLOW__TENSOR_INFO__ENCODING_NAME);
    assert_string_equal(ti->name, name);
    assert_int_equal(ti->dtype, dtype);
    if (!ti->tensor_shape) {
        /* Absent message = default TensorShapeProto = scalar (TF 1.0 files). */
        assert_int_equal(n_dims, 0);
        return;
    }
    if (n_dims < 0) {
        assert_true(ti->tensor_shape->unknown_rank);
        assert_int_equal(ti->tensor_shape->n_dim, 0);
        return;
    }
    assert_false(ti->tensor_shape->unknown_rank);
    assert_int_equal(ti->tensor_shape->n_dim, (size_t)n_dims);
    for (int i = 0; i < n_dims; i++)
        assert_int_equal(ti->tensor_shape->dim[i]->size, dims[i]);
}

static const node_t *find_node(const meta_graph_t *mg, const char *name)
{
    for (size_t i = 0; i < mg->graph_def->n_node; i++)
        if (strcmp(mg->graph_def->node[i]->name, name) == 0)
            return mg->graph_def->node[i];
    fail_msg("node %s not found", name);
    return NULL;
}

static const node_t *find_op(const meta_graph_t *mg, const char *op)
{
    for (size_t i = 0; i < mg->graph_def->n_node; i++)
        if (strcmp(mg->graph_def->node[i]->op, op) == 0)
            return mg->graph_def->node[i];
    fail_msg("no node with op %s", op);
    return NULL;
}

static const attr_t *find_attr(const node_t *n, const char *key)
{
    for (size_t i = 0; i < n->n_attr; i++)
        if (strcmp(n->attr[i]->key, key) == 0)
            return n->attr[i]->value;
    fail_msg("attr %s not found on %s", key, n->name);
    return NULL;
}

/* The single node name held by a node_list collection. */
static const char *collection_node(const meta_graph_t *mg, const char *key)
{
    for (size_t i = 0; i < mg->n_collection_def; i++) {
        if (strcmp(mg->collection_def[i]->key, key) != 0)
            continue;
        const Tensorflow__CollectionDef *c = mg->collection_def[i]->value;
        assert_int_equal(c->kind_case, TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST);
        assert_int_equal(c->node_list->n_value, 1);
        return c->node_list->value[0];
    }
    fail_msg("collection %s not found", key);
    return NULL;
}

static void check_versions(const meta_graph_t *mg, const char *tf_version, int producer,
                           size_t n_nodes)
{
    assert_string_equal(mg->meta_info_def->tensorflow_version, tf_version);
    assert_non_null(mg->graph_def->versions);
    assert_int_equal(mg->graph_def->versions->producer, producer);
    assert_int_equal(mg->graph_def->n_node, n_nodes);
}

static size_t n_functions(const meta_graph_t *mg)
{
    return mg->graph_def->library ? mg->graph_def->library->n_function : 0;
}

enum { F = TENSORFLOW__DATA_TYPE__DT_FLOAT, S = TENSORFLOW__DATA_TYPE__DT_STRING };
static const char PREDICT[] = "tensorflow/serving/predict";
static const char CLASSIFY[] = "tensorflow/serving/classify";
static const char REGRESS[] = "tensorflow/serving/regress";
static const int64_t B1[] = {-1, 1};

/* models.md 3.1: TF1 graph, five signatures, asset, main op, Snappy bundle. */
static void test_half_plus_two_cpu(void **state)
{
    (void)state;
    saved_model_t *sm = load_model("tfserving/saved_model_half_plus_two_cpu/00000123");
    const meta_graph_t *mg = serve_graph(sm);
    assert_int_equal(sm->saved_model_schema_version, 1);
    check_versions(mg, "1.14.0", 149, 74);
    assert_int_equal(mg->n_signature_def, 5);

    const signature_t *s = find_sig(mg, "serving_default");
    assert_string_equal(s->method_name, PREDICT);
    check_info(sig_in(s, "x"), "x:0", F, 2, B1);
    check_info(sig_out(s, "y"), "y:0", F, 2, B1);
    s = find_sig(mg, "regress_x_to_y2");
    assert_string_equal(s->method_name, REGRESS);
    check_info(sig_in(s, "inputs"), "tf_example:0", S, -1, NULL);
    check_info(sig_out(s, "outputs"), "y2:0", F, 2, B1);
    s = find_sig(mg, "regress_x2_to_y3");
    check_info(sig_in(s, "inputs"), "x2:0", F, 2, B1);
    check_info(sig_out(s, "outputs"), "y3:0", F, 2, B1);
    s = find_sig(mg, "classify_x_to_y");
    assert_string_equal(s->method_name, CLASSIFY);
    assert_int_equal(s->n_outputs, 1);
    check_info(sig_out(s, "scores"), "y:0", F, 2, B1);
    (void)find_sig(mg, "regress_x_to_y");

    assert_string_equal(collection_node(mg, "saved_model_main_op"), "group_deps");
    assert_non_null(mg->saver_def);
    assert_int_equal(mg->saver_def->version, TENSORFLOW__SAVER_DEF__CHECKPOINT_FORMAT_VERSION__V2);

    /* The asset is recorded as an Any-wrapped AssetFileDef (formats.md 3.2). */
    int found = 0;
    for (size_t i = 0; i < mg->n_collection_def; i++) {
        if (strcmp(mg->collection_def[i]->key, "saved_model_assets") != 0)
            continue;
        const Tensorflow__CollectionDef *c = mg->collection_def[i]->value;
        assert_int_equal(c->kind_case, TENSORFLOW__COLLECTION_DEF__KIND_ANY_LIST);
        assert_int_equal(c->any_list->n_value, 1);
        const Google__Protobuf__Any *any = c->any_list->value[0];
        assert_string_equal(any->type_url, "type.googleapis.com/tensorflow.AssetFileDef");
        Tensorflow__AssetFileDef *a =
            tensorflow__asset_file_def__unpack(NULL, any->value.len, any->value.data);
        assert_non_null(a);
        assert_string_equal(a->filename, "foo.txt");
        assert_string_equal(a->tensor_info->name, "Const:0");
        tensorflow__asset_file_def__free_unpacked(a, NULL);
        found = 1;
    }
    assert_true(found);
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.2: TF 1.0 file; signature key equals the method name. */
static void test_half_plus_three(void **state)
{
    (void)state;
    saved_model_t *sm = load_model("tfserving/saved_model_half_plus_three/00000123");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "1.0.0-rc2", 21, 60);
    assert_int_equal(mg->n_signature_def, 2);
    const signature_t *s = find_sig(mg, "serving_default");
    check_info(sig_in(s, "x"), "x:0", F, 0, NULL);
    check_info(sig_out(s, "y"), "y:0", F, 0, NULL);
    s = find_sig(mg, "tensorflow/serving/regress");
    assert_string_equal(s->method_name, REGRESS);
    /* Declared DT_FLOAT although the placeholder is a string (models.md 2.5). */
    check_info(sig_in(s, "inputs"), "tf_example:0", F, 0, NULL);
    check_info(sig_out(s, "outputs"), "Identity:0", F, 0, NULL);
    assert_string_equal(collection_node(mg, "legacy_init_op"), "group_deps");
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.3: both versions decode to the same six signatures. */
static void test_half_plus_two_2_versions(void **state)
{
    (void)state;
    static const char *const versions[] = {"00000123", "00000124"};
    for (int v = 0; v < 2; v++) {
        char rel[128];
        snprintf(rel, sizeof rel, "tfserving/saved_model_half_plus_two_2_versions/%s", versions[v]);
        saved_model_t *sm = load_model(rel);
        const meta_graph_t *mg = serve_graph(sm);
        check_versions(mg, "1.1.0-rc2", 23, 65);
        assert_int_equal(mg->n_signature_def, 6);
        const signature_t *s = find_sig(mg, "classify_x2_to_y3");
        assert_string_equal(s->method_name, CLASSIFY);
        check_info(sig_in(s, "inputs"), "x2:0", F, 2, B1);
        check_info(sig_out(s, "scores"), "y3:0", F, 2, B1);
        (void)find_sig(mg, "regress_x_to_y");
        (void)find_sig(mg, "regress_x_to_y2");
        (void)find_sig(mg, "regress_x2_to_y3");
        (void)find_sig(mg, "classify_x_to_y");
        tensorflow__saved_model__free_unpacked(sm, NULL);
    }
}

/* models.md 3.4: reference dtypes in signatures, no inputs on three of them. */
static void test_counter(void **state)
{
    (void)state;
    saved_model_t *sm = load_model("tfserving/saved_model_counter/00000123");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "1.5.0-rc1", 26, 30);
    assert_int_equal(mg->n_signature_def, 4);
    const signature_t *s = find_sig(mg, "get_counter");
    assert_int_equal(s->n_inputs, 0);
    check_info(sig_out(s, "output"), "counter:0", TENSORFLOW__DATA_TYPE__DT_FLOAT_REF, 0, NULL);
    assert_int_equal(TENSORFLOW__DATA_TYPE__DT_FLOAT_REF, 101);
    s = find_sig(mg, "incr_counter_by");
    check_info(sig_in(s, "delta"), "delta:0", F, -1, NULL);
    check_info(sig_out(s, "output"), "incr_counter_by_op/AssignAdd:0",
               TENSORFLOW__DATA_TYPE__DT_FLOAT_REF, 0, NULL);
    s = find_sig(mg, "reset_counter");
    check_info(sig_out(s, "output"), "reset_counter_op/Assign:0",
               TENSORFLOW__DATA_TYPE__DT_FLOAT_REF, 0, NULL);
    (void)find_sig(mg, "incr_counter");
    assert_string_equal(find_node(mg, "counter")->op, "VariableV2");
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.5: TF2 object graph, function library, asset_file_def, saver. */
static void test_half_plus_two_tf2(void **state)
{
    (void)state;
    saved_model_t *sm = load_model("tfserving/saved_model_half_plus_two_tf2_cpu/00000123");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "2.14.0", 1569, 29);
    assert_int_equal(mg->graph_def->versions->min_consumer, 12);
    assert_int_equal(n_functions(mg), 14);
    assert_int_equal(mg->n_signature_def, 7);
    static const int64_t one[] = {1}, batch[] = {-1};
    const signature_t *s = find_sig(mg, "serving_default");
    assert_string_equal(s->method_name, PREDICT);
    check_info(sig_in(s, "x"), "serving_default_x:0", F, 1, one);
    check_info(sig_out(s, "y"), "StatefulPartitionedCall_5:0", F, 1, one);
    s = find_sig(mg, "classify_x_to_y");
    assert_string_equal(s->method_name, PREDICT);
    check_info(sig_in(s, "inputs"), "classify_x_to_y_inputs:0", S, 1, batch);
    check_info(sig_out(s, "scores"), "StatefulPartitionedCall_1:0", F, 2, B1);
    s = find_sig(mg, "__saved_model_init_op");
    assert_int_equal(s->n_inputs, 0);

    assert_non_null(mg->saver_def);
    assert_string_equal(mg->saver_def->filename_tensor_name, "saver_filename:0");
    assert_string_equal(mg->saver_def->restore_op_name, "StatefulPartitionedCall_7");
    assert_int_equal(mg->n_asset_file_def, 1);
    assert_string_equal(mg->asset_file_def[0]->filename, "foo.txt");
    assert_string_equal(mg->asset_file_def[0]->tensor_info->name, "asset_path_initializer:0");
    assert_non_null(mg->object_graph_def);
    assert_true(mg->object_graph_def->n_nodes > 0);
    assert_true(mg->object_graph_def->n_concrete_functions > 0);

    /* The restore function named in models.md exists in the library. */
    int found = 0;
    for (size_t i = 0; i < n_functions(mg); i++) {
        const Tensorflow__FunctionDef *fn = mg->graph_def->library->function[i];
        assert_non_null(fn->signature);
        if (strcmp(fn->signature->name, "__inference__traced_restore_318") == 0)
            found = 1;
    }
    assert_true(found);
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.6 and 3.7: resource-variable TF1 graph; constants-only graph. */
static void test_empty_config_and_matrix(void **state)
{
    (void)state;
    saved_model_t *sm = load_model(
        "tfserving/saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "2.4.0", 469, 97);
    assert_int_equal(mg->n_signature_def, 6);
    static const int64_t batch[] = {-1};
    check_info(sig_in(find_sig(mg, "regress_x_to_y"), "inputs"), "tf_example:0", S, 1, batch);
    assert_string_equal(find_op(mg, "ParseExampleV2")->op, "ParseExampleV2");
    tensorflow__saved_model__free_unpacked(sm, NULL);

    sm = load_model("tfserving/matrix_half_plus_two/1");
    mg = serve_graph(sm);
    check_versions(mg, "1.2.0-rc2", 24, 6);
    static const int64_t m33[] = {-1, 3, 3};
    const signature_t *s = find_sig(mg, "serving_default");
    check_info(sig_in(s, "x"), "x:0", F, 3, m33);
    check_info(sig_out(s, "y"), "y:0", F, 3, m33);
    /* y = 0.5 x + 2: the two Const values, whichever encoding TF chose. */
    int seen_half = 0, seen_two = 0;
    for (size_t i = 0; i < mg->graph_def->n_node; i++) {
        const node_t *n = mg->graph_def->node[i];
        if (strcmp(n->op, "Const") != 0)
            continue;
        const attr_t *v = find_attr(n, "value");
        assert_int_equal(v->value_case, TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
        const Tensorflow__TensorProto *t = v->tensor;
        assert_int_equal(t->dtype, F);
        float f;
        if (t->n_float_val == 1) {
            f = t->float_val[0];
        } else {
            assert_int_equal(t->tensor_content.len, 4);
            memcpy(&f, t->tensor_content.data, 4);
        }
        seen_half |= f == 0.5f;
        seen_two |= f == 2.0f;
    }
    assert_true(seen_half && seen_two);
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.8: Estimator export, attrs of Bucketize and SparseCross. */
static void test_census_wide_deep(void **state)
{
    (void)state;
    saved_model_t *sm = load_model("estimator/census_wide_deep/1527087570");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "1.8.0", 26, 1226);
    assert_int_equal(mg->n_signature_def, 4);
    static const int64_t b2[] = {-1, 2}, batch[] = {-1};
    const signature_t *s = find_sig(mg, "serving_default");
    assert_string_equal(s->method_name, CLASSIFY);
    check_info(sig_in(s, "inputs"), "input_example_tensor:0", S, 1, batch);
    check_info(sig_out(s, "classes"), "head/Tile:0", S, 2, b2);
    check_info(sig_out(s, "scores"), "head/predictions/probabilities:0", F, 2, b2);
    s = find_sig(mg, "predict");
    assert_string_equal(s->method_name, PREDICT);
    assert_int_equal(s->n_outputs, 5);
    check_info(sig_in(s, "examples"), "input_example_tensor:0", S, 1, batch);
    check_info(sig_out(s, "class_ids"), "head/predictions/ExpandDims:0",
               TENSORFLOW__DATA_TYPE__DT_INT64, 2, B1);
    check_info(sig_out(s, "logits"), "add:0", F, 2, B1);
    s = find_sig(mg, "regression");
    assert_string_equal(s->method_name, REGRESS);
    check_info(sig_out(s, "outputs"), "head/predictions/logistic:0", F, 2, B1);

    assert_string_equal(mg->saver_def->filename_tensor_name, "save_1/Const:0");
    assert_string_equal(mg->saver_def->restore_op_name, "save_1/restore_all");
    assert_string_equal(collection_node(mg, "legacy_init_op"), "group_deps");

    const attr_t *bounds = find_attr(find_op(mg, "Bucketize"), "boundaries");
    assert_int_equal(bounds->value_case, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
    assert_int_equal(bounds->list->n_f, 10);
    for (size_t i = 0; i < 10; i++)
        assert_true(bounds->list->f[i] == (i == 0 ? 18.0f : 25.0f + 5.0f * (float)(i - 1)));
    const node_t *cross = find_op(mg, "SparseCross");
    const attr_t *hk = find_attr(cross, "hash_key");
    assert_int_equal(hk->value_case, TENSORFLOW__ATTR_VALUE__VALUE_I);
    assert_int_equal(hk->i, 956888297470LL);
    assert_int_equal(find_attr(cross, "num_buckets")->i, 1000);
    assert_true(find_attr(cross, "hashed_output")->b);
    assert_int_equal(find_attr(cross, "out_type")->type, TENSORFLOW__DATA_TYPE__DT_INT64);
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

/* models.md 3.9 - 3.13: the remaining Estimator and Keras exports. */
static void test_other_exports(void **state)
{
    (void)state;
    static const int64_t b3[] = {-1, 3}, batch[] = {-1}, b5[] = {-1, 5};

    saved_model_t *sm = load_model("estimator/iris_linear/1");
    const meta_graph_t *mg = serve_graph(sm);
    check_versions(mg, "1.5.0", 24, 213);
    assert_int_equal(mg->n_signature_def, 3);
    check_info(sig_out(find_sig(mg, "classification"), "classes"), "linear/head/Tile:0", S, 2, b3);
    check_info(sig_out(find_sig(mg, "predict"), "logits"), "linear/linear_model/weighted_sum:0", F,
               2, b3);
    tensorflow__saved_model__free_unpacked(sm, NULL);

    sm = load_model("estimator/taxi_dnn/1");
    mg = serve_graph(sm);
    check_versions(mg, "1.8.0", 26, 1377);
    check_info(sig_out(find_sig(mg, "predict"), "logits"), "dnn/logits/BiasAdd:0", F, 2, B1);
    tensorflow__saved_model__free_unpacked(sm, NULL);

    sm = load_model("estimator/taxi_wide_deep_tft/1646034756");
    mg = serve_graph(sm);
    check_versions(mg, "2.9.0-dev20220227", 1054, 1337);
    assert_int_equal(n_functions(mg), 76);
    assert_null(mg->object_graph_def);
    const signature_t *s = find_sig(mg, "predict");
    assert_int_equal(s->n_outputs, 7);
    check_info(sig_out(s, "all_class_ids"), "head/predictions/Tile:0",
               TENSORFLOW__DATA_TYPE__DT_INT32, 2, (const int64_t[]){-1, 2});
    assert_string_equal(collection_node(mg, "saved_model_main_op"), "group_deps");
    tensorflow__saved_model__free_unpacked(sm, NULL);

    sm = load_model("keras/iris_keras/8");
    mg = serve_graph(sm);
    check_versions(mg, "2.3.0", 440, 76);
    assert_int_equal(n_functions(mg), 37);
    assert_int_equal(mg->n_signature_def, 2);
    s = find_sig(mg, "serving_default");
    check_info(sig_in(s, "examples"), "serving_default_examples:0", S, 1, batch);
    check_info(sig_out(s, "output_0"), "StatefulPartitionedCall:0", F, 2, b3);
    assert_string_equal(mg->saver_def->restore_op_name, "StatefulPartitionedCall_2");
    tensorflow__saved_model__free_unpacked(sm, NULL);

    sm = load_model("keras/keras_single_input/1");
    mg = serve_graph(sm);
    check_versions(mg, "2.3.0", 440, 61);
    assert_int_equal(n_functions(mg), 23);
    s = find_sig(mg, "serving_default");
    check_info(sig_in(s, "test_in_input"), "serving_default_test_in_input:0", F, 2, b5);
    check_info(sig_out(s, "test_out"), "StatefulPartitionedCall:0", F, 2, B1);
    tensorflow__saved_model__free_unpacked(sm, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_plus_two_cpu),
        cmocka_unit_test(test_half_plus_three),
        cmocka_unit_test(test_half_plus_two_2_versions),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_half_plus_two_tf2),
        cmocka_unit_test(test_empty_config_and_matrix),
        cmocka_unit_test(test_census_wide_deep),
        cmocka_unit_test(test_other_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
