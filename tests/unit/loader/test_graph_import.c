/*
 * test_graph_import.c - GraphDef -> eng_graph: attr conversion, function
 * inlining (argument identities, flat output indices of multi-output ops,
 * return values and control outputs, nested and direct calls, attr
 * placeholders), error cases (arity, recursion, depth, dangling
 * references), a run of an inlined function through the engine, and the
 * import of every real fixture graph.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/graph_int.h" /* node inputs, to check the rewriting */
#include "tests/unit/loader/graphdef_builder.h"
#include "loader/model_int.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "tests/unit/test_util.h"

/* Assert node `name` exists with op and exactly the given inputs. */
static void check_node(const eng_graph *g, const char *name, const char *op, int n, ...)
{
    eng_node *nd = eng_graph_find(g, name);
    if (!nd)
        fail_msg("node '%s' missing", name);
    assert_string_equal(eng_node_op(nd), op);
    if (nd->ninputs != n)
        fail_msg("node '%s' has %d inputs, expected %d", name, nd->ninputs, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(nd->inputs[i], va_arg(ap, const char *));
    va_end(ap);
}

static eng_graph *import_ok(const Tensorflow__GraphDef *gd, const Tensorflow__OpList *ops)
{
    eng_graph *g = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr__graph_import(gd, ops, &g, &st) != TSD_OK)
        fail_msg("import failed: %s", st.msg);
    return g;
}

static void import_fails(const Tensorflow__GraphDef *gd, const char *needle)
{
    eng_graph *g = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_not_equal(ldr__graph_import(gd, NULL, &g, &st), TSD_OK);
    assert_null(g);
    if (!strstr(st.msg, needle))
        fail_msg("message '%s' lacks '%s'", st.msg, needle);
}

