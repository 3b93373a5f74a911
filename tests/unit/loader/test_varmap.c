/*
 * test_varmap.c - variable -> checkpoint key bindings found by interpreting
 * the saver's restore subgraph (models.md §2 key fact 3), on every fixture:
 * plain TF1, Estimator partitioned `part_0` variables with slice specs, two
 * savers in one graph, one RestoreV2 per variable, TF1 resource variables,
 * and TF2 restore functions. Values read through the bindings are compared
 * with the documented checkpoint values. Synthetic graphs cover the error
 * paths (missing restore op, non-variable targets, cycles, recursion).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "loader/savedmodel_int.h"
#include "tests/unit/test_util.h"

#define HP2 "models/tfserving/saved_model_half_plus_two_cpu/00000123"
#define HP2_TF2 "models/tfserving/saved_model_half_plus_two_tf2_cpu/00000123"
#define HP2_RES                                                                                    \
    "models/tfserving/saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123"
#define CENSUS "models/estimator/census_wide_deep/1527087570"
#define IRIS_LIN "models/estimator/iris_linear/1"
#define TAXI_DNN "models/estimator/taxi_dnn/1"
#define TAXI_TFT "models/estimator/taxi_wide_deep_tft/1646034756"
#define KERAS1 "models/keras/keras_single_input/1"
#define IRIS_KERAS "models/keras/iris_keras/8"
#define OBJ_GRAPH "_CHECKPOINTABLE_OBJECT_GRAPH"
#define VV "/.ATTRIBUTES/VARIABLE_VALUE"

static ldr_saved_model *open_ok(const char *rel)
{
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr_saved_model_open(tsd_test_path(rel), NULL, 0, &sm, &st) != TSD_OK)
        fail_msg("%s: %s", rel, st.msg);
    return sm;
}

static const ldr_var_binding *by_node(const ldr_saved_model *sm, const char *node)
{
    for (size_t i = 0; i < ldr_saved_model_num_vars(sm); i++)
        if (strcmp(ldr_saved_model_var(sm, i)->node, node) == 0)
            return ldr_saved_model_var(sm, i);
    return NULL;
}

static const ldr_var_binding *by_key(const ldr_saved_model *sm, const char *key)
{
    for (size_t i = 0; i < ldr_saved_model_num_vars(sm); i++)
        if (strcmp(ldr_saved_model_var(sm, i)->key, key) == 0)
            return ldr_saved_model_var(sm, i);
    return NULL;
}

static const char *node_op(const ldr_saved_model *sm, const char *node)
{
    const Tensorflow__GraphDef *g = ldr__saved_model_meta_graph(sm)->graph_def;
    for (size_t i = 0; i < g->n_node; i++)
        if (strcmp(g->node[i]->name, node) == 0)
            return g->node[i]->op;
    return NULL;
}

/*
 * Invariants for every fixture with variables: each bundle key except the
 * object graph is bound exactly once, each binding names a bundle key and a
 * variable node of the main graph, bindings are sorted by node.
 */
static void check_complete(ldr_saved_model *sm, size_t want, const char *var_op)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle(sm, &st);
    if (!b)
        fail_msg("bundle of %s: %s", ldr_saved_model_dir(sm), st.msg);
    size_t n = ldr_saved_model_num_vars(sm);
    assert_int_equal(n, want);
    size_t keys = 0;
    for (size_t i = 0; i < ldr_bundle_num_entries(b); i++) {
        const char *key = ldr_bundle_entry_at(b, i)->key;
        if (strcmp(key, OBJ_GRAPH) == 0)
            continue;
        keys++;
        size_t bound = 0;
        for (size_t j = 0; j < n; j++)
            bound += strcmp(ldr_saved_model_var(sm, j)->key, key) == 0;
        if (bound != 1)
            fail_msg("key '%s' bound %zu times", key, bound);
    }
    assert_int_equal(keys, n);
    for (size_t j = 0; j < n; j++) {
        const ldr_var_binding *v = ldr_saved_model_var(sm, j);
        assert_non_null(ldr_bundle_find(b, v->key));
        const char *op = node_op(sm, v->node);
        if (!op)
            fail_msg("binding node '%s' is not in the graph", v->node);
        if (var_op && strcmp(op, var_op) != 0 && strcmp(v->key, "global_step") != 0)
            fail_msg("node '%s' is a %s, expected %s", v->node, op, var_op);
        if (j)
            assert_true(strcmp(ldr_saved_model_var(sm, j - 1)->node, v->node) < 0);
    }
    assert_null(ldr_saved_model_var(sm, n));
}

