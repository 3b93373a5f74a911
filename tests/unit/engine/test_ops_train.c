/*
 * test_ops_train.c - optimizer update ops against the update equations of
 * formats.md (TensorFlow's training_ops.cc CPU kernels), computed here
 * independently in double precision: gradient descent, Adagrad (V1 and V2
 * with epsilon), FTRL-Proximal (l1, l2, l2_shrinkage, lr_power -0.5 and
 * another power) and Adam (plain and Nesterov). Each runs several steps on
 * resource variables with fed gradients, through a compiled plan, and the
 * variable and every slot are compared after each step. Also: a mismatched
 * gradient is an error naming the variable, and updated slots are not
 * constant-folded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core_helpers.h"

enum { N = 5, STEPS = 4 };

static const float grads[STEPS][N] = {
    {0.5f, -1.0f, 0.0f, 2.0f, -0.25f},
    {0.1f, 0.3f, -0.7f, -2.0f, 0.0f},
    {-0.4f, -1.5f, 0.2f, 1.0f, 0.05f},
    {1.0f, 0.0f, -0.1f, 0.5f, 3.0f},
};

/* A float [N] resource variable bound to `init`. */
static void var(eng_graph *g, const char *name)
{
    int64_t d[1] = {N};
    eng_node *h = h_node(g, name, "VarHandleOp", NULL);
    h_attr(g, h, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, h, "shape", eng_test_attr_shape(1, d));
}

static void bind(eng_session *s, const char *name, const double *init)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    int64_t d[1] = {N};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 1, d, &st), TSD_OK);
    for (int i = 0; i < N; i++)
        ((float *)t.data)[i] = (float)init[i];
    assert_int_equal(eng_session_set_variable(s, name, &t, &st), TSD_OK);
}

static void expect(eng_session *s, const char *name, const double *want, const char *what, int step)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    assert_int_equal(eng_session_get_variable(s, name, &t, &st), TSD_OK);
    for (int i = 0; i < N; i++) {
        double got = ((float *)t.data)[i];
        if (fabs(got - want[i]) > 1e-5 * fmax(1.0, fabs(want[i])))
            fail_msg("%s step %d: %s[%d] = %.9g, want %.9g", what, step, name, i, got, want[i]);
    }
    eng_tensor_free_data(&t);
}

/* Build graph with `op` on the listed inputs (var names, then scalar consts
 * given as "name=value", with the fed gradient named "grad"), run STEPS steps
 * and after each call check(step). */
typedef void (*reference_fn)(int step, double *w, double *a, double *b);

static void run_case(const char *what, const char *op, const char *const *vars, int nvars,
                     const char *const *scalars, const float *values, int nscalars, int grad_pos,
                     const char *attr, int attr_value, reference_fn ref, const double *a0,
                     const double *b0)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    int64_t d[1] = {N};
    for (int k = 0; k < nvars; k++)
        var(g, vars[k]);
    for (int k = 0; k < nscalars; k++)
        h_scalarf(g, scalars[k], values[k]);
    h_ph(g, "grad", ENG_DT_FLOAT, 1, d);
    const char *ins[16];
    int ni = 0;
    for (int k = 0; k < nvars; k++)
        ins[ni++] = vars[k];
    for (int k = 0; k < nscalars; k++) {
        if (ni == grad_pos)
            ins[ni++] = "grad";
        ins[ni++] = scalars[k];
    }
    if (ni == grad_pos)
        ins[ni++] = "grad";
    eng_node *u = NULL;
    assert_int_equal(eng_graph_add_node(g, "update", op, ins, ni, &u, &st), TSD_OK);
    h_attr(g, u, "T", eng_test_attr_type(ENG_DT_FLOAT));
    if (attr)
        h_attr(g, u, attr, eng_test_attr_bool(attr_value));
    eng_session *s = eng_session_new(g, what, NULL, &st);
    assert_non_null(s);
    double w[N] = {0.1, -0.2, 0.3, 0.0, 1.5}, a[N], b[N];
    memcpy(a, a0, sizeof a);
    memcpy(b, b0, sizeof b);
    bind(s, vars[0], w);
    if (nvars > 1)
        bind(s, vars[1], a);
    if (nvars > 2)
        bind(s, vars[2], b);
    const char *feeds[] = {"grad"}, *targets[] = {"update"};
    eng_plan *p = h_compile(s, feeds, 1, NULL, 0, targets, 1, &st);
    if (!p)
        fail_msg("%s: compile: %s", what, st.msg);
    eng_call *c = eng_call_new();
    for (int step = 0; step < STEPS; step++) {
        eng_tensor gt = h_tf((float *)grads[step], 1, d);
        if (eng_plan_run(p, c, &gt, NULL, &st) != TSD_OK)
            fail_msg("%s: run: %s", what, st.msg);
        ref(step, w, a, b);
        expect(s, vars[0], w, what, step);
        if (nvars > 1)
            expect(s, vars[1], a, what, step);
        if (nvars > 2)
            expect(s, vars[2], b, what, step);
    }
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static const double zeros[N] = {0}, tenths[N] = {0.1, 0.1, 0.1, 0.1, 0.1};

