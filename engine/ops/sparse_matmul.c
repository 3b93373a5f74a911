/*
 * sparse_matmul.c - SparseTensorDenseMatMul (a sparse [M,K] matrix given as
 * indices/values/shape times a dense matrix, each optionally transposed)
 * and SegmentSum (sums of data rows over sorted segment ids).
 */
#include <inttypes.h>
#include <string.h>

#include "engine/ops/sparse_int.h"

/* ---- SparseTensorDenseMatMul ------------------------------------------------- */

tsd_code eng__spmm_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 4)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 4 inputs, got %d", ic->ninputs);
    int adj_a = eng_attr_bool_or(ic->node, "adjoint_a", 0);
    int adj_b = eng_attr_bool_or(ic->node, "adjoint_b", 0);
    eng_value_info *o = &ic->outputs[0];
    ic->noutputs = 1;
    o->dtype = ic->inputs[1].dtype;
    o->shape.rank = 2;
    o->shape.dims[0] = -1;
    o->shape.dims[1] = -1;
    const eng_tensor *as = ic->inputs[2].value;
    if (as && as->rank == 1 && as->dims[0] == 2 && as->dtype == ENG_DT_INT64)
        o->shape.dims[0] = ((const int64_t *)as->data)[adj_a ? 1 : 0];
    const eng_shape *bs = &ic->inputs[3].shape;
    if (bs->rank == 2)
        o->shape.dims[1] = bs->dims[adj_b ? 0 : 1];
    return TSD_OK;
}

#define SPMM_LOOP(T)                                                                               \
    do {                                                                                           \
        const T *av = a_val->data, *bv = b->data;                                                  \
        T *ov = out->data;                                                                         \
        for (int64_t i = 0; i < nnz; i++) {                                                        \
            int64_t m = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 1 : 0));                            \
            int64_t k = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 0 : 1));                            \
            T a = av[i];                                                                           \
            for (int64_t n = 0; n < ncols; n++) {                                                  \
                T bk = adj_b ? bv[n * b->dims[1] + k] : bv[k * b->dims[1] + n];                    \
                ov[m * ncols + n] = ov[m * ncols + n] + a * bk;                                    \
            }                                                                                      \
        }                                                                                          \
    } while (0)

tsd_code eng__spmm_compute(eng_kctx *ctx)
{
    const eng_tensor *a_idx = &ctx->inputs[0], *a_val = &ctx->inputs[1];
    const eng_tensor *a_shape = &ctx->inputs[2], *b = &ctx->inputs[3];
    int adj_a = eng_attr_bool_or(ctx->node, "adjoint_a", 0);
    int adj_b = eng_attr_bool_or(ctx->node, "adjoint_b", 0);
    if (a_idx->rank != 2 || a_idx->dims[1] != 2 ||
        (a_idx->dtype != ENG_DT_INT32 && a_idx->dtype != ENG_DT_INT64))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Tensor 'a_indices' is not a matrix of [nnz, 2] integer indices");
    if (a_val->rank != 1 || a_val->dims[0] != a_idx->dims[0])
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Number of rows of a_indices does not match number of entries in "
                       "a_values");
    if (a_shape->rank != 1 || a_shape->dims[0] != 2 || a_shape->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Tensor 'a_shape' is not a vector of 2");
    if (b->rank != 2 || b->dtype != a_val->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Tensor 'b' is not a matrix of the values' type");
    const int64_t *ash = a_shape->data;
    if (ash[0] < 0 || ash[1] < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "a_shape has a negative dimension");
    int64_t outer_a = adj_a ? ash[1] : ash[0], inner_a = adj_a ? ash[0] : ash[1];
    int64_t inner_b = adj_b ? b->dims[1] : b->dims[0];
    int64_t ncols = adj_b ? b->dims[0] : b->dims[1];
    if (inner_a != inner_b)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Cannot multiply A and B because inner dimension does not match: %" PRId64
                       " vs. %" PRId64 ".  Did you forget a transpose?  Dimensions of A: [%" PRId64
                       ", %" PRId64 ").  Dimensions of B: [%" PRId64 ",%" PRId64 "]",
                       inner_a, inner_b, ash[0], ash[1], b->dims[0], b->dims[1]);
    if (a_val->dtype != ENG_DT_FLOAT && a_val->dtype != ENG_DT_DOUBLE &&
        a_val->dtype != ENG_DT_INT32 && a_val->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED,
                       "SparseTensorDenseMatMul does not support type %s",
                       eng_dtype_name(a_val->dtype));
    int64_t nnz = a_idx->dims[0];
    for (int64_t i = 0; i < nnz; i++) {
        int64_t m = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 1 : 0));
        int64_t k = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 0 : 1));
        if (k < 0 || k >= inner_a)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "k (%" PRId64 ") from index[%" PRId64 ",%d] out of bounds (>=%" PRId64
                           ")",
                           k, i, adj_a ? 0 : 1, inner_a);
        if (m < 0 || m >= outer_a)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "m (%" PRId64 ") from index[%" PRId64 ",%d] out of bounds (>=%" PRId64
                           ")",
                           m, i, adj_a ? 1 : 0, outer_a);
    }
    int64_t od[2] = {outer_a, ncols};
    eng_tensor *out = eng_kctx_output(ctx, 0, a_val->dtype, 2, od);
    if (!out)
        return ctx->st->code;
    memset(out->data, 0, (size_t)(outer_a * ncols) * eng_dtype_size(a_val->dtype));
    switch (a_val->dtype) {
    case ENG_DT_FLOAT:
        SPMM_LOOP(float);
        break;
    case ENG_DT_DOUBLE:
        SPMM_LOOP(double);
        break;
    case ENG_DT_INT32: {
        /* Integer products wrap (computed unsigned to avoid overflow UB). */
        const int32_t *av = a_val->data, *bv = b->data;
        int32_t *ov = out->data;
        for (int64_t i = 0; i < nnz; i++) {
            int64_t m = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 1 : 0));
            int64_t k = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 0 : 1));
            for (int64_t n = 0; n < ncols; n++) {
                int32_t bk = adj_b ? bv[n * b->dims[1] + k] : bv[k * b->dims[1] + n];
                uint32_t r = (uint32_t)ov[m * ncols + n] + (uint32_t)av[i] * (uint32_t)bk;
                ov[m * ncols + n] = (int32_t)r;
            }
        }
        break;
    }
    default: {
        const int64_t *av = a_val->data, *bv = b->data;
        int64_t *ov = out->data;
        for (int64_t i = 0; i < nnz; i++) {
            int64_t m = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 1 : 0));
            int64_t k = eng__sp_int_at(a_idx, 2 * i + (adj_a ? 0 : 1));
            for (int64_t n = 0; n < ncols; n++) {
                int64_t bk = adj_b ? bv[n * b->dims[1] + k] : bv[k * b->dims[1] + n];
                uint64_t r = (uint64_t)ov[m * ncols + n] + (uint64_t)av[i] * (uint64_t)bk;
                ov[m * ncols + n] = (int64_t)r;
            }
        }
        break;
    }
    }
    return TSD_OK;
}