/* Read a binding's value as doubles (float or int64 tensors). */
static void read_values(ldr_saved_model *sm, const ldr_var_binding *v, double *out, size_t n)
{
    assert_non_null(v);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle(sm, &st);
    assert_non_null(b);
    eng_tensor t;
    memset(&t, 0, sizeof t);
    if (ldr_bundle_read_slice(b, v->key, v->slice, &t, &st) != TSD_OK)
        fail_msg("read '%s' [%s]: %s", v->key, v->slice, st.msg);
    assert_int_equal(eng_tensor_num_elements(&t), (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        if (t.dtype == ENG_DT_FLOAT)
            out[i] = ((const float *)t.data)[i];
        else if (t.dtype == ENG_DT_INT64)
            out[i] = (double)((const int64_t *)t.data)[i];
        else
            fail_msg("'%s': unexpected dtype %d", v->key, (int)t.dtype);
    }
    eng_tensor_free_data(&t);
}

static void check_values(ldr_saved_model *sm, const ldr_var_binding *v, const double *want,
                         size_t n, double tol)
{
    double got[16];
    assert_true(n <= 16);
    read_values(sm, v, got, n);
    for (size_t i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > tol)
            fail_msg("'%s'[%zu] = %g, expected %g", v->key, i, got[i], want[i]);
}

static void check_scalar(ldr_saved_model *sm, const ldr_var_binding *v, double want, double tol)
{
    check_values(sm, v, &want, 1, tol);
}

/* ---- TF1 plain variables ---------------------------------------------------------- */

static void test_half_plus_two_family(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "a2", "b", "c", "c2"};
    static const double vals[] = {0.5, 0.5, 2.0, 3.0, 3.0};
    const char *dirs[] = {HP2, HP2_RES};
    const char *ops[] = {"VariableV2", "VarHandleOp"};
    for (size_t d = 0; d < 2; d++) {
        ldr_saved_model *sm = open_ok(dirs[d]);
        check_complete(sm, 5, ops[d]);
        for (size_t i = 0; i < 5; i++) {
            const ldr_var_binding *v = ldr_saved_model_var(sm, i);
            assert_string_equal(v->node, names[i]);
            assert_string_equal(v->key, names[i]);
            assert_string_equal(v->slice, "");
            check_scalar(sm, v, vals[i], 0.0);
        }
        ldr_saved_model_free(sm);
    }

    /* the older variants: a, b, c only (§3.2, §3.3); counter (§3.4) */
    static const char *const three[] = {
        "models/tfserving/saved_model_half_plus_three/00000123",
        "models/tfserving/saved_model_half_plus_two_2_versions/00000124",
    };
    static const double three_vals[2][3] = {{0.5, 3.0, 3.0}, {0.5, 2.0, 3.0}};
    for (size_t d = 0; d < 2; d++) {
        ldr_saved_model *sm = open_ok(three[d]);
        check_complete(sm, 3, "VariableV2");
        for (size_t i = 0; i < 3; i++) {
            const char *nm = (const char *[]){"a", "b", "c"}[i];
            const ldr_var_binding *v = by_node(sm, nm);
            assert_non_null(v);
            assert_string_equal(v->key, nm);
            check_scalar(sm, v, three_vals[d][i], 0.0);
        }
        ldr_saved_model_free(sm);
    }
    ldr_saved_model *sm = open_ok("models/tfserving/saved_model_counter/00000123");
    check_complete(sm, 1, "VariableV2");
    assert_string_equal(ldr_saved_model_var(sm, 0)->node, "counter");
    check_scalar(sm, ldr_saved_model_var(sm, 0), 0.0, 0.0);
    ldr_saved_model_free(sm);

    /* no variables/ directory: no bindings, no bundle */
    sm = open_ok("models/tfserving/matrix_half_plus_two/1");
    assert_int_equal(ldr_saved_model_num_vars(sm), 0);
    ldr_saved_model_free(sm);
}

/* ---- Estimator partitioned variables ---------------------------------------------- */

