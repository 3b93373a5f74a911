/*
 * grad_kernels.c - the "grad" op family: TensorFlow's kernels that only
 * gradient graphs use. ReluGrad(dy, y), SigmoidGrad(y, dy), TanhGrad(y, dy),
 * BiasAddGrad(dy) (sum over every dim but the last, NHWC) and
 * BroadcastGradientArgs(s0, s1) (the dims each side was broadcast along,
 * which its gradient sums over), all with TensorFlow's input order and
 * semantics; UnsortedSegmentSum(data, segment_ids, num_segments),
 * SparseSegmentMeanGrad / SparseSegmentSqrtNGrad(grad, indices,
 * segment_ids, output_dim0) and ConcatOffset(axis, shapes...) for the
 * gradients of gathers, embedding combiners and concatenation; plus
 * _TsdReducedShape(shape, axes), the shape with 1 at every
 * reduced axis (what TensorFlow's Python reduced_shape computes with
 * DynamicStitch), which only gradient graphs contain. Float tensors
 * (int32/int64 shapes).
 */
#include <math.h>
#include <string.h>

#include "engine/ops/op.h"

/* Element i of an int32 or int64 tensor (shapes, indices, axes). */
static int64_t index_at(const eng_tensor *t, int64_t i)
{
    return t->dtype == ENG_DT_INT32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

static void set_index(eng_tensor *t, int64_t i, int64_t v)
{
    if (t->dtype == ENG_DT_INT32)
        ((int32_t *)t->data)[i] = (int32_t)v;
    else
        ((int64_t *)t->data)[i] = v;
}

static int is_index(const eng_tensor *t)
{
    return t->dtype == ENG_DT_INT32 || t->dtype == ENG_DT_INT64;
}

static tsd_code same_as_input(eng_infer_ctx *ic, int i)
{
    if (ic->ninputs < 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[i].dtype;
    ic->outputs[0].shape = ic->inputs[i].shape;
    return TSD_OK;
}

static tsd_code elementwise_infer(eng_infer_ctx *ic)
{
    return same_as_input(ic, 0);
}

/* Two same-shaped float inputs a, b -> out = f(a, b) element-wise. */
static tsd_code elementwise(eng_kctx *ctx, float (*f)(float, float))
{
    const eng_tensor *a = &ctx->inputs[0], *b = &ctx->inputs[1];
    if (a->dtype != ENG_DT_FLOAT || b->dtype != ENG_DT_FLOAT)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected float inputs");
    int64_t n = eng_tensor_num_elements(a);
    if (eng_tensor_num_elements(b) != n)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "inputs must have the same size: %lld vs %lld", (long long)n,
                       (long long)eng_tensor_num_elements(b));
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_FLOAT, a->rank, a->dims);
    if (!o)
        return ctx->st->code;
    const float *x = a->data, *y = b->data;
    float *z = o->data;
    for (int64_t i = 0; i < n; i++)
        z[i] = f(x[i], y[i]);
    return TSD_OK;
}

static float relu_grad(float dy, float y)
{
    return y > 0 ? dy : 0.0f;
}

static float sigmoid_grad(float y, float dy)
{
    return dy * y * (1 - y);
}

static float tanh_grad(float y, float dy)
{
    return dy * (1 - y * y);
}

static tsd_code relu_grad_compute(eng_kctx *ctx)
{
    return elementwise(ctx, relu_grad);
}

static tsd_code sigmoid_grad_compute(eng_kctx *ctx)
{
    return elementwise(ctx, sigmoid_grad);
}

static tsd_code tanh_grad_compute(eng_kctx *ctx)
{
    return elementwise(ctx, tanh_grad);
}

/* ---- BiasAddGrad ------------------------------------------------------------- */

static tsd_code bias_grad_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 1)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 1 input");
    const eng_shape *s = &ic->inputs[0].shape;
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape.rank = 1;
    ic->outputs[0].shape.dims[0] = s->rank >= 1 ? s->dims[s->rank - 1] : -1;
    return TSD_OK;
}

