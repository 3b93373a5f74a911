/*
 * sparse.c - op family "sparse": SparseTensor plumbing (SparseFillEmptyRows,
 * SparseReshape, SparseToDense) plus the family table, which also lists the
 * segment reductions (sparse_segment.c), the searches / Unique
 * (sparse_search.c) and SparseTensorDenseMatMul / SegmentSum
 * (sparse_matmul.c).
 */
#include "engine/ops/families.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/ops/sparse_int.h"

int64_t eng__sp_int_at(const eng_tensor *t, int64_t i)
{
    return t->dtype == ENG_DT_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
}

static const char *shp(const eng_tensor *t, char *buf)
{
    return eng_shape_str(t->dims, t->rank, buf, 96);
}

/* Copy element si of src to element di of dst (strings into call memory). */
static tsd_code copy_elem(eng_kctx *ctx, eng_tensor *dst, int64_t di, const eng_tensor *src,
                          int64_t si)
{
    if (dst->dtype == ENG_DT_STRING) {
        const eng_str *s = &((const eng_str *)src->data)[si];
        return eng_kctx_str(ctx, s->ptr, s->len, &((eng_str *)dst->data)[di]);
    }
    size_t esz = eng_dtype_size(dst->dtype);
    memcpy((char *)dst->data + (size_t)di * esz, (const char *)src->data + (size_t)si * esz, esz);
    return TSD_OK;
}

static void set_unknown_vec(eng_value_info *v, eng_dtype dt, int64_t n)
{
    v->dtype = dt;
    v->shape.rank = 1;
    v->shape.dims[0] = n;
}

static void set_unknown_mat(eng_value_info *v, eng_dtype dt, int64_t rows, int64_t cols)
{
    v->dtype = dt;
    v->shape.rank = 2;
    v->shape.dims[0] = rows;
    v->shape.dims[1] = cols;
}

/* ---- SparseFillEmptyRows --------------------------------------------------- */

static tsd_code fill_empty_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 4)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 4 inputs, got %d", ic->ninputs);
    const eng_shape *is = &ic->inputs[0].shape;
    int64_t rank = is->rank == 2 ? is->dims[1] : -1;
    ic->noutputs = 4;
    set_unknown_mat(&ic->outputs[0], ENG_DT_INT64, -1, rank);
    set_unknown_vec(&ic->outputs[1], ic->inputs[1].dtype, -1);
    set_unknown_vec(&ic->outputs[2], ENG_DT_BOOL, -1);
    set_unknown_vec(&ic->outputs[3], ENG_DT_INT64,
                    ic->inputs[0].shape.rank >= 1 ? ic->inputs[0].shape.dims[0] : -1);
    return TSD_OK;
}