/* "<dims> 0,d0:0,d1" for a tensor partitioned into a single part. */
static void whole_slice(char *buf, size_t len, const int64_t *dims, int rank)
{
    size_t off = 0;
    for (int i = 0; i < rank; i++)
        off += (size_t)snprintf(buf + off, len - off, "%lld ", (long long)dims[i]);
    for (int i = 0; i < rank; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s0,%lld", i ? ":" : "", (long long)dims[i]);
}

typedef struct part_var {
    const char *key;
    int rank;
    int64_t dims[2];
} part_var;

static void check_partitioned(ldr_saved_model *sm, const part_var *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char node[512], slice[128];
        snprintf(node, sizeof node, "%s/part_0", vars[i].key);
        whole_slice(slice, sizeof slice, vars[i].dims, vars[i].rank);
        const ldr_var_binding *v = by_node(sm, node);
        if (!v)
            fail_msg("no binding for node '%s'", node);
        assert_string_equal(v->key, vars[i].key);
        assert_string_equal(v->slice, slice);
    }
    const ldr_var_binding *gs = by_node(sm, "global_step");
    assert_non_null(gs);
    assert_string_equal(gs->key, "global_step");
    assert_string_equal(gs->slice, "");
}

static void test_census(void **state)
{
    (void)state;
    static const part_var vars[] = {
        {"dnn/hiddenlayer_0/kernel", 2, {51, 100}},
        {"dnn/hiddenlayer_0/bias", 1, {100}},
        {"dnn/hiddenlayer_1/kernel", 2, {100, 75}},
        {"dnn/hiddenlayer_1/bias", 1, {75}},
        {"dnn/hiddenlayer_2/kernel", 2, {75, 50}},
        {"dnn/hiddenlayer_2/bias", 1, {50}},
        {"dnn/hiddenlayer_3/kernel", 2, {50, 25}},
        {"dnn/hiddenlayer_3/bias", 1, {25}},
        {"dnn/input_from_feature_columns/input_layer/occupation_embedding/embedding_weights",
         2,
         {1000, 8}},
        {"dnn/logits/kernel", 2, {25, 1}},
        {"dnn/logits/bias", 1, {1}},
        {"linear/linear_model/age_bucketized/weights", 2, {11, 1}},
        {"linear/linear_model/age_bucketized_X_education_X_occupation/weights", 2, {1000, 1}},
        {"linear/linear_model/bias_weights", 1, {1}},
        {"linear/linear_model/education/weights", 2, {16, 1}},
        {"linear/linear_model/education_X_occupation/weights", 2, {1000, 1}},
        {"linear/linear_model/marital_status/weights", 2, {7, 1}},
        {"linear/linear_model/occupation/weights", 2, {1000, 1}},
        {"linear/linear_model/relationship/weights", 2, {6, 1}},
        {"linear/linear_model/workclass/weights", 2, {9, 1}},
    };
    ldr_saved_model *sm = open_ok(CENSUS);
    /* 20 partitioned variables + global_step = the 21 bundle entries (§3.8) */
    check_complete(sm, 21, "VariableV2");
    check_partitioned(sm, vars, sizeof vars / sizeof vars[0]);
    /* the graph has two savers; saver_def names save_1, whose Assigns are used */
    const ldr_var_binding *v = by_node(sm, "dnn/hiddenlayer_0/kernel/part_0");
    assert_string_equal(v->slice, "51 100 0,51:0,100");
    check_scalar(sm, by_node(sm, "dnn/logits/bias/part_0"), -0.0518, 1e-4);
    check_scalar(sm, by_node(sm, "linear/linear_model/bias_weights/part_0"), -0.2592, 1e-4);
    check_scalar(sm, by_node(sm, "global_step"), 32580, 0);
    double k0[51 * 100];
    read_values(sm, v, k0, 51 * 100);
    ldr_saved_model_free(sm);
}

static void test_iris_linear(void **state)
{
    (void)state;
    static const part_var vars[] = {
        {"linear/linear_model/bias_weights", 1, {3}},
        {"linear/linear_model/petal_length/weights", 2, {1, 3}},
        {"linear/linear_model/petal_width/weights", 2, {1, 3}},
        {"linear/linear_model/sepal_length/weights", 2, {1, 3}},
        {"linear/linear_model/sepal_width/weights", 2, {1, 3}},
    };
    ldr_saved_model *sm = open_ok(IRIS_LIN);
    check_complete(sm, 6, "VariableV2");
    check_partitioned(sm, vars, 5);
    assert_string_equal(by_node(sm, "linear/linear_model/petal_length/weights/part_0")->slice,
                        "1 3 0,1:0,3");
    const double bias[] = {-0.2493, 0.3335, -0.1134};
    const double petal_length[] = {-0.519, 0.1114, 0.6456};
    const double sepal_width[] = {0.7347, -0.5926, -0.0294};
    check_values(sm, by_node(sm, "linear/linear_model/bias_weights/part_0"), bias, 3, 1e-4);
    check_values(sm, by_node(sm, "linear/linear_model/petal_length/weights/part_0"), petal_length,
                 3, 1e-4);
    check_values(sm, by_node(sm, "linear/linear_model/sepal_width/weights/part_0"), sepal_width, 3,
                 1e-4);
    check_scalar(sm, by_node(sm, "global_step"), 12, 0);
    ldr_saved_model_free(sm);
}