static void test_plain_nodes_and_attrs(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = gb_graph();
    Tensorflow__NodeDef *c = gb_add(gd, gb_node("c", "Const", NULL));
    gb_attr(c, "dtype", gb_av_type(ENG_DT_FLOAT));
    gb_attr(c, "value", gb_av_float_tensor(2.5f));
    Tensorflow__NodeDef *x = gb_add(gd, gb_node("x", "Placeholder", NULL));
    gb_attr(x, "dtype", gb_av_type(ENG_DT_FLOAT));
    Tensorflow__AttrValue *shape = gb_av();
    shape->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
    shape->shape = malloc(sizeof *shape->shape);
    tensorflow__tensor_shape_proto__init(shape->shape);
    Tensorflow__TensorShapeProto__Dim *d0 = malloc(sizeof *d0);
    tensorflow__tensor_shape_proto__dim__init(d0);
    d0->size = -1;
    GB_PUSH(shape->shape->dim, shape->shape->n_dim, d0);
    gb_attr(x, "shape", shape);
    Tensorflow__NodeDef *m = gb_add(gd, gb_node("m", "Mul", "x,c:0,^x"));
    gb_attr(m, "T", gb_av_type(ENG_DT_FLOAT));
    int types[] = {ENG_DT_STRING, ENG_DT_INT64};
    gb_attr(m, "list_t", gb_av_types(2, types));
    Tensorflow__AttrValue *ints = gb_av_list();
    ints->list->i = malloc(3 * sizeof(int64_t));
    ints->list->i[0] = 1;
    ints->list->i[1] = -2;
    ints->list->i[2] = 3;
    ints->list->n_i = 3;
    gb_attr(m, "list_i", ints);
    gb_attr(m, "Tdense", gb_av_list());       /* empty list named like types */
    gb_attr(m, "dense_shapes", gb_av_list()); /* empty list named like shapes */
    Tensorflow__AttrValue *s = gb_av();
    s->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
    s->s.data = (uint8_t *)strdup("abc");
    s->s.len = 3;
    gb_attr(m, "str", s);
    gb_attr(m, "fn", gb_av_func("some_fn"));

    eng_graph *g = import_ok(gd, NULL);
    assert_int_equal(eng_graph_num_nodes(g), 3);
    check_node(g, "m", "Mul", 3, "x", "c:0", "^x");
    const eng_attr *a = eng_node_attr(eng_graph_find(g, "c"), "value");
    assert_non_null(a);
    assert_int_equal(a->kind, ENG_ATTR_TENSOR);
    assert_true(*(float *)a->tensor.data == 2.5f);
    a = eng_node_attr(eng_graph_find(g, "x"), "shape");
    assert_int_equal(a->kind, ENG_ATTR_SHAPE);
    assert_int_equal(a->shape.rank, 1);
    assert_int_equal(a->shape.dims[0], -1);
    const eng_node *mn = eng_graph_find(g, "m");
    a = eng_node_attr(mn, "list_t");
    assert_int_equal(a->kind, ENG_ATTR_LIST_TYPE);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->types[1], ENG_DT_INT64);
    a = eng_node_attr(mn, "list_i");
    assert_int_equal(a->kind, ENG_ATTR_LIST_INT);
    assert_int_equal(a->ints[1], -2);
    a = eng_node_attr(mn, "Tdense");
    assert_int_equal(a->kind, ENG_ATTR_LIST_TYPE);
    assert_int_equal(a->n, 0);
    a = eng_node_attr(mn, "dense_shapes");
    assert_int_equal(a->kind, ENG_ATTR_LIST_SHAPE);
    a = eng_node_attr(mn, "str");
    assert_int_equal(a->kind, ENG_ATTR_STRING);
    assert_int_equal(a->s.len, 3);
    assert_memory_equal(a->s.ptr, "abc", 3);
    a = eng_node_attr(mn, "fn");
    assert_int_equal(a->kind, ENG_ATTR_FUNC);
    assert_memory_equal(a->s.ptr, "some_fn", 7);
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* fn(a, b) -> (out = a*b + b, out2 = a*b), plus a stateful node in control_ret. */
static Tensorflow__GraphDef *simple_call_graph(const char *call_op)
{
    Tensorflow__GraphDef *gd = gb_graph();
    Tensorflow__NodeDef *x = gb_add(gd, gb_node("x", "Placeholder", NULL));
    gb_attr(x, "dtype", gb_av_type(ENG_DT_FLOAT));
    Tensorflow__NodeDef *c = gb_add(gd, gb_node("c", "Const", NULL));
    gb_attr(c, "dtype", gb_av_type(ENG_DT_FLOAT));
    gb_attr(c, "value", gb_av_float_tensor(3.0f));
    gb_add(gd, gb_node("gate", "NoOp", NULL));
    Tensorflow__NodeDef *call = gb_add(gd, gb_node("call", call_op, "x,c,^gate"));
    gb_attr(call, "f", gb_av_func("fn"));
    int tout[] = {ENG_DT_FLOAT, ENG_DT_FLOAT};
    gb_attr(call, "Tout", gb_av_types(2, tout));
    Tensorflow__NodeDef *y = gb_add(gd, gb_node("y", "Identity", "call:1"));
    gb_attr(y, "T", gb_av_type(ENG_DT_FLOAT));

    Tensorflow__FunctionDef *f = gb_func(gd, "fn", "a,b", "out,out2");
    Tensorflow__NodeDef *m = gb_fnode(f, gb_node("mul", "Mul", "a,b"));
    gb_attr(m, "T", gb_av_type(ENG_DT_FLOAT));
    Tensorflow__NodeDef *ad = gb_fnode(f, gb_node("add", "AddV2", "mul:z:0,b"));
    gb_attr(ad, "T", gb_av_type(ENG_DT_FLOAT));
    Tensorflow__NodeDef *k = gb_fnode(f, gb_node("k", "Const", NULL));
    gb_attr(k, "dtype", gb_av_type(ENG_DT_FLOAT));
    gb_attr(k, "value", gb_av_float_tensor(1.0f));
    gb_fnode(f, gb_node("side", "NoOp", "^mul"));
    gb_ret(f, "out", "add:z:0");
    gb_ret(f, "out2", "mul:z:0");
    gb_control_ret(f, "side", "side");
    return gd;
}

