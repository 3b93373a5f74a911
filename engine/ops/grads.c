/*
 * grads.c - gradient functions, one per differentiable op, in one table
 * looked up by eng_op_grad(). Each adds the nodes TensorFlow's own gradient
 * (math_grad.py, nn_grad.py, array_grad.py) would add: MatMul with
 * transposes, BiasAddGrad, ReluGrad, SigmoidGrad, TanhGrad, Sum/Reshape
 * over BroadcastGradientArgs for broadcasting binary ops, and so on. Float
 * tensors; the inputs a caller does not need get no nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/op.h"

#define F ENG_DT_FLOAT

static const char *node2(eng_grad_ctx *gc, const char *op, const char *a, const char *b)
{
    const char *ins[2] = {a, b};
    return eng_grad_node(gc, op, ins, 2, F, NULL);
}

static const char *node1(eng_grad_ctx *gc, const char *op, const char *a)
{
    return eng_grad_node(gc, op, &a, 1, F, NULL);
}

static tsd_code set_attr(eng_grad_ctx *gc, eng_node *n, const char *name, eng_attr a)
{
    return eng_node_set_attr(gc->g, n, name, &a, gc->st);
}

/* Float scalar constant. */
static const char *constf(eng_grad_ctx *gc, float v)
{
    eng_node *n;
    const char *name = eng_grad_node(gc, "Const", NULL, 0, ENG_DT_INVALID, &n);
    if (!name)
        return NULL;
    eng_tensor t = {.dtype = F, .rank = 0, .data = &v, .nbytes = sizeof v};
    if (set_attr(gc, n, "dtype", (eng_attr){.kind = ENG_ATTR_TYPE, .type = F}) ||
        set_attr(gc, n, "value", (eng_attr){.kind = ENG_ATTR_TENSOR, .tensor = t}))
        return NULL;
    return name;
}

/* Shape(x) as int32. */
static const char *shape_of(eng_grad_ctx *gc, const char *x)
{
    return node1(gc, "Shape", x);
}

static const char *cast_to_float(eng_grad_ctx *gc, const char *x)
{
    eng_node *n;
    const char *name = eng_grad_node(gc, "Cast", &x, 1, ENG_DT_INVALID, &n);
    if (!name || set_attr(gc, n, "SrcT", (eng_attr){.kind = ENG_ATTR_TYPE, .type = ENG_DT_INT32}) ||
        set_attr(gc, n, "DstT", (eng_attr){.kind = ENG_ATTR_TYPE, .type = F}))
        return NULL;
    return name;
}

/* Sum(g, axes) reshaped to shape (the reduction a broadcast needs). */
static const char *sum_reshape(eng_grad_ctx *gc, const char *g, const char *axes, const char *shape)
{
    const char *s = node2(gc, "Sum", g, axes);
    return s ? node2(gc, "Reshape", s, shape) : NULL;
}

/*
 * Set the gradients of a broadcasting binary op from gx (for input 0) and gy
 * (for input 1), each summed over the dims its input was broadcast along.
 */
static tsd_code set_broadcast(eng_grad_ctx *gc, const char *gx, const char *gy)
{
    const char *sx = shape_of(gc, gc->inputs[0]), *sy = sx ? shape_of(gc, gc->inputs[1]) : NULL;
    const char *args = sy ? node2(gc, "BroadcastGradientArgs", sx, sy) : NULL;
    if (!args)
        return gc->st->code;
    eng_node *an = eng_graph_find(gc->g, args);
    eng_attr t = {.kind = ENG_ATTR_TYPE, .type = ENG_DT_INT32};
    if (eng_node_set_attr(gc->g, an, "T", &t, gc->st))
        return gc->st->code;
    if (gc->need[0] && gx) {
        const char *r = sum_reshape(gc, gx, eng_grad_out(gc, args, 0), sx);
        if (!r || eng_grad_set(gc, 0, r))
            return gc->st->code;
    }
    if (gc->ninputs > 1 && gc->need[1] && gy) {
        const char *r = sum_reshape(gc, gy, eng_grad_out(gc, args, 1), sy);
        if (!r || eng_grad_set(gc, 1, r))
            return gc->st->code;
    }
    return TSD_OK;
}

/* ---- element-wise ------------------------------------------------------------ */

