/*
 * test_plan.c - compile-time optimisations and plan metadata: variables
 * nothing writes fold into constants, MatMul+BiasAdd+Relu chains fuse into
 * one step (and don't when an intermediate is fetched), identities vanish,
 * PlaceholderWithDefault, IdentityN, feed dtypes come from the graph, and
 * the testkit helper used by kernel tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "engine/engine.h"
#include "core_helpers.h"

static const float W[3 * 2] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
static const float BIAS[2] = {0.1f, -3.0f};

/* Naive reference: relu(x W + b) for x [n,3]. */
static void dense_ref(const float *x, int n, float *out, int relu)
{
    for (int r = 0; r < n; r++)
        for (int j = 0; j < 2; j++) {
            double acc = BIAS[j];
            for (int k = 0; k < 3; k++)
                acc += (double)x[r * 3 + k] * W[k * 2 + j];
            out[r * 2 + j] = relu && acc < 0 ? 0.0f : (float)acc;
        }
}

static eng_session *dense_session(void)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    int64_t xd[2] = {-1, 3};
    h_ph(g, "x", ENG_DT_FLOAT, 2, xd);
    eng_node *w = h_node(g, "dense/kernel", "VariableV2", NULL);
    h_attr(g, w, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, w, "shape", eng_test_attr_shape(2, (int64_t[]){3, 2}));
    h_un(g, "dense/kernel/read", "Identity", "dense/kernel");
    h_constf(g, "dense/bias", BIAS, 1, (int64_t[]){2});
    eng_node *mm = h_bin(g, "dense/MatMul", "MatMul", "x", "dense/kernel/read");
    h_attr(g, mm, "transpose_a", eng_test_attr_bool(0));
    h_attr(g, mm, "transpose_b", eng_test_attr_bool(0));
    h_bin(g, "dense/BiasAdd", "BiasAdd", "dense/MatMul", "dense/bias");
    h_un(g, "dense/Relu", "Relu", "dense/BiasAdd");
    h_un(g, "out", "Identity", "dense/Relu");
    /* A restore writer like the saver's: must not stop the weight folding. */
    eng_node *rs = h_node(g, "save/RestoreV2", "RestoreV2", NULL);
    (void)rs;
    h_bin(g, "save/Assign", "Assign", "dense/kernel", "save/RestoreV2");
    /* ... nor does the variable's own initializer. */
    h_constf(g, "dense/kernel/Initializer/zeros", W, 2, (int64_t[]){3, 2});
    h_bin(g, "dense/kernel/Assign", "Assign", "dense/kernel", "dense/kernel/Initializer/zeros");
    eng_session *s = eng_session_new(g, "dense", NULL, &st);
    eng_tensor t;
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 2, (int64_t[]){3, 2}, &st), TSD_OK);
    memcpy(t.data, W, sizeof W);
    assert_int_equal(eng_session_set_variable(s, "dense/kernel", &t, &st), TSD_OK);
    return s;
}

static void run_dense(eng_plan *p, int nfetch, int relu_out)
{
    tsd_status st = TSD_STATUS_INIT;
    float x[4 * 3] = {1, 2, 3, -1, 0, 4, 0.5f, 0.5f, 0.5f, -2, -2, 1};
    float expect[8], pre[8];
    dense_ref(x, 4, expect, 1);
    dense_ref(x, 4, pre, 0);
    eng_tensor fx = h_tf(x, 2, (int64_t[]){4, 3}), out[2];
    eng_call *c = eng_call_new();
    if (eng_plan_run(p, c, &fx, out, &st))
        fail_msg("%s", st.msg);
    assert_int_equal(out[0].dims[0], 4);
    assert_int_equal(out[0].dims[1], 2);
    for (int i = 0; i < 8; i++)
        assert_float_equal(((float *)out[0].data)[i], relu_out ? expect[i] : pre[i], 1e-5);
    if (nfetch > 1)
        for (int i = 0; i < 8; i++)
            assert_float_equal(((float *)out[1].data)[i], pre[i], 1e-5);
    eng_call_free(c);
}