static tsd_code bias_grad_compute(eng_kctx *ctx)
{
    const eng_tensor *dy = &ctx->inputs[0];
    if (dy->dtype != ENG_DT_FLOAT || dy->rank < 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "BiasAddGrad needs a float tensor of rank >= 1");
    int64_t c = dy->dims[dy->rank - 1], rows = c ? eng_tensor_num_elements(dy) / c : 0;
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_FLOAT, 1, &c);
    if (!o)
        return ctx->st->code;
    float *out = o->data;
    const float *x = dy->data;
    memset(out, 0, (size_t)c * sizeof *out);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < c; j++)
            out[j] += x[r * c + j];
    return TSD_OK;
}

/* ---- BroadcastGradientArgs --------------------------------------------------- */

static tsd_code bga_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    ic->noutputs = 2;
    for (int k = 0; k < 2; k++) {
        ic->outputs[k].dtype = ic->inputs[0].dtype;
        ic->outputs[k].shape.rank = 1;
        ic->outputs[k].shape.dims[0] = -1;
    }
    return TSD_OK;
}

static tsd_code bga_compute(eng_kctx *ctx)
{
    const eng_tensor *s0 = &ctx->inputs[0], *s1 = &ctx->inputs[1];
    if ((s0->dtype != ENG_DT_INT32 && s0->dtype != ENG_DT_INT64) || s1->dtype != s0->dtype ||
        s0->rank != 1 || s1->rank != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "shapes must be int32 or int64 vectors");
    int n0 = (int)s0->dims[0], n1 = (int)s1->dims[0], n = n0 > n1 ? n0 : n1;
    if (n > ENG_MAX_RANK)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "rank above %d", ENG_MAX_RANK);
    int64_t r0[ENG_MAX_RANK], r1[ENG_MAX_RANK];
    int k0 = 0, k1 = 0;
    for (int i = 0; i < n; i++) { /* right-aligned, as NumPy broadcasting */
        int64_t a = i - (n - n0) >= 0 ? index_at(s0, i - (n - n0)) : 1;
        int64_t b = i - (n - n1) >= 0 ? index_at(s1, i - (n - n1)) : 1;
        if (a != b && a != 1 && b != 1)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Incompatible shapes: dim %d is %lld vs %lld", i, (long long)a,
                           (long long)b);
        if (a == 1) /* a size-1 dim of either side is summed over */
            r0[k0++] = i;
        if (b == 1)
            r1[k1++] = i;
    }
    int64_t d0 = k0, d1 = k1;
    eng_tensor *o0 = eng_kctx_output(ctx, 0, s0->dtype, 1, &d0);
    eng_tensor *o1 = o0 ? eng_kctx_output(ctx, 1, s0->dtype, 1, &d1) : NULL;
    if (!o1)
        return ctx->st->code;
    for (int i = 0; i < k0; i++)
        set_index(o0, i, r0[i]);
    for (int i = 0; i < k1; i++)
        set_index(o1, i, r1[i]);
    return TSD_OK;
}

/* ---- _TsdReducedShape ---------------------------------------------------------- */

static tsd_code reduced_shape_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    ic->noutputs = 1;
    ic->outputs[0].dtype = ENG_DT_INT32;
    ic->outputs[0].shape = ic->inputs[0].shape;
    return TSD_OK;
}

static tsd_code reduced_shape_compute(eng_kctx *ctx)
{
    const eng_tensor *sh = &ctx->inputs[0], *ax = &ctx->inputs[1];
    if ((sh->dtype != ENG_DT_INT32 && sh->dtype != ENG_DT_INT64) || sh->rank != 1 ||
        (ax->dtype != ENG_DT_INT32 && ax->dtype != ENG_DT_INT64) || ax->rank > 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected an int shape vector and int axes");
    int64_t r = sh->dims[0];
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_INT32, 1, &r);
    if (!o)
        return ctx->st->code;
    int32_t *out = o->data;
    for (int64_t i = 0; i < r; i++)
        out[i] = (int32_t)index_at(sh, i);
    int64_t na = eng_tensor_num_elements(ax);
    for (int64_t i = 0; i < na; i++) {
        int64_t a = index_at(ax, i);
        if (a < 0)
            a += r;
        if (a < 0 || a >= r)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "axis %lld out of range for rank %lld",
                           (long long)index_at(ax, i), (long long)r);
        out[a] = 1;
    }
    return TSD_OK;
}