static tsd_code fill_empty_compute(eng_kctx *ctx)
{
    const eng_tensor *ind = &ctx->inputs[0], *val = &ctx->inputs[1];
    const eng_tensor *dsh = &ctx->inputs[2], *def = &ctx->inputs[3];
    char b1[96], b2[96];
    if (ind->rank != 2 || ind->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "indices must be an int64 matrix, saw: %s",
                       shp(ind, b1));
    if (val->rank != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "values must be a vector, saw: %s",
                       shp(val, b1));
    if (dsh->rank != 1 || dsh->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "dense_shape must be an int64 vector, saw: %s", shp(dsh, b1));
    if (def->rank != 0 || def->dtype != val->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "default_value must be a scalar of the values' type, saw: %s %s",
                       eng_dtype_name(def->dtype), shp(def, b1));
    int64_t n = ind->dims[0], rank = ind->dims[1];
    if (val->dims[0] != n)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "The length of `values` (%" PRId64 ") must match the first dimension of "
                       "`indices` (%" PRId64 ").",
                       val->dims[0], n);
    if (dsh->dims[0] != rank)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "The length of `dense_shape` (%" PRId64 ") must match the second "
                       "dimension of `indices` (%" PRId64 ").",
                       dsh->dims[0], rank);
    if (rank < 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "indices %s must have at least one column",
                       shp(ind, b2));
    int64_t rows = ((const int64_t *)dsh->data)[0];
    if (rows < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "dense_shape[0] = %" PRId64 " is negative",
                       rows);
    if (rows == 0 && n > 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = "
                       "%" PRId64,
                       n);
    const int64_t *idx = ind->data;
    eng_tensor *empty = eng_kctx_output(ctx, 2, ENG_DT_BOOL, 1, &rows);
    eng_tensor *rev = eng_kctx_output(ctx, 3, ENG_DT_INT64, 1, &n);
    if (!empty || !rev)
        return ctx->st->code;
    int64_t *count = eng_kctx_scratch(ctx, (size_t)(rows + 1) * sizeof *count);
    if (!count)
        return ctx->st->code;
    memset(count, 0, (size_t)(rows + 1) * sizeof *count);
    int ordered = 1;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = idx[i * rank];
        if (r < 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "indices(%" PRId64 ", 0) is invalid: %" PRId64 " < 0", i, r);
        if (r >= rows)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "indices(%" PRId64 ", 0) is invalid: %" PRId64 " >= %" PRId64, i, r,
                           rows);
        count[r]++;
        if (i > 0 && r < idx[(i - 1) * rank])
            ordered = 0;
    }
    int64_t nempty = 0;
    uint8_t *em = empty->data;
    for (int64_t r = 0; r < rows; r++) {
        em[r] = count[r] == 0;
        nempty += count[r] == 0;
    }
    int64_t total = n + nempty;
    int64_t odims[2] = {total, rank};
    eng_tensor *oind = eng_kctx_output(ctx, 0, ENG_DT_INT64, 2, odims);
    eng_tensor *oval = eng_kctx_output(ctx, 1, val->dtype, 1, &total);
    if (!oind || !oval)
        return ctx->st->code;
    int64_t *oi = oind->data, *rv = rev->data;
    /* Row r's entries start at count[r] once count holds exclusive prefix sums. */
    int64_t acc = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t c = count[r] ? count[r] : 1;
        count[r] = acc;
        acc += c;
    }
    for (int64_t r = 0; r < rows; r++) {
        if (!em[r])
            continue;
        int64_t p = count[r];
        memset(&oi[p * rank], 0, (size_t)rank * sizeof *oi);
        oi[p * rank] = r;
        if (copy_elem(ctx, oval, p, def, 0) != TSD_OK)
            return ctx->st->code;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t r = idx[i * rank];
        int64_t p = ordered && nempty == 0 ? i : count[r]++;
        memcpy(&oi[p * rank], &idx[i * rank], (size_t)rank * sizeof *oi);
        if (copy_elem(ctx, oval, p, val, i) != TSD_OK)
            return ctx->st->code;
        rv[i] = p;
    }
    return TSD_OK;
}

/* ---- SparseReshape ---------------------------------------------------------- */

static tsd_code reshape_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 3)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 3 inputs, got %d", ic->ninputs);
    int64_t nrows = ic->inputs[0].shape.rank >= 1 ? ic->inputs[0].shape.dims[0] : -1;
    int64_t orank = ic->inputs[2].shape.rank == 1 ? ic->inputs[2].shape.dims[0] : -1;
    ic->noutputs = 2;
    set_unknown_mat(&ic->outputs[0], ENG_DT_INT64, nrows, orank);
    set_unknown_vec(&ic->outputs[1], ENG_DT_INT64, orank);
    return TSD_OK;
}