/* ---- SegmentSum ------------------------------------------------------------------ */

tsd_code eng__segment_sum_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 2 inputs, got %d", ic->ninputs);
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape = ic->inputs[0].shape;
    if (ic->outputs[0].shape.rank >= 1)
        ic->outputs[0].shape.dims[0] = -1;
    return TSD_OK;
}

tsd_code eng__segment_sum_compute(eng_kctx *ctx)
{
    const eng_tensor *data = &ctx->inputs[0], *seg = &ctx->inputs[1];
    if (seg->rank != 1 || (seg->dtype != ENG_DT_INT32 && seg->dtype != ENG_DT_INT64))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment_ids should be a vector.");
    if (data->rank < 1 || data->dims[0] != seg->dims[0])
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "segment_ids should be the same size as dimension 0 of input.");
    eng_dtype dt = data->dtype;
    if (dt != ENG_DT_FLOAT && dt != ENG_DT_DOUBLE && dt != ENG_DT_INT32 && dt != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "SegmentSum does not support type %s",
                       eng_dtype_name(dt));
    int64_t n = seg->dims[0];
    int64_t rows = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = eng__sp_int_at(seg, i);
        if (s < 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment ids must be >= 0");
        if (i > 0 && s < eng__sp_int_at(seg, i - 1))
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment ids are not increasing");
        rows = s + 1;
    }
    int64_t dims[ENG_MAX_RANK];
    memcpy(dims, data->dims, sizeof dims);
    dims[0] = rows;
    eng_tensor *out = eng_kctx_output(ctx, 0, dt, data->rank, dims);
    if (!out)
        return ctx->st->code;
    int64_t cols = 1;
    for (int k = 1; k < data->rank; k++)
        cols *= data->dims[k];
    memset(out->data, 0, (size_t)(rows * cols) * eng_dtype_size(dt));
    for (int64_t i = 0; i < n; i++) {
        int64_t s = eng__sp_int_at(seg, i);
        for (int64_t c = 0; c < cols; c++) {
            int64_t o = s * cols + c, x = i * cols + c;
            switch (dt) {
            case ENG_DT_FLOAT:
                ((float *)out->data)[o] += ((const float *)data->data)[x];
                break;
            case ENG_DT_DOUBLE:
                ((double *)out->data)[o] += ((const double *)data->data)[x];
                break;
            case ENG_DT_INT32:
                ((int32_t *)out->data)[o] = (int32_t)((uint32_t)((int32_t *)out->data)[o] +
                                                      (uint32_t)((const int32_t *)data->data)[x]);
                break;
            default:
                ((int64_t *)out->data)[o] = (int64_t)((uint64_t)((int64_t *)out->data)[o] +
                                                      (uint64_t)((const int64_t *)data->data)[x]);
                break;
            }
        }
    }
    return TSD_OK;
}