static void test_taxi_dnn(void **state)
{
    (void)state;
    static const part_var vars[] = {
        {"dnn/hiddenlayer_0/kernel", 2, {81, 100}}, {"dnn/hiddenlayer_0/bias", 1, {100}},
        {"dnn/hiddenlayer_1/kernel", 2, {100, 70}}, {"dnn/hiddenlayer_1/bias", 1, {70}},
        {"dnn/hiddenlayer_2/kernel", 2, {70, 48}},  {"dnn/hiddenlayer_2/bias", 1, {48}},
        {"dnn/hiddenlayer_3/kernel", 2, {48, 34}},  {"dnn/hiddenlayer_3/bias", 1, {34}},
        {"dnn/logits/kernel", 2, {34, 1}},          {"dnn/logits/bias", 1, {1}},
    };
    ldr_saved_model *sm = open_ok(TAXI_DNN);
    check_complete(sm, 11, "VariableV2");
    check_partitioned(sm, vars, 10);
    assert_string_equal(by_node(sm, "dnn/hiddenlayer_0/kernel/part_0")->slice, "81 100 0,81:0,100");
    check_scalar(sm, by_node(sm, "dnn/logits/bias/part_0"), -0.0142, 1e-4);
    check_scalar(sm, by_node(sm, "global_step"), 469, 0);
    ldr_saved_model_free(sm);
}

/* TF1 graph with resource variables and no part_0 nodes (§3.11). */
static void test_taxi_wide_deep_tft(void **state)
{
    (void)state;
    ldr_saved_model *sm = open_ok(TAXI_TFT);
    check_complete(sm, 21, "VarHandleOp");
    for (size_t i = 0; i < ldr_saved_model_num_vars(sm); i++) {
        const ldr_var_binding *v = ldr_saved_model_var(sm, i);
        assert_string_equal(v->node, v->key);
        assert_string_equal(v->slice, "");
    }
    check_scalar(sm, by_node(sm, "dnn/logits/bias"), -0.0689, 1e-4);
    check_scalar(sm, by_node(sm, "linear/linear_model/bias_weights"), -0.1486, 1e-4);
    check_scalar(sm, by_node(sm, "global_step"), 1000, 0);
    double company[1010];
    read_values(sm, by_node(sm, "linear/linear_model/company_xf/weights"), company, 1010);
    ldr_saved_model_free(sm);
}

/* ---- TF2 object graphs: the __inference__traced_restore function ------------------- */

static void test_tf2_half_plus_two(void **state)
{
    (void)state;
    ldr_saved_model *sm = open_ok(HP2_TF2);
    check_complete(sm, 3, "VarHandleOp");
    static const char *const keys[] = {"a" VV, "b" VV, "c" VV};
    static const double vals[] = {0.5, 2.0, 3.0};
    for (size_t i = 0; i < 3; i++) {
        const ldr_var_binding *v = by_key(sm, keys[i]);
        assert_non_null(v);
        assert_string_equal(v->slice, "");
        check_scalar(sm, v, vals[i], 0.0);
    }
    assert_null(by_key(sm, OBJ_GRAPH));
    ldr_saved_model_free(sm);
}

static void test_keras(void **state)
{
    (void)state;
    ldr_saved_model *sm = open_ok(KERAS1);
    check_complete(sm, 27, "VarHandleOp");
    check_scalar(sm, by_key(sm, "layer_with_weights-2/bias" VV), 0.001, 1e-6);
    check_scalar(sm, by_key(sm, "optimizer/iter" VV), 1, 0);
    check_scalar(sm, by_key(sm, "optimizer/beta_1" VV), 0.9, 1e-6);
    check_scalar(sm, by_key(sm, "keras_api/metrics/1/total" VV), 1.0, 1e-6);
    double k[25];
    read_values(sm, by_key(sm, "layer_with_weights-0/kernel" VV), k, 25);
    read_values(sm, by_key(sm, "layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m" VV), k,
                25);
    ldr_saved_model_free(sm);

    sm = open_ok(IRIS_KERAS);
    check_complete(sm, 33, "VarHandleOp");
    const double bias[] = {-0.4401, 0.6678, -0.1931};
    check_values(sm, by_key(sm, "layer_with_weights-3/bias" VV), bias, 3, 1e-4);
    check_scalar(sm, by_key(sm, "optimizer/iter" VV), 100, 0);
    check_scalar(sm, by_key(sm, "optimizer/learning_rate" VV), 0.01, 1e-6);
    check_scalar(sm, by_key(sm, "keras_api/metrics/0/count" VV), 50, 0);
    ldr_saved_model_free(sm);
}