static void test_inline_simple(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = simple_call_graph("StatefulPartitionedCall");
    eng_graph *g = import_ok(gd, NULL);
    check_node(g, "call/a", "Identity", 2, "x", "^gate");
    check_node(g, "call/b", "Identity", 2, "c", "^gate");
    check_node(g, "call/mul", "Mul", 2, "call/a", "call/b");
    check_node(g, "call/add", "AddV2", 2, "call/mul:0", "call/b");
    /* a source node of the body waits for the call's control inputs */
    check_node(g, "call/k", "Const", 1, "^gate");
    check_node(g, "call/side", "NoOp", 1, "^call/mul");
    check_node(g, "call", "IdentityN", 3, "call/add:0", "call/mul:0", "^call/side");
    check_node(g, "y", "Identity", 1, "call:1");
    const eng_attr *t = eng_node_attr(eng_graph_find(g, "call"), "T");
    assert_non_null(t);
    assert_int_equal(t->kind, ENG_ATTR_LIST_TYPE);
    assert_int_equal(t->n, 2);
    assert_int_equal(t->types[0], ENG_DT_FLOAT);
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* The same function called directly by name (op = function name). */
static void test_inline_direct_call(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = simple_call_graph("fn");
    eng_graph *g = import_ok(gd, NULL);
    check_node(g, "call/mul", "Mul", 2, "call/a", "call/b");
    check_node(g, "call", "IdentityN", 3, "call/add:0", "call/mul:0", "^call/side");
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* Flat indices of multi-output ops referenced inside a body. */
static void test_flat_output_indices(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = gb_graph();
    gb_add(gd, gb_node("ex", "Placeholder", NULL));
    Tensorflow__NodeDef *call = gb_add(gd, gb_node("call", "PartitionedCall", "ex"));
    gb_attr(call, "f", gb_av_func("parse"));
    Tensorflow__FunctionDef *f = gb_func(gd, "parse", "s", "o1,o2,o3,o4,o5,o6,o7");
    Tensorflow__NodeDef *pe = gb_fnode(f, gb_node("pe", "ParseExampleV2", "s"));
    gb_attr(pe, "num_sparse", gb_av_int(2));
    int st2[] = {ENG_DT_STRING, ENG_DT_INT64};
    int td3[] = {ENG_DT_FLOAT, ENG_DT_FLOAT, ENG_DT_FLOAT};
    gb_attr(pe, "sparse_types", gb_av_types(2, st2));
    gb_attr(pe, "Tdense", gb_av_types(3, td3));
    gb_attr(pe, "ragged_value_types", gb_av_list());
    gb_attr(pe, "ragged_split_types", gb_av_list());
    Tensorflow__NodeDef *p1 = gb_fnode(f, gb_node("p1", "ParseExample", "s"));
    gb_attr(p1, "Nsparse", gb_av_int(1));
    int st1[] = {ENG_DT_STRING};
    gb_attr(p1, "sparse_types", gb_av_types(1, st1));
    gb_attr(p1, "Tdense", gb_av_types(2, td3));
    gb_fnode(f, gb_node("u", "Unique", "s"));
    gb_fnode(f, gb_node("sf", "SparseFillEmptyRows", "s"));
    gb_fnode(f, gb_node("foo", "FooOp", "s"));
    gb_ret(f, "o1", "pe:dense_values:1");  /* 2 + 2 + 2 + 1 = 7 */
    gb_ret(f, "o2", "pe:sparse_shapes:1"); /* 2 + 2 + 1 = 5 */
    gb_ret(f, "o3", "p1:dense_values:0");  /* 1 + 1 + 1 = 3 */
    gb_ret(f, "o4", "u:idx:0");
    gb_ret(f, "o5", "sf:reverse_index_map:0");
    gb_ret(f, "o6", "foo:b:0"); /* from the op list below: a has N=3 tensors */
    gb_ret(f, "o7", "s");
    Tensorflow__NodeDef *fooattr = f->node_def[4];
    gb_attr(fooattr, "N", gb_av_int(3));

    /* stripped_op_list entry for FooOp: outputs a (number_attr N), b */
    Tensorflow__OpList ops;
    tensorflow__op_list__init(&ops);
    Tensorflow__OpDef od;
    tensorflow__op_def__init(&od);
    od.name = "FooOp";
    Tensorflow__OpDef__ArgDef oa, ob;
    tensorflow__op_def__arg_def__init(&oa);
    tensorflow__op_def__arg_def__init(&ob);
    oa.name = "a";
    oa.number_attr = "N";
    ob.name = "b";
    Tensorflow__OpDef__ArgDef *outs[] = {&oa, &ob};
    od.output_arg = outs;
    od.n_output_arg = 2;
    Tensorflow__OpDef *odp = &od;
    ops.op = &odp;
    ops.n_op = 1;

    eng_graph *g = import_ok(gd, &ops);
    check_node(g, "call", "IdentityN", 7, "call/pe:7", "call/pe:5", "call/p1:3", "call/u:1",
               "call/sf:3", "call/foo:3", "call/s");
    eng_graph_free(g);

    /* without the op list, FooOp is taken as single-output */
    g = import_ok(gd, NULL);
    eng_node *n = eng_graph_find(g, "call");
    assert_string_equal(n->inputs[5], "call/foo:0");
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* outer -> inner via PartitionedCall inside a body; placeholders resolved. */
static void test_nested_and_placeholders(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    Tensorflow__NodeDef *call = gb_add(gd, gb_node("outer", "StatefulPartitionedCall", "x"));
    Tensorflow__AttrValue *fa = gb_av_func("f_outer");
    gb_func_attr(fa, "DstT", gb_av_type(ENG_DT_INT64));
    gb_attr(call, "f", fa);

    Tensorflow__FunctionDef *fo = gb_func(gd, "f_outer", "p", "r");
    Tensorflow__NodeDef *in = gb_fnode(fo, gb_node("inner", "PartitionedCall", "p"));
    gb_attr(in, "f", gb_av_func("f_inner"));
    Tensorflow__NodeDef *cast = gb_fnode(fo, gb_node("cast", "Cast", "inner:output:0"));
    gb_attr(cast, "DstT", gb_av_placeholder("DstT"));
    gb_attr(cast, "Missing", gb_av_placeholder("NotThere"));
    gb_ret(fo, "r", "cast:y:0");

    Tensorflow__FunctionDef *fi = gb_func(gd, "f_inner", "q", "z");
    Tensorflow__NodeDef *ng = gb_fnode(fi, gb_node("neg", "Neg", "q"));
    gb_attr(ng, "T", gb_av_type(ENG_DT_FLOAT));
    gb_ret(fi, "z", "neg:y:0");

    eng_graph *g = import_ok(gd, NULL);
    check_node(g, "outer/p", "Identity", 1, "x");
    check_node(g, "outer/inner/q", "Identity", 1, "outer/p");
    check_node(g, "outer/inner/neg", "Neg", 1, "outer/inner/q");
    check_node(g, "outer/inner", "Identity", 1, "outer/inner/neg:0");
    check_node(g, "outer/cast", "Cast", 1, "outer/inner:0");
    check_node(g, "outer", "Identity", 1, "outer/cast:0");
    const eng_node *cn = eng_graph_find(g, "outer/cast");
    const eng_attr *a = eng_node_attr(cn, "DstT");
    assert_non_null(a);
    assert_int_equal(a->kind, ENG_ATTR_TYPE);
    assert_int_equal(a->type, ENG_DT_INT64);
    assert_null(eng_node_attr(cn, "Missing"));
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

static void test_errors(void **state)
{
    (void)state;
    /* wrong arity */
    Tensorflow__GraphDef *gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    Tensorflow__NodeDef *call = gb_add(gd, gb_node("call", "StatefulPartitionedCall", "x"));
    gb_attr(call, "f", gb_av_func("two"));
    Tensorflow__FunctionDef *f = gb_func(gd, "two", "a,b", "o");
    gb_ret(f, "o", "a");
    import_fails(gd, "function 'two' takes 2 inputs but the call has 1");
    tensorflow__graph_def__free_unpacked(gd, NULL);

    /* recursion */
    gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    call = gb_add(gd, gb_node("call", "StatefulPartitionedCall", "x"));
    gb_attr(call, "f", gb_av_func("rec"));
    f = gb_func(gd, "rec", "a", "o");
    Tensorflow__NodeDef *self = gb_fnode(f, gb_node("again", "PartitionedCall", "a"));
    gb_attr(self, "f", gb_av_func("rec"));
    gb_ret(f, "o", "again:output:0");
    import_fails(gd, "calls itself");
    tensorflow__graph_def__free_unpacked(gd, NULL);

    /* a chain deeper than the limit */
    gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    call = gb_add(gd, gb_node("call", "StatefulPartitionedCall", "x"));
    gb_attr(call, "f", gb_av_func("f0"));
    for (int i = 0; i <= LDR_MAX_CALL_DEPTH; i++) {
        char name[32], next[32];
        snprintf(name, sizeof name, "f%d", i);
        snprintf(next, sizeof next, "f%d", i + 1);
        f = gb_func(gd, name, "a", "o");
        Tensorflow__NodeDef *n = gb_fnode(f, gb_node("c", "PartitionedCall", "a"));
        gb_attr(n, "f", gb_av_func(next));
        gb_ret(f, "o", "c:output:0");
    }
    f = gb_func(gd, "f33", "a", "o");
    gb_ret(f, "o", "a");
    import_fails(gd, "nested deeper than");
    tensorflow__graph_def__free_unpacked(gd, NULL);

    /* dangling body reference, missing ret, malformed index */
    const char *bad_refs[] = {"nothere:z:0", NULL, "m:z:x"};
    const char *needles[] = {"names no node", "has no ret", "malformed input"};
    for (int k = 0; k < 3; k++) {
        gd = gb_graph();
        gb_add(gd, gb_node("x", "Placeholder", NULL));
        call = gb_add(gd, gb_node("call", "StatefulPartitionedCall", "x"));
        gb_attr(call, "f", gb_av_func("g"));
        f = gb_func(gd, "g", "a", "o");
        gb_fnode(f, gb_node("m", "Neg", "a"));
        if (bad_refs[k])
            gb_ret(f, "o", bad_refs[k]);
        import_fails(gd, needles[k]);
        tensorflow__graph_def__free_unpacked(gd, NULL);
    }

    /* duplicate node names are refused by the graph */
    gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    eng_graph *g = NULL;
    assert_int_not_equal(ldr__graph_import(gd, NULL, &g, NULL), TSD_OK);
    assert_null(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);

    /* a call to an unknown function stays a plain node (compile decides) */
    gd = gb_graph();
    gb_add(gd, gb_node("x", "Placeholder", NULL));
    call = gb_add(gd, gb_node("call", "StatefulPartitionedCall", "x"));
    gb_attr(call, "f", gb_av_func("nowhere"));
    g = import_ok(gd, NULL);
    check_node(g, "call", "StatefulPartitionedCall", 1, "x");
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* The inlined function computes what the function says: y = x*3, call:0 = x*3+3. */
static void test_inlined_run(void **state)
{
    (void)state;
    if (!eng_op_supported("IdentityN") || !eng_op_supported("AddV2") || !eng_op_supported("Mul")) {
        skip();
        return;
    }
    Tensorflow__GraphDef *gd = simple_call_graph("StatefulPartitionedCall");
    eng_graph *g = import_ok(gd, NULL);
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = eng_session_new(g, "inline", NULL, &st);
    assert_non_null(s);
    const char *feeds[] = {"x:0"};
    const char *fetches[] = {"call:0", "y:0"};
    eng_plan_spec spec = {feeds, 1, fetches, 2, NULL, 0};
    eng_plan *p = eng_plan_compile(s, &spec, &st);
    if (!p)
        fail_msg("compile: %s", st.msg);
    float xv[] = {1.0f, -2.0f};
    eng_tensor x = {.dtype = ENG_DT_FLOAT, .rank = 1, .dims = {2}, .data = xv, .nbytes = sizeof xv};
    eng_tensor out[2];
    eng_call *c = eng_call_new();
    if (eng_plan_run(p, c, &x, out, &st) != TSD_OK)
        fail_msg("run: %s", st.msg);
    const float *o0 = out[0].data, *o1 = out[1].data;
    assert_true(o0[0] == 6.0f && o0[1] == -3.0f);
    assert_true(o1[0] == 3.0f && o1[1] == -6.0f);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* Every fixture graph imports; call nodes become identities. */
static void test_real_graphs(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *call;  /* a call node of the outer graph, or NULL */
        const char *inner; /* a node the inlining must create */
    } cases[] = {
        {"models/tfserving/saved_model_half_plus_two_cpu/00000123", NULL, NULL},
        {"models/tfserving/saved_model_half_plus_two_tf2_cpu/00000123", "StatefulPartitionedCall_5",
         NULL},
        {"models/keras/keras_single_input/1", "StatefulPartitionedCall", NULL},
        {"models/keras/iris_keras/8", "StatefulPartitionedCall", NULL},
        {"models/estimator/taxi_wide_deep_tft/1646034756",
         "transform_features_layer/StatefulPartitionedCall", NULL},
        {"models/estimator/census_wide_deep/1527087570", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char rel[512];
        snprintf(rel, sizeof rel, "%s/saved_model.pb", cases[k].path);
        size_t len = 0;
        char *buf = tsd_test_read_file(tsd_test_path(rel), &len);
        assert_non_null(buf);
        Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, (uint8_t *)buf);
        assert_non_null(sm);
        const Tensorflow__MetaGraphDef *mg = sm->meta_graphs[0];
        eng_graph *g = import_ok(mg->graph_def,
                                 mg->meta_info_def ? mg->meta_info_def->stripped_op_list : NULL);
        assert_true(eng_graph_num_nodes(g) >= mg->graph_def->n_node);
        if (!mg->graph_def->library)
            assert_int_equal(eng_graph_num_nodes(g), mg->graph_def->n_node);
        if (cases[k].call) {
            const eng_node *n = eng_graph_find(g, cases[k].call);
            if (!n)
                fail_msg("%s: node %s missing", cases[k].path, cases[k].call);
            const char *op = eng_node_op(n);
            assert_true(strcmp(op, "Identity") == 0 || strcmp(op, "IdentityN") == 0 ||
                        strcmp(op, "NoOp") == 0);
        }
        eng_graph_free(g);
        tensorflow__saved_model__free_unpacked(sm, NULL);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_nodes_and_attrs),
        cmocka_unit_test(test_inline_simple),
        cmocka_unit_test(test_inline_direct_call),
        cmocka_unit_test(test_flat_output_indices),
        cmocka_unit_test(test_nested_and_placeholders),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_inlined_run),
        cmocka_unit_test(test_real_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