static tsd_code reshape_compute(eng_kctx *ctx)
{
    const eng_tensor *ind = &ctx->inputs[0], *ish = &ctx->inputs[1], *nsh = &ctx->inputs[2];
    char b1[96], b2[96];
    if (ish->rank != 1 || ish->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Input shape should be a vector but received shape %s", shp(ish, b1));
    if (nsh->rank != 1 || nsh->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Target shape should be a vector but received shape %s", shp(nsh, b1));
    if (ind->rank != 2 || ind->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Input indices should be a matrix but received shape %s", shp(ind, b1));
    int64_t n = ind->dims[0], rin = ish->dims[0], rout = nsh->dims[0];
    if (ind->dims[1] != rin)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Input rank (%" PRId64 ") and indices dimension (%" PRId64 ") must match",
                       rin, ind->dims[1]);
    const int64_t *in_dims = ish->data, *req = nsh->data;
    int64_t dense = 1;
    for (int64_t k = 0; k < rin; k++) {
        if (in_dims[k] < 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "input_shape[%" PRId64 "] = %" PRId64 " is negative", k, in_dims[k]);
        if (in_dims[k] > 0 && dense > INT64_MAX / in_dims[k])
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "input_shape %s overflows int64",
                           shp(ish, b1));
        dense *= in_dims[k];
    }
    int64_t unknown = -1, product = 1;
    eng_tensor *osh = eng_kctx_output(ctx, 1, ENG_DT_INT64, 1, &rout);
    if (!osh)
        return ctx->st->code;
    int64_t *out_dims = osh->data;
    for (int64_t k = 0; k < rout; k++) {
        int64_t d = req[k];
        if (d == -1) {
            if (unknown != -1)
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "only one output dimension may be -1, not both %" PRId64
                               " and %" PRId64,
                               unknown, k);
            unknown = k;
        } else if (d < 0) {
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "size %" PRId64 " must be non-negative, not %" PRId64, k, d);
        } else {
            if (d > 0 && product > INT64_MAX / d)
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "new_shape %s overflows int64",
                               shp(nsh, b1));
            product *= d;
        }
        out_dims[k] = d;
    }
    if (unknown != -1) {
        if (product == 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "reshape cannot infer the missing input size for an empty tensor "
                           "unless all specified input sizes are non-zero");
        if (dense % product != 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Input to reshape is a SparseTensor with %" PRId64 " dense values, "
                           "but the requested shape requires a multiple of %" PRId64,
                           dense, product);
        out_dims[unknown] = dense / product;
        product = dense;
    }
    if (product != dense)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Input to reshape is a tensor with %" PRId64 " dense values, but the "
                       "requested shape has %" PRId64,
                       dense, product);
    int64_t odims[2] = {n, rout};
    eng_tensor *oind = eng_kctx_output(ctx, 0, ENG_DT_INT64, 2, odims);
    if (!oind)
        return ctx->st->code;
    const int64_t *ii = ind->data;
    int64_t *oi = oind->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t lin = 0;
        for (int64_t k = 0; k < rin; k++) {
            int64_t v = ii[i * rin + k];
            if (v < 0 || v >= in_dims[k])
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "indices[%" PRId64 "][%" PRId64 "] = %" PRId64
                               " is out of bounds for input shape %s",
                               i, k, v, shp(ish, b2));
            lin = lin * in_dims[k] + v;
        }
        for (int64_t k = rout - 1; k >= 0; k--) {
            int64_t d = out_dims[k];
            oi[i * rout + k] = d ? lin % d : 0;
            lin = d ? lin / d : 0;
        }
    }
    return TSD_OK;
}

/* ---- SparseToDense ---------------------------------------------------------- */

static tsd_code to_dense_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 4)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 4 inputs, got %d", ic->ninputs);
    eng_value_info *o = &ic->outputs[0];
    const eng_value_info *os = &ic->inputs[1];
    ic->noutputs = 1;
    o->dtype = ic->inputs[2].dtype;
    o->shape.rank = -1;
    if (os->value && os->value->rank <= 1 && eng_tensor_num_elements(os->value) <= ENG_MAX_RANK) {
        int64_t r = eng_tensor_num_elements(os->value);
        o->shape.rank = (int32_t)r;
        for (int64_t k = 0; k < r; k++)
            o->shape.dims[k] = eng__sp_int_at(os->value, k);
    } else if (os->shape.rank == 1 && os->shape.dims[0] >= 0 && os->shape.dims[0] <= ENG_MAX_RANK) {
        o->shape.rank = (int32_t)os->shape.dims[0];
        for (int k = 0; k < o->shape.rank; k++)
            o->shape.dims[k] = -1;
    }
    return TSD_OK;
}

/* Format index row i of an [n, r] index matrix as "[a,b]" for messages. */
static void idx_str(const eng_tensor *ind, int64_t i, int64_t r, char *buf, size_t len)
{
    size_t p = 0;
    int w = snprintf(buf, len, "[");
    p = (size_t)(w > 0 ? w : 0);
    for (int64_t k = 0; k < r && p < len; k++) {
        w = snprintf(buf + p, len - p, "%s%" PRId64, k ? "," : "", eng__sp_int_at(ind, i * r + k));
        p += (size_t)(w > 0 ? w : 0);
    }
    if (p < len)
        snprintf(buf + p, len - p, "]");
}