/* ---- synthetic graphs ----------------------------------------------------------------- */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    assert_non_null(p);
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* A node list being built (graph or function body). */
typedef struct nodes {
    Tensorflow__NodeDef **v;
    size_t n;
} nodes;

static Tensorflow__NodeDef *add_node(nodes *ns, const char *name, const char *op, int nin, ...)
{
    Tensorflow__NodeDef *nd = xcalloc(1, sizeof *nd);
    tensorflow__node_def__init(nd);
    nd->name = xstrdup(name);
    nd->op = xstrdup(op);
    nd->n_input = (size_t)nin;
    nd->input = xcalloc(nin ? (size_t)nin : 1, sizeof(char *));
    va_list ap;
    va_start(ap, nin);
    for (int i = 0; i < nin; i++)
        nd->input[i] = xstrdup(va_arg(ap, const char *));
    va_end(ap);
    ns->v = realloc(ns->v, (ns->n + 1) * sizeof *ns->v);
    assert_non_null(ns->v);
    ns->v[ns->n++] = nd;
    return nd;
}

static void set_attr(Tensorflow__NodeDef *nd, const char *key, Tensorflow__AttrValue *v)
{
    Tensorflow__NodeDef__AttrEntry *e = xcalloc(1, sizeof *e);
    tensorflow__node_def__attr_entry__init(e);
    e->key = xstrdup(key);
    e->value = v;
    nd->attr = realloc(nd->attr, (nd->n_attr + 1) * sizeof *nd->attr);
    assert_non_null(nd->attr);
    nd->attr[nd->n_attr++] = e;
}

/* A string Const of shape [count] holding n values. */
static void add_strings(nodes *ns, const char *name, int64_t count, size_t n, ...)
{
    Tensorflow__NodeDef *nd = add_node(ns, name, "Const", 0);
    Tensorflow__TensorProto *t = xcalloc(1, sizeof *t);
    tensorflow__tensor_proto__init(t);
    t->dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
    Tensorflow__TensorShapeProto *sh = xcalloc(1, sizeof *sh);
    tensorflow__tensor_shape_proto__init(sh);
    sh->n_dim = 1;
    sh->dim = xcalloc(1, sizeof *sh->dim);
    sh->dim[0] = xcalloc(1, sizeof **sh->dim);
    tensorflow__tensor_shape_proto__dim__init(sh->dim[0]);
    sh->dim[0]->size = count;
    t->tensor_shape = sh;
    t->n_string_val = n;
    t->string_val = xcalloc(n ? n : 1, sizeof *t->string_val);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        t->string_val[i].len = strlen(s);
        t->string_val[i].data = (uint8_t *)xstrdup(s);
    }
    va_end(ap);
    Tensorflow__AttrValue *v = xcalloc(1, sizeof *v);
    tensorflow__attr_value__init(v);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
    v->tensor = t;
    set_attr(nd, "value", v);
}

static void set_func(Tensorflow__NodeDef *nd, const char *fname)
{
    Tensorflow__NameAttrList *f = xcalloc(1, sizeof *f);
    tensorflow__name_attr_list__init(f);
    f->name = xstrdup(fname);
    Tensorflow__AttrValue *v = xcalloc(1, sizeof *v);
    tensorflow__attr_value__init(v);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_FUNC;
    v->func = f;
    set_attr(nd, "f", v);
}

/* A MetaGraphDef whose graph holds `g` and whose saver restores with `restore_op`. */
static Tensorflow__MetaGraphDef *make_mg(nodes *g, const char *restore_op)
{
    Tensorflow__MetaGraphDef *mg = xcalloc(1, sizeof *mg);
    tensorflow__meta_graph_def__init(mg);
    Tensorflow__GraphDef *gd = xcalloc(1, sizeof *gd);
    tensorflow__graph_def__init(gd);
    gd->n_node = g->n;
    gd->node = g->v;
    mg->graph_def = gd;
    Tensorflow__SaverDef *sd = xcalloc(1, sizeof *sd);
    tensorflow__saver_def__init(sd);
    sd->restore_op_name = xstrdup(restore_op);
    mg->saver_def = sd;
    return mg;
}