/* ---- references (formats.md §4.3 / training_ops.cc) ------------------------ */

static void ref_gd(int step, double *w, double *a, double *b)
{
    (void)a;
    (void)b;
    for (int i = 0; i < N; i++)
        w[i] -= 0.3 * grads[step][i];
}

static void ref_adagrad(int step, double *w, double *acc, double *b)
{
    (void)b;
    for (int i = 0; i < N; i++) {
        double g = grads[step][i];
        acc[i] += g * g;
        w[i] -= 0.05 * g / sqrt(acc[i]);
    }
}

static void ref_adagrad2(int step, double *w, double *acc, double *b)
{
    (void)b;
    for (int i = 0; i < N; i++) {
        double g = grads[step][i];
        acc[i] += g * g;
        w[i] -= 0.001 * g / (sqrt(acc[i]) + 1e-7);
    }
}

static double ftrl_lr = 0.2, ftrl_l1, ftrl_l2, ftrl_shrink, ftrl_power = -0.5;

static void ref_ftrl(int step, double *w, double *n, double *z)
{
    for (int i = 0; i < N; i++) {
        double g = grads[step][i], gs = g + 2 * ftrl_shrink * w[i];
        double nn = n[i] + g * g;
        double sigma = (pow(nn, -ftrl_power) - pow(n[i], -ftrl_power)) / ftrl_lr;
        z[i] += gs - sigma * w[i];
        double quad = pow(nn, -ftrl_power) / ftrl_lr + 2 * ftrl_l2;
        w[i] = fabs(z[i]) > ftrl_l1 ? ((z[i] > 0 ? ftrl_l1 : -ftrl_l1) - z[i]) / quad : 0.0;
        n[i] = nn;
    }
}

static int adam_nesterov;

static void ref_adam(int step, double *w, double *m, double *v)
{
    double b1 = 0.9, b2 = 0.999, eps = 1e-7, lr = 0.01;
    double b1p = pow(b1, step + 1), b2p = pow(b2, step + 1);
    double alpha = lr * sqrt(1 - b2p) / (1 - b1p);
    for (int i = 0; i < N; i++) {
        double g = grads[step][i];
        m[i] += (g - m[i]) * (1 - b1);
        v[i] += (g * g - v[i]) * (1 - b2);
        double s = adam_nesterov ? m[i] * b1 + (1 - b1) * g : m[i];
        w[i] -= alpha * s / (sqrt(v[i]) + eps);
    }
}

/* ---- cases ------------------------------------------------------------------- */

static void test_gradient_descent(void **state)
{
    (void)state;
    const char *vars[] = {"w"}, *sc[] = {"lr"};
    const float vals[] = {0.3f};
    run_case("sgd", "ResourceApplyGradientDescent", vars, 1, sc, vals, 1, 2, NULL, 0, ref_gd, zeros,
             zeros);
}

static void test_adagrad(void **state)
{
    (void)state;
    const char *vars[] = {"w", "w/accumulator"}, *sc[] = {"lr"};
    const float vals[] = {0.05f};
    run_case("adagrad", "ResourceApplyAdagrad", vars, 2, sc, vals, 1, 3, NULL, 0, ref_adagrad,
             tenths, zeros);
    const char *sc2[] = {"lr", "epsilon"};
    const float vals2[] = {0.001f, 1e-7f};
    run_case("adagrad_v2", "ResourceApplyAdagradV2", vars, 2, sc2, vals2, 2, 4, NULL, 0,
             ref_adagrad2, tenths, zeros);
}