static tsd_code to_dense_compute(eng_kctx *ctx)
{
    const eng_tensor *ind = &ctx->inputs[0], *osh = &ctx->inputs[1];
    const eng_tensor *val = &ctx->inputs[2], *def = &ctx->inputs[3];
    char b1[96], b2[160];
    if ((ind->dtype != ENG_DT_INT32 && ind->dtype != ENG_DT_INT64) || ind->rank > 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "sparse_indices should be a scalar, vector, or matrix, got shape %s",
                       shp(ind, b1));
    if (osh->dtype != ind->dtype || osh->rank > 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "output_shape should be a scalar or vector of the indices' type, got "
                       "shape %s",
                       shp(osh, b1));
    int64_t n = ind->rank > 0 ? ind->dims[0] : 1;
    int64_t r = ind->rank > 1 ? ind->dims[1] : 1;
    int64_t nv = eng_tensor_num_elements(val);
    if (!(val->rank == 0 || (val->rank == 1 && nv == n)))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "sparse_values has incorrect shape %s, should be [] or [%" PRId64 "]",
                       shp(val, b1), n);
    if (def->rank != 0 || def->dtype != val->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "default_value should be a scalar of the values' type");
    int64_t orank = eng_tensor_num_elements(osh);
    if (orank != r)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "output_shape has %" PRId64 " elements but sparse_indices has %" PRId64
                       " columns",
                       orank, r);
    if (orank > ENG_MAX_RANK)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "output rank %" PRId64 " exceeds %d", orank,
                       ENG_MAX_RANK);
    int64_t dims[ENG_MAX_RANK];
    for (int64_t k = 0; k < orank; k++)
        dims[k] = eng__sp_int_at(osh, k);
    eng_tensor *out = eng_kctx_output(ctx, 0, val->dtype, (int)orank, dims);
    if (!out)
        return ctx->st->code;
    int64_t total = eng_tensor_num_elements(out);
    for (int64_t e = 0; e < total; e++)
        if (copy_elem(ctx, out, e, def, 0) != TSD_OK)
            return ctx->st->code;
    int validate = eng_attr_bool_or(ctx->node, "validate_indices", 1);
    for (int64_t i = 0; i < n; i++) {
        int64_t lin = 0;
        int cmp = 0; /* vs previous index: -1 less, 0 equal, 1 greater */
        for (int64_t k = 0; k < r; k++) {
            int64_t v = eng__sp_int_at(ind, i * r + k);
            if (v < 0 || v >= dims[k]) {
                idx_str(ind, i, r, b2, sizeof b2);
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "indices[%" PRId64 "] = %s is out of bounds: need 0 <= index < "
                               "%s",
                               i, b2, eng_shape_str(dims, (int)orank, b1, sizeof b1));
            }
            lin = lin * dims[k] + v;
            if (i > 0 && cmp == 0) {
                int64_t pv = eng__sp_int_at(ind, (i - 1) * r + k);
                cmp = v < pv ? -1 : v > pv;
            }
        }
        if (validate && i > 0 && cmp <= 0) {
            idx_str(ind, i, r, b2, sizeof b2);
            if (cmp == 0)
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "indices[%" PRId64 "] = %s is "
                               "repeated",
                               i, b2);
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "indices[%" PRId64 "] = %s is out of order. Many sparse ops require "
                           "sorted indices.\n    Use `tf.sparse.reorder` to create a correctly "
                           "ordered copy.\n\n",
                           i, b2);
        }
        if (copy_elem(ctx, out, lin, val, val->rank == 0 ? 0 : i) != TSD_OK)
            return ctx->st->code;
    }
    return TSD_OK;
}

const eng_op_def eng_ops_sparse[] = {
    {"Bucketize", eng__bucketize_infer, eng__bucketize_compute, NULL, NULL, 0},
    {"LowerBound", eng__bound_infer, eng__lower_bound_compute, NULL, NULL, 0},
    {"SegmentSum", eng__segment_sum_infer, eng__segment_sum_compute, NULL, NULL, 0},
    {"SparseFillEmptyRows", fill_empty_infer, fill_empty_compute, NULL, NULL, 0},
    {"SparseReshape", reshape_infer, reshape_compute, NULL, NULL, 0},
    {"SparseSegmentMean", eng__seg_infer, eng__seg_mean_compute, NULL, NULL, 0},
    {"SparseSegmentMeanWithNumSegments", eng__seg_infer, eng__seg_mean_compute, NULL, NULL, 0},
    {"SparseSegmentSqrtN", eng__seg_infer, eng__seg_sqrtn_compute, NULL, NULL, 0},
    {"SparseSegmentSqrtNWithNumSegments", eng__seg_infer, eng__seg_sqrtn_compute, NULL, NULL, 0},
    {"SparseSegmentSum", eng__seg_infer, eng__seg_sum_compute, NULL, NULL, 0},
    {"SparseSegmentSumWithNumSegments", eng__seg_infer, eng__seg_sum_compute, NULL, NULL, 0},
    {"SparseTensorDenseMatMul", eng__spmm_infer, eng__spmm_compute, NULL, NULL, 0},
    {"SparseToDense", to_dense_infer, to_dense_compute, NULL, NULL, 0},
    {"Unique", eng__unique_infer, eng__unique_compute, NULL, NULL, 0},
    {"UniqueV2", eng__unique_infer, eng__unique_v2_compute, NULL, NULL, 0},
    {"UpperBound", eng__bound_infer, eng__upper_bound_compute, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