/* Add a function with the given argument names and body to mg's library. */
static void add_function(Tensorflow__MetaGraphDef *mg, const char *name, nodes *body, int nargs,
                         ...)
{
    Tensorflow__GraphDef *gd = mg->graph_def;
    if (!gd->library) {
        gd->library = xcalloc(1, sizeof *gd->library);
        tensorflow__function_def_library__init(gd->library);
    }
    Tensorflow__FunctionDef *f = xcalloc(1, sizeof *f);
    tensorflow__function_def__init(f);
    Tensorflow__OpDef *sig = xcalloc(1, sizeof *sig);
    tensorflow__op_def__init(sig);
    sig->name = xstrdup(name);
    sig->n_input_arg = (size_t)nargs;
    sig->input_arg = xcalloc(nargs ? (size_t)nargs : 1, sizeof *sig->input_arg);
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++) {
        sig->input_arg[i] = xcalloc(1, sizeof **sig->input_arg);
        tensorflow__op_def__arg_def__init(sig->input_arg[i]);
        sig->input_arg[i]->name = xstrdup(va_arg(ap, const char *));
    }
    va_end(ap);
    f->signature = sig;
    f->n_node_def = body->n;
    f->node_def = body->v;
    Tensorflow__FunctionDefLibrary *lib = gd->library;
    lib->function = realloc(lib->function, (lib->n_function + 1) * sizeof *lib->function);
    assert_non_null(lib->function);
    lib->function[lib->n_function++] = f;
}

/* Build bindings; on success check there is one binding equal to (node, key, slice). */
static tsd_code build(Tensorflow__MetaGraphDef *mg, tsd_status *st, const char *node,
                      const char *key, const char *slice)
{
    ldr_var_binding *v = (ldr_var_binding *)0x1;
    size_t n = 99;
    tsd_code rc = ldr__varmap_build(mg, &v, &n, st);
    if (rc == TSD_OK && node) {
        assert_int_equal(n, 1);
        assert_string_equal(v[0].node, node);
        assert_string_equal(v[0].key, key);
        assert_string_equal(v[0].slice, slice);
    }
    if (rc != TSD_OK) {
        assert_null(v);
        assert_int_equal(n, 0);
    }
    ldr__varmap_free(v, n);
    tensorflow__meta_graph_def__free_unpacked(mg, NULL);
    return rc;
}

/* A TF1 restore graph: v <- key "k_v" via Identity, plus a second, unused saver. */
static void tf1_graph(nodes *g, const char *var_op, const char *assign_target)
{
    add_node(g, "v", var_op, 0);
    add_node(g, "file", "Const", 0);
    add_strings(g, "save/names", 1, 1, "k_v");
    add_strings(g, "save/slices", 1, 0); /* no stored value: "" */
    add_node(g, "save/RestoreV2", "RestoreV2", 3, "file", "save/names", "save/slices");
    add_node(g, "save/Identity", "Identity", 1, "save/RestoreV2:0");
    add_node(g, "save/Assign", "Assign", 2, assign_target, "save/Identity");
    add_node(g, "save/restore_all", "NoOp", 1, "^save/Assign");
    /* the other saver assigns v from another key; it is not reachable */
    add_strings(g, "save_1/names", 1, 1, "other");
    add_strings(g, "save_1/slices", 1, 1, "");
    add_node(g, "save_1/RestoreV2", "RestoreV2", 3, "file", "save_1/names", "save_1/slices");
    add_node(g, "save_1/Assign", "Assign", 2, "v", "save_1/RestoreV2");
    add_node(g, "save_1/restore_all", "NoOp", 1, "^save_1/Assign");
}

