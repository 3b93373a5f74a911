/*
 * train.c - the "train" op family: optimizer updates on resource variables,
 * in place, with the update equations of TensorFlow's CPU kernels
 * (training_ops.cc; formats: update equations):
 *
 *   ResourceApplyGradientDescent  var -= lr·g
 *   ResourceApplyAdagrad          acc += g²; var -= lr·g/√acc
 *   ResourceApplyAdagradV2        acc += g²; var -= lr·g/(√acc + ε)
 *   ResourceApplyFtrl(V2)         FTRL-Proximal with l1, l2 (and l2_shrinkage)
 *   ResourceApplyAdam             bias-corrected lr, m and v moments
 *
 * They run as writer steps, under the session's variable write lock, and
 * have no outputs. Float variables only (what the canned estimators train).
 */
#include <math.h>
#include <string.h>

#include "engine/ops/op.h"
#include "engine/ops/state_int.h"

enum { MAX_SLOTS = 3 };

/* What an update op takes: `nvars` variables first, then scalars and the
 * gradient at the listed input positions. */
typedef struct update_def {
    int nvars;   /* variable + slots (inputs 0..nvars-1) */
    int grad;    /* input index of the gradient */
    int ninputs; /* inputs in all */
} update_def;

static tsd_code update_infer(eng_infer_ctx *ic, const update_def *d)
{
    if (ic->ninputs < d->ninputs)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected %d inputs, got %d", d->ninputs,
                       ic->ninputs);
    ic->noutputs = 0;
    return TSD_OK;
}

/* Scalar float input i. */
static tsd_code scalar(eng_kctx *ctx, int i, float *out)
{
    const eng_tensor *t = &ctx->inputs[i];
    if (t->dtype != ENG_DT_FLOAT || eng_tensor_num_elements(t) != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "input %d must be a float scalar", i);
    *out = *(const float *)t->data;
    return TSD_OK;
}

/* The variable and its slots, checked against the gradient's shape. */
static tsd_code targets(eng_kctx *ctx, const update_def *d, float **v, const float **g, int64_t *n)
{
    const eng_tensor *gt = &ctx->inputs[d->grad];
    if (gt->dtype != ENG_DT_FLOAT)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "gradient must be float, not %s",
                       eng_dtype_name(gt->dtype));
    *n = eng_tensor_num_elements(gt);
    *g = gt->data;
    for (int k = 0; k < d->nvars; k++) {
        char name[1024];
        eng_tensor *t;
        if (eng__state_target(ctx, k, name, sizeof name) || eng_kctx_var_mut(ctx, name, &t))
            return ctx->st->code;
        if (t->dtype != ENG_DT_FLOAT || eng_tensor_num_elements(t) != *n)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "variable '%s' (%s, %lld elements) does not match the gradient "
                           "(%lld elements)",
                           name, eng_dtype_name(t->dtype), (long long)eng_tensor_num_elements(t),
                           (long long)*n);
        v[k] = t->data;
    }
    return TSD_OK;
}

/* ---- gradient descent ------------------------------------------------------- */

static const update_def gd_def = {1, 2, 3}; /* var, alpha, delta */

static tsd_code gd_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &gd_def);
}

static tsd_code gd_compute(eng_kctx *ctx)
{
    float *v[MAX_SLOTS], lr = 0;
    const float *g;
    int64_t n;
    if (scalar(ctx, 1, &lr) || targets(ctx, &gd_def, v, &g, &n))
        return ctx->st->code;
    for (int64_t i = 0; i < n; i++)
        v[0][i] -= lr * g[i];
    return TSD_OK;
}

/* ---- Adagrad ------------------------------------------------------------------- */

static const update_def adagrad_def = {2, 3, 4};  /* var, accum, lr, grad */
static const update_def adagrad2_def = {2, 4, 5}; /* var, accum, lr, epsilon, grad */

static tsd_code adagrad_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &adagrad_def);
}

static tsd_code adagrad2_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &adagrad2_def);
}

static tsd_code adagrad_run(eng_kctx *ctx, const update_def *d, float eps)
{
    float *v[MAX_SLOTS], lr = 0;
    const float *g;
    int64_t n;
    if (scalar(ctx, 2, &lr) || targets(ctx, d, v, &g, &n))
        return ctx->st->code;
    float *restrict w = v[0], *restrict acc = v[1];
    const float *restrict gr = g;
    if (eng_attr_bool_or(ctx->node, "update_slots", 1)) /* two loops the compiler vectorizes */
        for (int64_t i = 0; i < n; i++) {
            acc[i] += gr[i] * gr[i];
            w[i] -= lr * gr[i] / (sqrtf(acc[i]) + eps);
        }
    else
        for (int64_t i = 0; i < n; i++)
            w[i] -= lr * gr[i] / (sqrtf(acc[i]) + eps);
    return TSD_OK;
}