static tsd_code g_identity(eng_grad_ctx *gc)
{
    return eng_grad_set(gc, 0, gc->dy[0]);
}

static tsd_code g_add(eng_grad_ctx *gc)
{
    return set_broadcast(gc, gc->dy[0], gc->dy[0]);
}

static tsd_code g_sub(eng_grad_ctx *gc)
{
    const char *neg = gc->need[1] ? node1(gc, "Neg", gc->dy[0]) : NULL;
    if (gc->need[1] && !neg)
        return gc->st->code;
    return set_broadcast(gc, gc->dy[0], neg);
}

static tsd_code g_mul(eng_grad_ctx *gc)
{
    const char *gx = gc->need[0] ? node2(gc, "Mul", gc->dy[0], gc->inputs[1]) : NULL;
    const char *gy = gc->need[1] ? node2(gc, "Mul", gc->inputs[0], gc->dy[0]) : NULL;
    if ((gc->need[0] && !gx) || (gc->need[1] && !gy))
        return gc->st->code;
    return set_broadcast(gc, gx, gy);
}

static tsd_code g_neg(eng_grad_ctx *gc)
{
    const char *r = node1(gc, "Neg", gc->dy[0]);
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_square(eng_grad_ctx *gc)
{
    const char *two = constf(gc, 2.0f);
    const char *x2 = two ? node2(gc, "Mul", gc->inputs[0], two) : NULL;
    const char *r = x2 ? node2(gc, "Mul", gc->dy[0], x2) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

/* y = 1/sqrt(x): dy * -0.5 * y^3 (TensorFlow's RsqrtGrad). */
static tsd_code g_rsqrt(eng_grad_ctx *gc)
{
    const char *y = eng_grad_out(gc, eng_node_name(gc->node), 0);
    const char *half = constf(gc, -0.5f);
    const char *y2 = half ? node2(gc, "Mul", y, y) : NULL;
    const char *y3 = y2 ? node2(gc, "Mul", y2, y) : NULL;
    const char *k = y3 ? node2(gc, "Mul", y3, half) : NULL;
    const char *r = k ? node2(gc, "Mul", gc->dy[0], k) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_exp(eng_grad_ctx *gc)
{
    const char *r = node2(gc, "Mul", gc->dy[0], eng_grad_out(gc, eng_node_name(gc->node), 0));
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_log(eng_grad_ctx *gc)
{
    const char *r = node2(gc, "RealDiv", gc->dy[0], gc->inputs[0]);
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_log1p(eng_grad_ctx *gc)
{
    const char *one = constf(gc, 1.0f);
    const char *x1 = one ? node2(gc, "AddV2", gc->inputs[0], one) : NULL;
    const char *r = x1 ? node2(gc, "RealDiv", gc->dy[0], x1) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_abs(eng_grad_ctx *gc)
{
    const char *sg = node1(gc, "Sign", gc->inputs[0]);
    const char *r = sg ? node2(gc, "Mul", gc->dy[0], sg) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

/* ---- activations ------------------------------------------------------------- */

static tsd_code g_relu(eng_grad_ctx *gc)
{
    const char *r = node2(gc, "ReluGrad", gc->dy[0], eng_grad_out(gc, eng_node_name(gc->node), 0));
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

/* y = elu(x): dy where y > 0, dy * (y + 1) elsewhere (TensorFlow's EluGrad). */
static tsd_code g_elu(eng_grad_ctx *gc)
{
    const char *y = eng_grad_out(gc, eng_node_name(gc->node), 0);
    const char *zero = constf(gc, 0.0f), *one = zero ? constf(gc, 1.0f) : NULL;
    const char *pos = one ? node2(gc, "Greater", y, zero) : NULL;
    const char *yp1 = pos ? node2(gc, "AddV2", y, one) : NULL;
    const char *neg = yp1 ? node2(gc, "Mul", gc->dy[0], yp1) : NULL;
    const char *ins[3] = {pos, gc->dy[0], neg};
    const char *r = neg ? eng_grad_node(gc, "Select", ins, 3, F, NULL) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_sigmoid(eng_grad_ctx *gc)
{
    const char *r =
        node2(gc, "SigmoidGrad", eng_grad_out(gc, eng_node_name(gc->node), 0), gc->dy[0]);
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_tanh(eng_grad_ctx *gc)
{
    const char *r = node2(gc, "TanhGrad", eng_grad_out(gc, eng_node_name(gc->node), 0), gc->dy[0]);
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

/* ---- dense layers ---------------------------------------------------------- */

static const char *matmul(eng_grad_ctx *gc, const char *a, const char *b, int ta, int tb)
{
    eng_node *n;
    const char *ins[2] = {a, b};
    const char *name = eng_grad_node(gc, "MatMul", ins, 2, F, &n);
    if (!name || set_attr(gc, n, "transpose_a", (eng_attr){.kind = ENG_ATTR_BOOL, .b = ta}) ||
        set_attr(gc, n, "transpose_b", (eng_attr){.kind = ENG_ATTR_BOOL, .b = tb}))
        return NULL;
    return name;
}

static tsd_code g_matmul(eng_grad_ctx *gc)
{
    int ta = eng_attr_bool_or(gc->node, "transpose_a", 0);
    int tb = eng_attr_bool_or(gc->node, "transpose_b", 0);
    const char *a = gc->inputs[0], *b = gc->inputs[1], *dy = gc->dy[0];
    const char *da = NULL, *db = NULL;
    if (gc->need[0]) {
        da = !ta ? (!tb ? matmul(gc, dy, b, 0, 1) : matmul(gc, dy, b, 0, 0))
                 : (!tb ? matmul(gc, b, dy, 0, 1) : matmul(gc, b, dy, 1, 1));
        if (!da || eng_grad_set(gc, 0, da))
            return gc->st->code;
    }
    if (gc->need[1]) {
        db = !ta ? (!tb ? matmul(gc, a, dy, 1, 0) : matmul(gc, dy, a, 1, 0))
                 : (!tb ? matmul(gc, a, dy, 0, 0) : matmul(gc, dy, a, 1, 1));
        if (!db || eng_grad_set(gc, 1, db))
            return gc->st->code;
    }
    return TSD_OK;
}

static tsd_code g_bias_add(eng_grad_ctx *gc)
{
    if (gc->need[0] && eng_grad_set(gc, 0, gc->dy[0]))
        return gc->st->code;
    if (gc->need[1]) {
        const char *r = node1(gc, "BiasAddGrad", gc->dy[0]);
        if (!r || eng_grad_set(gc, 1, r))
            return gc->st->code;
    }
    return TSD_OK;
}

/* ---- reductions and shapes ------------------------------------------------------- */

/* dy broadcast back to x's shape, for Sum/Mean over the axes in input 1. */
static const char *unreduce(eng_grad_ctx *gc)
{
    const char *sx = shape_of(gc, gc->inputs[0]);
    if (!sx)
        return NULL;
    const char *dy = gc->dy[0];
    if (!eng_attr_bool_or(gc->node, "keep_dims", 0)) {
        const char *ins[2] = {sx, gc->inputs[1]};
        const char *rs = eng_grad_node(gc, "_TsdReducedShape", ins, 2, ENG_DT_INVALID, NULL);
        dy = rs ? node2(gc, "Reshape", dy, rs) : NULL;
        if (!dy)
            return NULL;
    }
    return node2(gc, "BroadcastTo", dy, sx);
}

static tsd_code g_sum(eng_grad_ctx *gc)
{
    const char *r = unreduce(gc);
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_mean(eng_grad_ctx *gc)
{
    const char *r = unreduce(gc);
    const char *nx = r ? node1(gc, "Size", gc->inputs[0]) : NULL;
    const char *ny = nx ? node1(gc, "Size", eng_grad_out(gc, eng_node_name(gc->node), 0)) : NULL;
    const char *fx = ny ? cast_to_float(gc, nx) : NULL;
    const char *fy = fx ? cast_to_float(gc, ny) : NULL;
    const char *cnt = fy ? node2(gc, "RealDiv", fx, fy) : NULL;
    const char *d = cnt ? node2(gc, "RealDiv", r, cnt) : NULL;
    return d ? eng_grad_set(gc, 0, d) : gc->st->code;
}

static tsd_code g_reshape(eng_grad_ctx *gc)
{
    const char *sx = shape_of(gc, gc->inputs[0]);
    const char *r = sx ? node2(gc, "Reshape", gc->dy[0], sx) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

/* ---- gathers, embedding combiners, concatenation ---------------------------------- */

/* int32 vector (or scalar) constant. */
static const char *consti(eng_grad_ctx *gc, const int32_t *v, int n, int scalar)
{
    eng_node *nd;
    const char *name = eng_grad_node(gc, "Const", NULL, 0, ENG_DT_INVALID, &nd);
    if (!name)
        return NULL;
    eng_tensor t = {.dtype = ENG_DT_INT32,
                    .rank = scalar ? 0 : 1,
                    .data = (void *)v,
                    .nbytes = (size_t)n * sizeof *v};
    t.dims[0] = n;
    if (set_attr(gc, nd, "dtype", (eng_attr){.kind = ENG_ATTR_TYPE, .type = ENG_DT_INT32}) ||
        set_attr(gc, nd, "value", (eng_attr){.kind = ENG_ATTR_TENSOR, .tensor = t}))
        return NULL;
    return name;
}

/* Dim 0 of x as an int32 scalar: StridedSlice(Shape(x), [0], [1], [1]), shrunk. */
static const char *dim0(eng_grad_ctx *gc, const char *x)
{
    static const int32_t zero = 0, one = 1;
    const char *sh = shape_of(gc, x);
    const char *b = sh ? consti(gc, &zero, 1, 0) : NULL;
    const char *e = b ? consti(gc, &one, 1, 0) : NULL;
    const char *st = e ? consti(gc, &one, 1, 0) : NULL;
    if (!st)
        return NULL;
    const char *ins[4] = {sh, b, e, st};
    eng_node *n;
    const char *name = eng_grad_node(gc, "StridedSlice", ins, 4, ENG_DT_INT32, &n);
    if (!name ||
        set_attr(gc, n, "Index", (eng_attr){.kind = ENG_ATTR_TYPE, .type = ENG_DT_INT32}) ||
        set_attr(gc, n, "shrink_axis_mask", (eng_attr){.kind = ENG_ATTR_INT, .i = 1}))
        return NULL;
    return name;
}

/* out[ids] += data over `rows` rows. */
static const char *segment_sum(eng_grad_ctx *gc, const char *data, const char *ids,
                               const char *rows)
{
    const char *ins[3] = {data, ids, rows};
    return eng_grad_node(gc, "UnsortedSegmentSum", ins, 3, F, NULL);
}

/* The Const value of a graph tensor, if it is one (else NULL). */
static const eng_attr *const_value(eng_grad_ctx *gc, const char *tensor)
{
    char name[512];
    snprintf(name, sizeof name, "%s", tensor);
    char *colon = strrchr(name, ':');
    if (colon && strcmp(colon, ":0") == 0)
        *colon = '\0';
    eng_node *n = eng_graph_find(gc->g, name);
    if (!n || strcmp(eng_node_op(n), "Const") != 0)
        return NULL;
    return eng_node_attr(n, "value");
}

static tsd_code g_gather(eng_grad_ctx *gc)
{
    if (!gc->need[0])
        return TSD_OK;
    const eng_attr *ax = gc->ninputs > 2 ? const_value(gc, gc->inputs[2]) : NULL;
    if (!ax || ax->kind != ENG_ATTR_TENSOR || eng_tensor_num_elements(&ax->tensor) != 1 ||
        (ax->tensor.dtype == ENG_DT_INT32 ? *(const int32_t *)ax->tensor.data
                                          : *(const int64_t *)ax->tensor.data) != 0 ||
        eng_attr_int_or(gc->node, "batch_dims", 0) != 0)
        return tsd_err(gc->st, TSD_UNIMPLEMENTED,
                       "the gradient of GatherV2 is implemented for a constant axis 0 only");
    const char *rows = dim0(gc, gc->inputs[0]);
    const char *r = rows ? segment_sum(gc, gc->dy[0], gc->inputs[1], rows) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_seg_sum(eng_grad_ctx *gc)
{
    if (!gc->need[0])
        return TSD_OK;
    static const int32_t zero = 0;
    const char *ax = consti(gc, &zero, 1, 1);
    const char *gi[3] = {gc->dy[0], gc->inputs[2], ax};
    const char *picked = ax ? eng_grad_node(gc, "GatherV2", gi, 3, ENG_DT_INVALID, NULL) : NULL;
    const char *rows = picked ? dim0(gc, gc->inputs[0]) : NULL;
    const char *r = rows ? segment_sum(gc, picked, gc->inputs[1], rows) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code seg_scaled(eng_grad_ctx *gc, const char *op)
{
    if (!gc->need[0])
        return TSD_OK;
    const char *rows = dim0(gc, gc->inputs[0]);
    const char *ins[4] = {gc->dy[0], gc->inputs[1], gc->inputs[2], rows};
    const char *r = rows ? eng_grad_node(gc, op, ins, 4, F, NULL) : NULL;
    return r ? eng_grad_set(gc, 0, r) : gc->st->code;
}

static tsd_code g_seg_mean(eng_grad_ctx *gc)
{
    return seg_scaled(gc, "SparseSegmentMeanGrad");
}

static tsd_code g_seg_sqrtn(eng_grad_ctx *gc)
{
    return seg_scaled(gc, "SparseSegmentSqrtNGrad");
}

static tsd_code g_concat(eng_grad_ctx *gc)
{
    int n = gc->ninputs - 1; /* values..., axis */
    if (n < 1 || n > 62)
        return tsd_err(gc->st, TSD_INVALID_ARGUMENT, "ConcatV2 with %d values", n);
    const char *ins[64], *shapes[64];
    ins[0] = gc->inputs[n];
    for (int i = 0; i < n; i++)
        if (!(shapes[i] = ins[1 + i] = shape_of(gc, gc->inputs[i])))
            return gc->st->code;
    eng_node *on;
    const char *offs = eng_grad_node(gc, "ConcatOffset", ins, n + 1, ENG_DT_INVALID, &on);
    if (!offs || set_attr(gc, on, "N", (eng_attr){.kind = ENG_ATTR_INT, .i = n}))
        return gc->st->code;
    for (int i = 0; i < n; i++) {
        if (!gc->need[i])
            continue;
        const char *si[3] = {gc->dy[0], eng_grad_out(gc, offs, i), shapes[i]};
        eng_node *sl;
        const char *r = eng_grad_node(gc, "Slice", si, 3, F, &sl);
        if (!r ||
            set_attr(gc, sl, "Index", (eng_attr){.kind = ENG_ATTR_TYPE, .type = ENG_DT_INT32}) ||
            eng_grad_set(gc, i, r))
            return gc->st->code;
    }
    return TSD_OK;
}

static tsd_code g_none(eng_grad_ctx *gc)
{
    (void)gc;
    return TSD_OK; /* StopGradient: nothing flows back */
}

/* The table, sorted by op name. */
static const struct {
    const char *op;
    eng_grad_fn fn;
} grads[] = {
    {"Abs", g_abs},
    {"Add", g_add},
    {"AddV2", g_add},
    {"BiasAdd", g_bias_add},
    {"ConcatV2", g_concat},
    {"Elu", g_elu},
    {"Exp", g_exp},
    {"GatherV2", g_gather},
    {"Identity", g_identity},
    {"Log", g_log},
    {"Log1p", g_log1p},
    {"MatMul", g_matmul},
    {"Mean", g_mean},
    {"Mul", g_mul},
    {"Neg", g_neg},
    {"Relu", g_relu},
    {"Reshape", g_reshape},
    {"Rsqrt", g_rsqrt},
    {"Sigmoid", g_sigmoid},
    {"Snapshot", g_identity},
    {"SparseSegmentMean", g_seg_mean},
    {"SparseSegmentMeanWithNumSegments", g_seg_mean},
    {"SparseSegmentSqrtN", g_seg_sqrtn},
    {"SparseSegmentSqrtNWithNumSegments", g_seg_sqrtn},
    {"SparseSegmentSum", g_seg_sum},
    {"SparseSegmentSumWithNumSegments", g_seg_sum},
    {"Square", g_square},
    {"StopGradient", g_none},
    {"Sub", g_sub},
    {"Sum", g_sum},
    {"Tanh", g_tanh},
};

eng_grad_fn eng_op_grad(const char *op)
{
    size_t lo = 0, hi = sizeof grads / sizeof grads[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(op, grads[mid].op);
        if (c == 0)
            return grads[mid].fn;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
