/*
 * test_grad.c - symbolic gradients checked against finite differences: for
 * each graph, eng_graph_gradients adds the backward nodes, one plan
 * computes y and every gradient, and each element of each gradient must
 * match (f(x + h) - f(x - h)) / 2h of f = sum(y), evaluated in double from
 * runs of the same plan. Covers every op in the gradient table (dense
 * layers with all transpose combinations, activations, element-wise math,
 * broadcasting binary ops, Sum/Mean with and without keep_dims, Reshape,
 * GatherV2 with repeated indices, the three SparseSegment combiners,
 * ConcatV2),
 * the logistic loss of a two-layer network as the trainer builds it, an
 * unconnected input (no gradient) and an op without a gradient (an error
 * naming it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_helpers.h"

enum { MAXX = 4, MAXN = 32 };

typedef struct input {
    const char *name;
    int rank;
    int64_t dims[2];
    float v[MAXN];
} input;

static int64_t count(const input *in)
{
    int64_t n = 1;
    for (int d = 0; d < in->rank; d++)
        n *= in->dims[d];
    return n;
}

/* Fill with deterministic values away from 0 (kinks of Relu/Abs). */
static void fill(input *in, int seed)
{
    for (int64_t i = 0; i < count(in); i++) {
        double u = sin(seed * 12.9898 + (double)i * 78.233) * 0.9;
        in->v[i] = (float)(u + (u >= 0 ? 0.1 : -0.1));
    }
}

static double run_sum(eng_plan *p, eng_call *c, input *ins, int nx, eng_tensor *outs)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor feeds[MAXX];
    for (int i = 0; i < nx; i++)
        feeds[i] = h_tf(ins[i].v, ins[i].rank, ins[i].dims);
    if (eng_plan_run(p, c, feeds, outs, &st) != TSD_OK)
        fail_msg("run: %s", st.msg);
    double s = 0;
    for (int64_t i = 0; i < eng_tensor_num_elements(&outs[0]); i++)
        s += ((const float *)outs[0].data)[i];
    return s;
}

/* g holds placeholders named as ins and a float tensor y. */
static void check(eng_graph *g, const char *y, input *ins, int nx, double tol)
{
    tsd_status st = TSD_STATUS_INIT;
    const char *xs[MAXX];
    char *grads[MAXX];
    for (int i = 0; i < nx; i++)
        xs[i] = ins[i].name;
    if (eng_graph_gradients(g, y, xs, nx, "gradients", grads, &st) != TSD_OK)
        fail_msg("gradients: %s", st.msg);
    const char *fetch[1 + MAXX];
    fetch[0] = y;
    for (int i = 0; i < nx; i++) {
        assert_non_null(grads[i]);
        fetch[1 + i] = grads[i];
    }
    eng_session *s = eng_session_new(g, "grad", NULL, &st);
    assert_non_null(s);
    eng_plan_spec spec = {xs, nx, fetch, 1 + nx, NULL, 0};
    eng_plan *p = eng_plan_compile(s, &spec, &st);
    if (!p)
        fail_msg("compile: %s", st.msg);
    eng_call *c = eng_call_new();
    eng_tensor outs[1 + MAXX];
    run_sum(p, c, ins, nx, outs);
    float sym[MAXX][MAXN];
    for (int i = 0; i < nx; i++) {
        assert_int_equal(eng_tensor_num_elements(&outs[1 + i]), count(&ins[i]));
        memcpy(sym[i], outs[1 + i].data, (size_t)count(&ins[i]) * sizeof(float));
    }
    const float h = 1e-2f;
    for (int i = 0; i < nx; i++)
        for (int64_t k = 0; k < count(&ins[i]); k++) {
            float keep = ins[i].v[k];
            ins[i].v[k] = keep + h;
            double fp = run_sum(p, c, ins, nx, outs);
            ins[i].v[k] = keep - h;
            double fm = run_sum(p, c, ins, nx, outs);
            ins[i].v[k] = keep;
            double num = (fp - fm) / (2.0 * (double)h);
            if (fabs(num - sym[i][k]) > tol * fmax(1.0, fabs(num)))
                fail_msg("d%s/d%s[%lld]: symbolic %.6g, numeric %.6g", y, ins[i].name, (long long)k,
                         sym[i][k], num);
        }
    for (int i = 0; i < nx; i++)
        free(grads[i]);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static void ph(eng_graph *g, input *in)
{
    h_ph(g, in->name, ENG_DT_FLOAT, in->rank, in->dims);
}

static eng_node *mm(eng_graph *g, const char *name, const char *a, const char *b, int ta, int tb)
{
    eng_node *n = h_bin(g, name, "MatMul", a, b);
    h_attr(g, n, "transpose_a", eng_test_attr_bool(ta));
    h_attr(g, n, "transpose_b", eng_test_attr_bool(tb));
    return n;
}

static void test_dense_layer(void **state)
{
    (void)state;
    input in[3] = {{"x", 2, {2, 3}, {0}}, {"w", 2, {3, 4}, {0}}, {"b", 1, {4}, {0}}};
    for (int i = 0; i < 3; i++)
        fill(&in[i], i + 1);
    eng_graph *g = eng_graph_new();
    for (int i = 0; i < 3; i++)
        ph(g, &in[i]);
    mm(g, "mm", "x", "w", 0, 0);
    h_bin(g, "ba", "BiasAdd", "mm", "b");
    h_un(g, "y", "Relu", "ba");
    check(g, "y", in, 3, 2e-2);
}

static void test_matmul_transposes(void **state)
{
    (void)state;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            input in[2] = {{"a", 2, {ta ? 3 : 2, ta ? 2 : 3}, {0}},
                           {"b", 2, {tb ? 4 : 3, tb ? 3 : 4}, {0}}};
            fill(&in[0], 3 + ta);
            fill(&in[1], 5 + tb);
            eng_graph *g = eng_graph_new();
            ph(g, &in[0]);
            ph(g, &in[1]);
            mm(g, "mm", "a", "b", ta, tb);
            h_un(g, "y", "Square", "mm"); /* so the gradient depends on both */
            check(g, "y", in, 2, 2e-2);
        }
}