/* ---- segment sums and the embedding combiners' gradients ---------------------- */

static tsd_code unknown_rows_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 3)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 3 inputs");
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape.rank = -1;
    return TSD_OK;
}

/* out[ids[i]] += data[i] (ids a prefix of data's shape); ids < 0 dropped. */
static tsd_code unsorted_segment_sum_compute(eng_kctx *ctx)
{
    const eng_tensor *d = &ctx->inputs[0], *ids = &ctx->inputs[1], *ns = &ctx->inputs[2];
    if (d->dtype != ENG_DT_FLOAT || !is_index(ids) || !is_index(ns) ||
        eng_tensor_num_elements(ns) != 1 || ids->rank > d->rank)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "UnsortedSegmentSum: float data, int segment ids (a prefix of data's "
                       "shape) and a scalar num_segments");
    for (int i = 0; i < ids->rank; i++)
        if (ids->dims[i] != d->dims[i])
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "segment_ids shape must be a prefix of data's shape");
    int64_t nseg = index_at(ns, 0), dims[ENG_MAX_RANK], inner = 1;
    if (nseg < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_segments must be >= 0");
    int rank = 1 + d->rank - ids->rank;
    dims[0] = nseg;
    for (int i = ids->rank; i < d->rank; i++) {
        dims[1 + i - ids->rank] = d->dims[i];
        inner *= d->dims[i];
    }
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_FLOAT, rank, dims);
    if (!o)
        return ctx->st->code;
    float *out = o->data;
    const float *x = d->data;
    memset(out, 0, o->nbytes);
    int64_t n = eng_tensor_num_elements(ids);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = index_at(ids, i);
        if (k < 0)
            continue;
        if (k >= nseg)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "segment_ids[%lld] = %lld is out of "
                           "range [0, %lld)",
                           (long long)i, (long long)k, (long long)nseg);
        for (int64_t j = 0; j < inner; j++)
            out[k * inner + j] += x[i * inner + j];
    }
    return TSD_OK;
}

/* SparseSegment{Mean,SqrtN}Grad: out[indices[i]] += grad[segment_ids[i]] / w(segment). */
static tsd_code seg_grad(eng_kctx *ctx, int sqrtn)
{
    const eng_tensor *g = &ctx->inputs[0], *idx = &ctx->inputs[1], *seg = &ctx->inputs[2],
                     *d0 = &ctx->inputs[3];
    if (g->dtype != ENG_DT_FLOAT || g->rank < 1 || !is_index(idx) || !is_index(seg) ||
        !is_index(d0) || idx->rank != 1 || seg->rank != 1 || idx->dims[0] != seg->dims[0] ||
        eng_tensor_num_elements(d0) != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "expected float grad, int indices and segment_ids of one length, a "
                       "scalar output_dim0");
    int64_t rows = index_at(d0, 0), nseg = g->dims[0], inner = 1, dims[ENG_MAX_RANK];
    dims[0] = rows;
    for (int i = 1; i < g->rank; i++) {
        dims[i] = g->dims[i];
        inner *= g->dims[i];
    }
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_FLOAT, g->rank, dims);
    float *cnt = o ? eng_kctx_scratch(ctx, (size_t)(nseg ? nseg : 1) * sizeof *cnt) : NULL;
    if (!cnt)
        return ctx->st->code;
    memset(o->data, 0, o->nbytes);
    memset(cnt, 0, (size_t)(nseg ? nseg : 1) * sizeof *cnt);
    int64_t n = idx->dims[0];
    for (int64_t i = 0; i < n; i++) {
        int64_t s = index_at(seg, i);
        if (s < 0 || s >= nseg)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment id %lld out of range",
                           (long long)s);
        cnt[s] += 1;
    }
    float *out = o->data;
    const float *x = g->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = index_at(seg, i), r = index_at(idx, i);
        if (r < 0 || r >= rows)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "index %lld out of range [0, %lld)",
                           (long long)r, (long long)rows);
        float w = sqrtn ? sqrtf(cnt[s]) : cnt[s];
        for (int64_t j = 0; j < inner; j++)
            out[r * inner + j] += x[s * inner + j] / w;
    }
    return TSD_OK;
}