static tsd_code adagrad_compute(eng_kctx *ctx)
{
    return adagrad_run(ctx, &adagrad_def, 0.0f);
}

static tsd_code adagrad2_compute(eng_kctx *ctx)
{
    float eps = 0;
    if (scalar(ctx, 3, &eps))
        return ctx->st->code;
    return adagrad_run(ctx, &adagrad2_def, eps);
}

/* ---- FTRL-Proximal -------------------------------------------------------------- */

/* var, accum, linear, grad, lr, l1, l2, [l2_shrinkage,] lr_power */
static const update_def ftrl_def = {3, 3, 8};
static const update_def ftrl2_def = {3, 3, 9};

static tsd_code ftrl_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &ftrl_def);
}

static tsd_code ftrl2_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &ftrl2_def);
}

static tsd_code ftrl_run(eng_kctx *ctx, const update_def *d, int v2)
{
    float *v[MAX_SLOTS], lr = 0, l1 = 0, l2 = 0, shrink = 0, power = 0;
    const float *g;
    int64_t n;
    if (scalar(ctx, 4, &lr) || scalar(ctx, 5, &l1) || scalar(ctx, 6, &l2) ||
        (v2 && scalar(ctx, 7, &shrink)) || scalar(ctx, v2 ? 8 : 7, &power) ||
        targets(ctx, d, v, &g, &n))
        return ctx->st->code;
    if (!(lr > 0))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "lr is not a positive scalar: %g", lr);
    float *w = v[0], *acc = v[1], *z = v[2];
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float gs = v2 ? gi + 2 * shrink * w[i] : gi; /* z update uses the shrunk gradient */
        float nn = acc[i] + gi * gi;
        float sigma = power == -0.5f ? (sqrtf(nn) - sqrtf(acc[i])) / lr
                                     : (powf(nn, -power) - powf(acc[i], -power)) / lr;
        z[i] += gs - sigma * w[i];
        float quad = (power == -0.5f ? sqrtf(nn) : powf(nn, -power)) / lr + 2 * l2;
        w[i] = fabsf(z[i]) > l1 ? ((z[i] > 0 ? l1 : -l1) - z[i]) / quad : 0.0f;
        acc[i] = nn;
    }
    return TSD_OK;
}

static tsd_code ftrl_compute(eng_kctx *ctx)
{
    return ftrl_run(ctx, &ftrl_def, 0);
}

static tsd_code ftrl2_compute(eng_kctx *ctx)
{
    return ftrl_run(ctx, &ftrl2_def, 1);
}

/* ---- Adam ---------------------------------------------------------------------------- */

/* var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad */
static const update_def adam_def = {3, 9, 10};

static tsd_code adam_infer(eng_infer_ctx *ic)
{
    return update_infer(ic, &adam_def);
}

static tsd_code adam_compute(eng_kctx *ctx)
{
    float *v[MAX_SLOTS], b1p = 0, b2p = 0, lr = 0, b1 = 0, b2 = 0, eps = 0;
    const float *g;
    int64_t n;
    if (scalar(ctx, 3, &b1p) || scalar(ctx, 4, &b2p) || scalar(ctx, 5, &lr) ||
        scalar(ctx, 6, &b1) || scalar(ctx, 7, &b2) || scalar(ctx, 8, &eps) ||
        targets(ctx, &adam_def, v, &g, &n))
        return ctx->st->code;
    int nesterov = eng_attr_bool_or(ctx->node, "use_nesterov", 0);
    float alpha = lr * sqrtf(1 - b2p) / (1 - b1p);
    float *w = v[0], *m = v[1], *s = v[2];
    for (int64_t i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * (1 - b1);
        s[i] += (g[i] * g[i] - s[i]) * (1 - b2);
        float step = nesterov ? (m[i] * b1 + (1 - b1) * g[i]) : m[i];
        w[i] -= alpha * step / (sqrtf(s[i]) + eps);
    }
    return TSD_OK;
}

/* The family table. */
const eng_op_def eng_ops_train[] = {
    {"ResourceApplyAdagrad", adagrad_infer, adagrad_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceApplyAdagradV2", adagrad2_infer, adagrad2_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceApplyAdam", adam_infer, adam_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceApplyFtrl", ftrl_infer, ftrl_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceApplyFtrlV2", ftrl2_infer, ftrl2_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceApplyGradientDescent", gd_infer, gd_compute, NULL, NULL, ENG_OP_STATEFUL},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