static void test_elementwise(void **state)
{
    (void)state;
    input in[1] = {{"x", 2, {2, 3}, {0}}};
    fill(&in[0], 7);
    eng_graph *g = eng_graph_new();
    ph(g, &in[0]);
    h_un(g, "sig", "Sigmoid", "x");
    h_un(g, "th", "Tanh", "x");
    h_un(g, "ex", "Exp", "th");
    h_un(g, "ab", "Abs", "x");
    h_un(g, "l1p", "Log1p", "ab");
    h_un(g, "lg", "Log", "ex");
    h_un(g, "sq", "Square", "sig");
    h_un(g, "ng", "Neg", "l1p");
    h_un(g, "id", "Identity", "ng");
    h_bin(g, "a1", "AddV2", "sq", "id");
    h_bin(g, "a2", "Mul", "a1", "lg");
    h_un(g, "rq", "Rsqrt", "ex"); /* exp(tanh(x)) > 0 */
    h_un(g, "el", "Elu", "x");    /* both signs of x */
    h_bin(g, "a4", "AddV2", "a2", "el");
    h_bin(g, "a3", "AddV2", "a4", "rq");
    h_bin(g, "y", "Sub", "a3", "ex");
    check(g, "y", in, 1, 2e-2);
}

static void test_broadcasting(void **state)
{
    (void)state;
    input in[4] = {
        {"x", 2, {2, 3}, {0}}, {"v", 1, {3}, {0}}, {"s", 0, {0}, {0}}, {"r", 2, {1, 3}, {0}}};
    for (int i = 0; i < 4; i++)
        fill(&in[i], 11 + i);
    eng_graph *g = eng_graph_new();
    for (int i = 0; i < 4; i++)
        ph(g, &in[i]);
    h_bin(g, "a", "AddV2", "x", "v");
    h_bin(g, "b", "Sub", "s", "a");
    h_bin(g, "c", "Mul", "b", "r");
    h_bin(g, "d", "Mul", "c", "x");
    h_bin(g, "y", "Add", "d", "s");
    check(g, "y", in, 4, 2e-2);
}

static void axes_const(eng_graph *g, const char *name, int32_t axis)
{
    eng_node *n = h_node(g, name, "Const", NULL);
    eng_tensor t = eng_test_tensor(ENG_DT_INT32, 0, NULL, &axis);
    h_attr(g, n, "dtype", eng_test_attr_type(ENG_DT_INT32));
    h_attr(g, n, "value", eng_test_attr_tensor(&t));
}