static void test_synthetic_tf1(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    Tensorflow__MetaGraphDef *mg;
    nodes g = {0};
    tf1_graph(&g, "VariableV2", "v");
    assert_int_equal(build(make_mg(&g, "save/restore_all"), &st, "v", "k_v", ""), TSD_OK);

    g = (nodes){0};
    tf1_graph(&g, "VariableV2", "v");
    assert_int_equal(build(make_mg(&g, "save_1/restore_all:0"), &st, "v", "other", ""), TSD_OK);

    /* a variable partitioned into two parts: one binding per part, same key */
    g = (nodes){0};
    add_node(&g, "w/part_0", "VariableV2", 0);
    add_node(&g, "w/part_1", "VariableV2", 0);
    add_strings(&g, "names", 2, 2, "w", "w");
    add_strings(&g, "slices", 2, 2, "4 2 0,2:0,2", "4 2 2,2:0,2");
    add_node(&g, "rst", "RestoreV2", 3, "file", "names", "slices");
    add_node(&g, "asg1", "Assign", 2, "w/part_1", "rst:1");
    add_node(&g, "asg0", "Assign", 2, "w/part_0", "rst");
    add_node(&g, "restore_all", "NoOp", 2, "^asg1", "^asg0");
    mg = make_mg(&g, "restore_all");
    ldr_var_binding *parts = NULL;
    size_t nparts = 0;
    assert_int_equal(ldr__varmap_build(mg, &parts, &nparts, &st), TSD_OK);
    assert_int_equal(nparts, 2);
    assert_string_equal(parts[0].node, "w/part_0");
    assert_string_equal(parts[0].slice, "4 2 0,2:0,2");
    assert_string_equal(parts[1].node, "w/part_1");
    assert_string_equal(parts[1].key, "w");
    assert_string_equal(parts[1].slice, "4 2 2,2:0,2");
    ldr__varmap_free(parts, nparts);
    tensorflow__meta_graph_def__free_unpacked(mg, NULL);

    /* no saver_def: no bindings */
    g = (nodes){0};
    tf1_graph(&g, "VariableV2", "v");
    mg = make_mg(&g, "save/restore_all");
    tensorflow__saver_def__free_unpacked(mg->saver_def, NULL);
    mg->saver_def = NULL;
    ldr_var_binding *v = NULL;
    size_t n = 5;
    assert_int_equal(ldr__varmap_build(mg, &v, &n, &st), TSD_OK);
    assert_int_equal(n, 0);
    tensorflow__meta_graph_def__free_unpacked(mg, NULL);
}