static void test_fold_weights_and_fuse(void **state)
{
    (void)state;
    if (!eng_op_supported("MatMul") || !eng_op_supported("BiasAdd") || !eng_op_supported("Relu"))
        skip();
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = dense_session();
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    if (!p)
        fail_msg("%s", st.msg);
    /* VariableV2 + Identity fold away; MatMul+BiasAdd+Relu is one fused step
     * when the fused kernel exists, else three steps. */
    size_t want = eng_op_supported("_TsdFusedMatMul") ? 1 : 3;
    assert_int_equal(eng_plan_num_steps(p), want);
    eng_shape sh = eng_plan_fetch_shape(p, 0);
    assert_int_equal(sh.rank, 2);
    assert_int_equal(sh.dims[1], 2);
    run_dense(p, 1, 1);
    eng_plan_free(p);
    /* Fetching the BiasAdd too keeps it (and the Relu) separate. */
    const char *fetch2[] = {"out:0", "dense/BiasAdd:0"};
    p = h_compile(s, feed, 1, fetch2, 2, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), eng_op_supported("_TsdFusedMatMul") ? 2 : 3);
    run_dense(p, 2, 1);
    eng_plan_free(p);
    /* Rebinding a variable a plan borrowed keeps the old buffer alive for
     * that plan (no use-after-free); new plans see the new value. */
    p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_tensor nw;
    assert_int_equal(eng_tensor_alloc(&nw, ENG_DT_FLOAT, 2, (int64_t[]){3, 2}, &st), TSD_OK);
    assert_int_equal(eng_session_set_variable(s, "dense/kernel", &nw, &st), TSD_OK);
    run_dense(p, 1, 1);
    eng_plan_free(p);
    eng_tensor cur;
    assert_int_equal(eng_session_get_variable(s, "dense/kernel", &cur, &st), TSD_OK);
    assert_true(((float *)cur.data)[0] == 0.0f);
    eng_tensor_free_data(&cur);
    assert_int_equal(eng_tensor_alloc(&nw, ENG_DT_FLOAT, 2, (int64_t[]){3, 2}, &st), TSD_OK);
    memcpy(nw.data, W, sizeof W);
    assert_int_equal(eng_session_set_variable(s, "dense/kernel", &nw, &st), TSD_OK);
    /* Fetching the BiasAdd alone fuses MatMul+BiasAdd. */
    const char *fetch3[] = {"dense/BiasAdd:0"};
    p = h_compile(s, feed, 1, fetch3, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), eng_op_supported("_TsdFusedMatMul") ? 1 : 2);
    run_dense(p, 1, 0);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_written_variable_not_folded(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *v = h_node(g, "v", "VariableV2", NULL);
    h_attr(g, v, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, v, "shape", eng_test_attr_shape(0, NULL));
    h_un(g, "read", "Identity", "v");
    h_scalarf(g, "one", 1.0f);
    h_bin(g, "bump", "AssignAdd", "v", "one");
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    eng_tensor t;
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 0, NULL, &st), TSD_OK);
    *(float *)t.data = 10.0f;
    assert_int_equal(eng_session_set_variable(s, "v", &t, &st), TSD_OK);
    const char *fetch[] = {"read:0"}, *tgt[] = {"bump"};
    eng_plan *p = h_compile(s, NULL, 0, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), 1); /* the variable read stays */
    eng_call *c = eng_call_new();
    eng_tensor out;
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_OK);
    assert_true(*(float *)out.data == 10.0f);
    eng_plan_spec bump = {NULL, 0, NULL, 0, tgt, 1};
    assert_int_equal(eng_session_run(s, &bump, NULL, &st), TSD_OK);
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_OK);
    assert_true(*(float *)out.data == 11.0f);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_feed_dtype_from_graph(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    /* half_plus_three style: the signature may claim float, the graph says string. */
    h_ph(g, "tf_example", ENG_DT_STRING, 1, (int64_t[]){-1});
    h_node(g, "y", "Identity", "tf_example", NULL);
    eng_session *s = eng_session_new(g, "half_plus_three", NULL, &st);
    const char *feed[] = {"tf_example:0"}, *fetch[] = {"y:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_feed_dtype(p, 0), ENG_DT_STRING);
    assert_int_equal(eng_plan_fetch_dtype(p, 0), ENG_DT_STRING);
    assert_int_equal(eng_plan_feed_dtype(p, 5), ENG_DT_INVALID);
    assert_int_equal(eng_plan_num_steps(p), 0);
    float f = 1.0f;
    eng_tensor bad = h_tf(&f, 1, (int64_t[]){1}), out;
    eng_call *c = eng_call_new();
    assert_int_equal(eng_plan_run(p, c, &bad, &out, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "model half_plus_three: input 'tf_example:0': expected dtype "
                                "string but got float");
    eng_str sv = {"abc", 3};
    eng_tensor good = eng_test_tensor(ENG_DT_STRING, 1, (int64_t[]){1}, &sv);
    assert_int_equal(eng_plan_run(p, c, &good, &out, &st), TSD_OK);
    assert_int_equal(((eng_str *)out.data)[0].len, 3);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_placeholder_with_default_and_identity_n(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_scalarf(g, "dflt", 7.0f);
    eng_node *pw = h_node(g, "pw", "PlaceholderWithDefault", "dflt", NULL);
    h_attr(g, pw, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, pw, "shape", eng_test_attr_shape(0, NULL));
    h_ph(g, "x", ENG_DT_FLOAT, 0, NULL);
    h_node(g, "idn", "IdentityN", "x", "pw", NULL);
    h_bin(g, "sum", "Add", "idn:0", "idn:1");
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *fetch[] = {"sum:0", "idn:1"}, *f1[] = {"x:0"}, *f2[] = {"x:0", "pw:0"};
    eng_plan *p1 = h_compile(s, f1, 1, fetch, 2, NULL, 0, &st);
    eng_plan *p2 = h_compile(s, f2, 2, fetch, 2, NULL, 0, &st);
    assert_non_null(p1);
    assert_non_null(p2);
    eng_call *c = eng_call_new();
    float x = 1.0f, y = -5.0f;
    eng_tensor feeds[2] = {h_tf(&x, 0, NULL), h_tf(&y, 0, NULL)}, out[2];
    assert_int_equal(eng_plan_run(p1, c, feeds, out, &st), TSD_OK);
    assert_true(*(float *)out[0].data == 8.0f);
    assert_true(*(float *)out[1].data == 7.0f);
    assert_int_equal(eng_plan_run(p2, c, feeds, out, &st), TSD_OK);
    assert_true(*(float *)out[0].data == -4.0f);
    assert_true(*(float *)out[1].data == -5.0f);
    eng_call_free(c);
    eng_plan_free(p1);
    eng_plan_free(p2);
    eng_session_free(s);
}

static void test_testkit(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    float a[3] = {1, 2, 3}, b[3] = {10, 20, 30};
    eng_tensor in[2] = {h_tf(a, 1, (int64_t[]){3}), h_tf(b, 1, (int64_t[]){3})}, out[2];
    eng_attr_kv attrs[] = {{"T", eng_test_attr_type(ENG_DT_FLOAT)}};
    int nout = 2;
    assert_int_equal(eng_test_run_op("Identity", attrs, 1, in, 1, out, &nout, &st), TSD_OK);
    assert_int_equal(nout, 1);
    assert_memory_equal(out[0].data, a, sizeof a);
    eng_tensor_free_data(&out[0]);
    nout = 2;
    assert_int_equal(eng_test_run_op("IdentityN", NULL, 0, in, 2, out, &nout, &st), TSD_OK);
    assert_int_equal(nout, 2);
    assert_memory_equal(out[1].data, b, sizeof b);
    eng_tensor_free_data(&out[0]);
    eng_tensor_free_data(&out[1]);
    /* Const inputs (folded at compile time) and several runs. */
    eng_test_opts o = {.const_mask = 1, .runs = 3};
    nout = 2;
    assert_int_equal(eng_test_run_op_ex("Identity", attrs, 1, in, 1, &o, out, &nout, &st), TSD_OK);
    assert_memory_equal(out[0].data, a, sizeof a);
    eng_tensor_free_data(&out[0]);
    /* Errors: unknown op; too little room for the outputs. */
    nout = 2;
    assert_int_equal(eng_test_run_op("NoSuchOp", NULL, 0, in, 1, out, &nout, &st),
                     TSD_UNIMPLEMENTED);
    nout = 1;
    assert_int_equal(eng_test_run_op("IdentityN", NULL, 0, in, 2, out, &nout, &st),
                     TSD_INVALID_ARGUMENT);
    /* Placeholder reached unfed: the kernel's error comes through. */
    nout = 2;
    eng_attr_kv pa[] = {{"dtype", eng_test_attr_type(ENG_DT_INT64)}};
    assert_int_equal(eng_test_run_op("Placeholder", pa, 1, NULL, 0, out, &nout, &st),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "You must feed a value for placeholder tensor 'op' with "
                                   "dtype int64"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_weights_and_fuse),
        cmocka_unit_test(test_written_variable_not_folded),
        cmocka_unit_test(test_feed_dtype_from_graph),
        cmocka_unit_test(test_placeholder_with_default_and_identity_n),
        cmocka_unit_test(test_testkit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