static tsd_code seg_mean_grad_compute(eng_kctx *ctx)
{
    return seg_grad(ctx, 0);
}

static tsd_code seg_sqrtn_grad_compute(eng_kctx *ctx)
{
    return seg_grad(ctx, 1);
}

static tsd_code seg_grad_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 4)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 4 inputs");
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape.rank = -1;
    return TSD_OK;
}

/* ---- ConcatOffset ---------------------------------------------------------------- */

static tsd_code concat_offset_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected an axis and shapes");
    ic->noutputs = ic->ninputs - 1;
    if (ic->noutputs > ic->max_outputs)
        return TSD_OK;
    for (int k = 0; k < ic->noutputs; k++) {
        ic->outputs[k].dtype = ic->inputs[1].dtype;
        ic->outputs[k].shape = ic->inputs[1].shape;
    }
    return TSD_OK;
}

static tsd_code concat_offset_compute(eng_kctx *ctx)
{
    const eng_tensor *ax = &ctx->inputs[0];
    if (!is_index(ax) || eng_tensor_num_elements(ax) != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "concat_dim must be an int scalar");
    const eng_tensor *s0 = &ctx->inputs[1];
    if (s0->rank != 1 || !is_index(s0))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "shapes must be int vectors");
    int64_t r = s0->dims[0], axis = index_at(ax, 0), off = 0;
    if (axis < 0)
        axis += r;
    if (axis < 0 || axis >= r)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "concat_dim out of range");
    for (int k = 1; k < ctx->ninputs; k++) {
        const eng_tensor *sk = &ctx->inputs[k];
        if (sk->rank != 1 || sk->dims[0] != r || sk->dtype != s0->dtype)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "shape %d does not match", k - 1);
        eng_tensor *o = eng_kctx_output(ctx, k - 1, s0->dtype, 1, &r);
        if (!o)
            return ctx->st->code;
        for (int64_t i = 0; i < r; i++)
            set_index(o, i, i == axis ? off : 0);
        off += index_at(sk, axis);
    }
    return TSD_OK;
}

/* The family table. */
const eng_op_def eng_ops_grad[] = {
    {"BiasAddGrad", bias_grad_infer, bias_grad_compute, NULL, NULL, 0},
    {"BroadcastGradientArgs", bga_infer, bga_compute, NULL, NULL, 0},
    {"ConcatOffset", concat_offset_infer, concat_offset_compute, NULL, NULL, 0},
    {"ReluGrad", elementwise_infer, relu_grad_compute, NULL, NULL, 0},
    {"SigmoidGrad", elementwise_infer, sigmoid_grad_compute, NULL, NULL, 0},
    {"SparseSegmentMeanGrad", seg_grad_infer, seg_mean_grad_compute, NULL, NULL, 0},
    {"SparseSegmentSqrtNGrad", seg_grad_infer, seg_sqrtn_grad_compute, NULL, NULL, 0},
    {"TanhGrad", elementwise_infer, tanh_grad_compute, NULL, NULL, 0},
    {"UnsortedSegmentSum", unknown_rows_infer, unsorted_segment_sum_compute, NULL, NULL, 0},
    {"_TsdReducedShape", reduced_shape_infer, reduced_shape_compute, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