static void test_synthetic_tf1_errors(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;

    nodes g = {0};
    tf1_graph(&g, "VariableV2", "v");
    assert_int_equal(build(make_mg(&g, "save/missing"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "save/missing"));

    /* assigning into something that is not a variable */
    g = (nodes){0};
    tf1_graph(&g, "Const", "v");
    assert_int_equal(build(make_mg(&g, "save/restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "save/Assign"));
    assert_non_null(strstr(st.msg, "'v'"));

    /* an input naming no node */
    g = (nodes){0};
    tf1_graph(&g, "VariableV2", "ghost");
    assert_int_equal(build(make_mg(&g, "save/restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "ghost"));

    /* RestoreV2 output beyond its tensor_names */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_strings(&g, "names", 1, 1, "k");
    add_strings(&g, "slices", 1, 1, "");
    add_node(&g, "rst", "RestoreV2", 3, "file", "names", "slices");
    add_node(&g, "asg", "Assign", 2, "v", "rst:3");
    add_node(&g, "restore_all", "NoOp", 1, "^asg");
    assert_int_equal(build(make_mg(&g, "restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "rst"));

    /* tensor_names that is not a Const */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_node(&g, "names", "Placeholder", 0);
    add_strings(&g, "slices", 1, 1, "");
    add_node(&g, "rst", "RestoreV2", 3, "file", "names", "slices");
    add_node(&g, "asg", "Assign", 2, "v", "rst");
    add_node(&g, "restore_all", "NoOp", 1, "^asg");
    assert_int_equal(build(make_mg(&g, "restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "'names'"));

    /* more stored values than the shape holds */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_strings(&g, "names", 1, 2, "k", "extra");
    add_strings(&g, "slices", 1, 1, "");
    add_node(&g, "rst", "RestoreV2", 3, "file", "names", "slices");
    add_node(&g, "asg", "Assign", 2, "v", "rst");
    add_node(&g, "restore_all", "NoOp", 1, "^asg");
    assert_int_equal(build(make_mg(&g, "restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);

    /* an Identity cycle ends with an error, not a hang */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_node(&g, "id1", "Identity", 1, "id2");
    add_node(&g, "id2", "Identity", 1, "id1");
    add_node(&g, "asg", "Assign", 2, "v", "id1");
    add_node(&g, "restore_all", "NoOp", 1, "^asg");
    assert_int_equal(build(make_mg(&g, "restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "Identity chain"));

    /* one variable restored from two different keys */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_strings(&g, "names", 2, 2, "k1", "k2");
    add_strings(&g, "slices", 2, 2, "", "");
    add_node(&g, "rst", "RestoreV2", 3, "file", "names", "slices");
    add_node(&g, "asg0", "Assign", 2, "v", "rst:0");
    add_node(&g, "asg1", "Assign", 2, "v", "rst:1");
    add_node(&g, "restore_all", "NoOp", 2, "^asg0", "^asg1");
    assert_int_equal(build(make_mg(&g, "restore_all"), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "'v'"));

    /* an Assign whose value does not come from RestoreV2 is not a binding */
    g = (nodes){0};
    add_node(&g, "v", "VariableV2", 0);
    add_node(&g, "init", "Const", 0);
    add_node(&g, "asg", "Assign", 2, "v", "init");
    add_node(&g, "restore_all", "NoOp", 1, "^asg");
    ldr_var_binding *vb = NULL;
    size_t n = 7;
    Tensorflow__MetaGraphDef *mg = make_mg(&g, "restore_all");
    assert_int_equal(ldr__varmap_build(mg, &vb, &n, &st), TSD_OK);
    assert_int_equal(n, 0);
    tensorflow__meta_graph_def__free_unpacked(mg, NULL);
}

/* The TF2 shape: outer VarHandleOp -> call(restore fn) -> AssignVariableOp(arg). */
static Tensorflow__MetaGraphDef *tf2_graph(const char *fname, int call_inputs)
{
    nodes g = {0};
    add_node(&g, "saver_filename", "Placeholder", 0);
    add_node(&g, "w", "VarHandleOp", 0);
    Tensorflow__NodeDef *call;
    if (call_inputs == 2)
        call = add_node(&g, "StatefulPartitionedCall_7", "StatefulPartitionedCall", 3,
                        "saver_filename", "^saver_filename", "w");
    else
        call = add_node(&g, "StatefulPartitionedCall_7", "StatefulPartitionedCall", 1,
                        "saver_filename");
    set_func(call, fname);
    Tensorflow__MetaGraphDef *mg = make_mg(&g, "StatefulPartitionedCall_7");
    nodes body = {0};
    add_strings(&body, "RestoreV2/tensor_names", 2, 2, OBJ_GRAPH, "w" VV);
    add_strings(&body, "RestoreV2/shape_and_slices", 2, 2, "", "");
    add_node(&body, "RestoreV2", "RestoreV2", 3, "file_prefix", "RestoreV2/tensor_names:output:0",
             "RestoreV2/shape_and_slices:output:0");
    add_node(&body, "Identity", "Identity", 1, "RestoreV2:tensors:1");
    add_node(&body, "AssignVariableOp", "AssignVariableOp", 3, "assignvariableop_w",
             "Identity:output:0", "^RestoreV2");
    add_function(mg, "__inference__traced_restore_9", &body, 2, "file_prefix",
                 "assignvariableop_w");
    return mg;
}

static void test_synthetic_tf2(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(build(tf2_graph("__inference__traced_restore_9", 2), &st, "w", "w" VV, ""),
                     TSD_OK);

    /* the call lacks the variable input of argument 1 */
    assert_int_equal(build(tf2_graph("__inference__traced_restore_9", 1), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "argument 1"));
    assert_non_null(strstr(st.msg, "AssignVariableOp"));

    /* unknown function */
    assert_int_equal(build(tf2_graph("__inference_nope", 2), &st, NULL, NULL, NULL),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "__inference_nope"));
    assert_non_null(strstr(st.msg, "StatefulPartitionedCall_7"));

    /* a function that calls itself stops at the nesting limit */
    nodes g = {0};
    Tensorflow__NodeDef *call = add_node(&g, "restore", "PartitionedCall", 0);
    set_func(call, "loop");
    Tensorflow__MetaGraphDef *mg = make_mg(&g, "restore");
    nodes body = {0};
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "again%d", i);
        set_func(add_node(&body, name, "StatefulPartitionedCall", 0), "loop");
    }
    add_function(mg, "loop", &body, 0);
    assert_int_equal(build(mg, &st, NULL, NULL, NULL), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "loop"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_plus_two_family),
        cmocka_unit_test(test_census),
        cmocka_unit_test(test_iris_linear),
        cmocka_unit_test(test_taxi_dnn),
        cmocka_unit_test(test_taxi_wide_deep_tft),
        cmocka_unit_test(test_tf2_half_plus_two),
        cmocka_unit_test(test_keras),
        cmocka_unit_test(test_synthetic_tf1),
        cmocka_unit_test(test_synthetic_tf1_errors),
        cmocka_unit_test(test_synthetic_tf2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