static void test_reductions_and_reshape(void **state)
{
    (void)state;
    input in[1] = {{"x", 2, {3, 4}, {0}}};
    fill(&in[0], 17);
    eng_graph *g = eng_graph_new();
    ph(g, &in[0]);
    axes_const(g, "ax1", 1);
    axes_const(g, "ax0", -2);
    eng_node *m = h_bin(g, "m", "Mean", "x", "ax1"); /* [3] */
    h_attr(g, m, "Tidx", eng_test_attr_type(ENG_DT_INT32));
    eng_node *s = h_bin(g, "s", "Sum", "x", "ax0"); /* [1,4] kept */
    h_attr(g, s, "keep_dims", eng_test_attr_bool(1));
    h_un(g, "sq", "Square", "m");
    int32_t shp[2] = {2, 2};
    eng_node *sc = h_node(g, "shape22", "Const", NULL);
    int64_t d2[1] = {2};
    eng_tensor t = eng_test_tensor(ENG_DT_INT32, 1, d2, shp);
    h_attr(g, sc, "dtype", eng_test_attr_type(ENG_DT_INT32));
    h_attr(g, sc, "value", eng_test_attr_tensor(&t));
    h_bin(g, "rs", "Reshape", "s", "shape22");
    h_un(g, "rs2", "Square", "rs");
    axes_const(g, "ax_first", 0);
    h_bin(g, "tot1", "Sum", "sq", "ax_first");  /* scalar */
    h_bin(g, "tot2", "Sum", "rs2", "ax_first"); /* [2] */
    h_bin(g, "y", "AddV2", "tot1", "tot2");
    check(g, "y", in, 1, 2e-2);
}

/* The binary logistic loss of a 2-layer network, written as TensorFlow's
 * sigmoid_cross_entropy_with_logits: max(z,0) - z*label + log1p(exp(-|z|)). */
static void test_logistic_loss_mlp(void **state)
{
    (void)state;
    input in[4] = {
        {"w1", 2, {3, 4}, {0}}, {"b1", 1, {4}, {0}}, {"w2", 2, {4, 1}, {0}}, {"b2", 1, {1}, {0}}};
    for (int i = 0; i < 4; i++)
        fill(&in[i], 23 + i);
    eng_graph *g = eng_graph_new();
    for (int i = 0; i < 4; i++)
        ph(g, &in[i]);
    float xv[15], lv[5] = {1, 0, 1, 1, 0};
    for (int i = 0; i < 15; i++)
        xv[i] = (float)sin(i * 0.7);
    int64_t dx[2] = {5, 3}, dl[2] = {5, 1};
    h_constf(g, "x", xv, 2, dx);
    h_constf(g, "label", lv, 2, dl);
    mm(g, "h/mm", "x", "w1", 0, 0);
    h_bin(g, "h/ba", "BiasAdd", "h/mm", "b1");
    h_un(g, "h", "Relu", "h/ba");
    mm(g, "z/mm", "h", "w2", 0, 0);
    h_bin(g, "z", "BiasAdd", "z/mm", "b2");
    h_un(g, "relu_z", "Relu", "z");
    h_bin(g, "zl", "Mul", "z", "label");
    h_un(g, "absz", "Abs", "z");
    h_un(g, "negabs", "Neg", "absz");
    h_un(g, "e", "Exp", "negabs");
    h_un(g, "lp", "Log1p", "e");
    h_bin(g, "t", "Sub", "relu_z", "zl");
    h_bin(g, "per_example", "AddV2", "t", "lp");
    int32_t all[2] = {0, 1};
    int64_t d2[1] = {2};
    eng_node *ac = h_node(g, "all_axes", "Const", NULL);
    eng_tensor at = eng_test_tensor(ENG_DT_INT32, 1, d2, all);
    h_attr(g, ac, "dtype", eng_test_attr_type(ENG_DT_INT32));
    h_attr(g, ac, "value", eng_test_attr_tensor(&at));
    h_bin(g, "loss", "Mean", "per_example", "all_axes");
    check(g, "loss", in, 4, 2e-2);
}