static void test_ftrl(void **state)
{
    (void)state;
    const char *vars[] = {"w", "w/accumulator", "w/linear"};
    const char *sc[] = {"lr", "l1", "l2", "lr_power"};
    /* Keras' defaults (l1 = l2 = 0), then with l1 and l2 */
    ftrl_l1 = 0, ftrl_l2 = 0, ftrl_shrink = 0, ftrl_power = -0.5;
    const float v0[] = {0.2f, 0.0f, 0.0f, -0.5f};
    run_case("ftrl", "ResourceApplyFtrl", vars, 3, sc, v0, 4, 3, NULL, 0, ref_ftrl, tenths, zeros);
    ftrl_l1 = 0.1, ftrl_l2 = 0.5;
    const float v1[] = {0.2f, 0.1f, 0.5f, -0.5f};
    run_case("ftrl_l1_l2", "ResourceApplyFtrl", vars, 3, sc, v1, 4, 3, NULL, 0, ref_ftrl, tenths,
             zeros);
    ftrl_power = -0.7;
    const float v2[] = {0.2f, 0.1f, 0.5f, -0.7f};
    run_case("ftrl_power", "ResourceApplyFtrl", vars, 3, sc, v2, 4, 3, NULL, 0, ref_ftrl, tenths,
             zeros);
    ftrl_power = -0.5, ftrl_shrink = 0.3;
    const char *sc2[] = {"lr", "l1", "l2", "l2_shrinkage", "lr_power"};
    const float v3[] = {0.2f, 0.1f, 0.5f, 0.3f, -0.5f};
    run_case("ftrl_v2", "ResourceApplyFtrlV2", vars, 3, sc2, v3, 5, 3, NULL, 0, ref_ftrl, tenths,
             zeros);
}

/* Adam takes beta powers as inputs; the test feeds them per step through
 * constants only for step 1, so it runs one step per fresh graph instead. */
static void test_adam(void **state)
{
    (void)state;
    const char *vars[] = {"w", "w/m", "w/v"};
    const char *sc[] = {"beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon"};
    /* one step with step-1 powers: compare against the reference's step 0 */
    const float vals[] = {0.9f, 0.999f, 0.01f, 0.9f, 0.999f, 1e-7f};
    for (adam_nesterov = 0; adam_nesterov < 2; adam_nesterov++) {
        tsd_status st = TSD_STATUS_INIT;
        eng_graph *g = eng_graph_new();
        int64_t d[1] = {N};
        for (int k = 0; k < 3; k++)
            var(g, vars[k]);
        for (int k = 0; k < 6; k++)
            h_scalarf(g, sc[k], vals[k]);
        h_ph(g, "grad", ENG_DT_FLOAT, 1, d);
        const char *ins[] = {"w", "w/m", "w/v", sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], "grad"};
        eng_node *u = NULL;
        assert_int_equal(eng_graph_add_node(g, "update", "ResourceApplyAdam", ins, 10, &u, &st),
                         TSD_OK);
        h_attr(g, u, "use_nesterov", eng_test_attr_bool(adam_nesterov));
        eng_session *s = eng_session_new(g, "adam", NULL, &st);
        double w[N] = {0.1, -0.2, 0.3, 0.0, 1.5}, m[N] = {0}, v[N] = {0};
        bind(s, "w", w);
        bind(s, "w/m", m);
        bind(s, "w/v", v);
        const char *feeds[] = {"grad"}, *targets[] = {"update"};
        eng_plan *p = h_compile(s, feeds, 1, NULL, 0, targets, 1, &st);
        assert_non_null(p);
        eng_call *c = eng_call_new();
        eng_tensor gt = h_tf((float *)grads[0], 1, d);
        assert_int_equal(eng_plan_run(p, c, &gt, NULL, &st), TSD_OK);
        ref_adam(0, w, m, v);
        expect(s, "w", w, "adam", 0);
        expect(s, "w/m", m, "adam", 0);
        expect(s, "w/v", v, "adam", 0);
        eng_call_free(c);
        eng_plan_free(p);
        eng_session_free(s);
    }
}

/* A gradient of the wrong size is refused, naming the variable; the
 * variable is unchanged. */
static void test_mismatch(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    var(g, "w");
    h_scalarf(g, "lr", 0.5f);
    h_ph(g, "grad", ENG_DT_FLOAT, -1, NULL);
    h_node(g, "update", "ResourceApplyGradientDescent", "w", "lr", "grad", NULL);
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    double w[N] = {1, 2, 3, 4, 5};
    bind(s, "w", w);
    const char *feeds[] = {"grad"}, *targets[] = {"update"};
    eng_plan *p = h_compile(s, feeds, 1, NULL, 0, targets, 1, &st);
    assert_non_null(p);
    eng_call *c = eng_call_new();
    float g3[3] = {1, 1, 1};
    int64_t d3[1] = {3};
    eng_tensor gt = h_tf(g3, 1, d3);
    assert_int_equal(eng_plan_run(p, c, &gt, NULL, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "variable 'w'"));
    expect(s, "w", w, "mismatch", 0);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_descent),
        cmocka_unit_test(test_adagrad),
        cmocka_unit_test(test_ftrl),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