static void int_const(eng_graph *g, const char *name, const int32_t *v, int n)
{
    eng_node *c = h_node(g, name, "Const", NULL);
    int64_t d[1] = {n};
    eng_tensor t = eng_test_tensor(ENG_DT_INT32, n < 0 ? 0 : 1, d, (void *)v);
    h_attr(g, c, "dtype", eng_test_attr_type(ENG_DT_INT32));
    h_attr(g, c, "value", eng_test_attr_tensor(&t));
}

/* Gather rows (index 2 twice: gradients add up). */
static void test_gather(void **state)
{
    (void)state;
    input in[1] = {{"params", 2, {5, 3}, {0}}};
    fill(&in[0], 31);
    eng_graph *g = eng_graph_new();
    ph(g, &in[0]);
    static const int32_t idx[4] = {0, 2, 2, 4}, zero = 0;
    int_const(g, "idx", idx, 4);
    int_const(g, "axis", &zero, -1);
    h_node(g, "gathered", "GatherV2", "params", "idx", "axis", NULL);
    h_un(g, "y", "Square", "gathered");
    check(g, "y", in, 1, 2e-2);
}

/* The embedding combiners: rows picked by indices, summed per segment. */
static void test_sparse_segments(void **state)
{
    (void)state;
    static const char *const ops[] = {"SparseSegmentSum", "SparseSegmentMean",
                                      "SparseSegmentSqrtN"};
    static const int32_t idx[5] = {0, 3, 3, 1, 4}, seg[5] = {0, 0, 1, 2, 2};
    for (int k = 0; k < 3; k++) {
        input in[1] = {{"emb", 2, {5, 2}, {0}}};
        fill(&in[0], 37 + k);
        eng_graph *g = eng_graph_new();
        ph(g, &in[0]);
        int_const(g, "idx", idx, 5);
        int_const(g, "seg", seg, 5);
        h_node(g, "combined", ops[k], "emb", "idx", "seg", NULL);
        h_un(g, "y", "Square", "combined");
        check(g, "y", in, 1, 2e-2);
    }
}

static void test_concat(void **state)
{
    (void)state;
    input in[2] = {{"a", 2, {2, 3}, {0}}, {"b", 2, {2, 2}, {0}}};
    fill(&in[0], 41);
    fill(&in[1], 43);
    eng_graph *g = eng_graph_new();
    ph(g, &in[0]);
    ph(g, &in[1]);
    static const int32_t one = 1;
    int_const(g, "axis", &one, -1);
    eng_node *c = h_node(g, "cat", "ConcatV2", "a", "b", "axis", NULL);
    h_attr(g, c, "N", eng_test_attr_int(2));
    h_attr(g, c, "T", eng_test_attr_type(ENG_DT_FLOAT));
    float wv[5] = {1.0f, -2.0f, 0.5f, 3.0f, -1.5f};
    int64_t wd[1] = {5};
    h_constf(g, "w", wv, 1, wd);
    h_bin(g, "weighted", "Mul", "cat", "w");
    h_un(g, "y", "Square", "weighted");
    check(g, "y", in, 2, 2e-2);
}

static void test_unconnected_and_missing(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    int64_t d[1] = {3};
    h_ph(g, "x", ENG_DT_FLOAT, 1, d);
    h_ph(g, "u", ENG_DT_FLOAT, 1, d);
    h_un(g, "y", "Square", "x");
    const char *xs[] = {"x", "u"};
    char *grads[2];
    assert_int_equal(eng_graph_gradients(g, "y", xs, 2, "gradients", grads, &st), TSD_OK);
    assert_non_null(grads[0]);
    assert_null(grads[1]); /* y does not depend on u */
    free(grads[0]);
    h_un(g, "f", "Floor", "x");
    h_bin(g, "y2", "Mul", "f", "x");
    assert_int_equal(eng_graph_gradients(g, "y2", xs, 1, "gradients2", grads, &st),
                     TSD_UNIMPLEMENTED);
    assert_non_null(strstr(st.msg, "node 'f': op 'Floor' has no gradient"));
    assert_int_equal(eng_graph_gradients(g, "nope", xs, 1, "g3", grads, &st), TSD_INVALID_ARGUMENT);
    eng_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_layer),
        cmocka_unit_test(test_matmul_transposes),
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_broadcasting),
        cmocka_unit_test(test_reductions_and_reshape),
        cmocka_unit_test(test_logistic_loss_mlp),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_sparse_segments),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_unconnected_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
