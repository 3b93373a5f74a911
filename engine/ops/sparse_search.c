/*
 * sparse_search.c - Unique (values in order of first occurrence plus the
 * index of each input in them), Bucketize (left-closed buckets over a
 * boundaries attr) and UpperBound / LowerBound (binary search of each row
 * of values in the matching row of sorted_inputs).
 */
#include <inttypes.h>
#include <string.h>

#include "engine/farmhash.h"
#include "engine/ops/sparse_int.h"

/* ---- Unique ------------------------------------------------------------------ */

tsd_code eng__unique_infer(eng_infer_ctx *ic)
{
    int v2 = strcmp(eng_node_op(ic->node), "UniqueV2") == 0;
    if (ic->ninputs != 1 + v2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected %d inputs, got %d", 1 + v2,
                       ic->ninputs);
    eng_dtype oi = eng_attr_type_or(ic->node, "out_idx", ENG_DT_INT32);
    if (oi != ENG_DT_INT32 && oi != ENG_DT_INT64)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "out_idx must be int32 or int64, not %s",
                       eng_dtype_name(oi));
    ic->noutputs = 2;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape.rank = 1;
    ic->outputs[0].shape.dims[0] = -1;
    ic->outputs[1].dtype = oi;
    ic->outputs[1].shape.rank = 1;
    ic->outputs[1].shape.dims[0] = ic->inputs[0].shape.rank == 1 ? ic->inputs[0].shape.dims[0] : -1;
    return TSD_OK;
}

/* Hash of element i; equal elements (incl. 0.0 and -0.0) hash equally. */
static uint64_t elem_hash(const eng_tensor *t, int64_t i, size_t esz)
{
    if (t->dtype == ENG_DT_STRING) {
        const eng_str *s = &((const eng_str *)t->data)[i];
        return eng_fingerprint64(s->ptr, s->len);
    }
    if (t->dtype == ENG_DT_FLOAT) {
        float f = ((const float *)t->data)[i];
        if (f == 0.0f)
            f = 0.0f;
        return eng_fingerprint64(&f, sizeof f);
    }
    if (t->dtype == ENG_DT_DOUBLE) {
        double d = ((const double *)t->data)[i];
        if (d == 0.0)
            d = 0.0;
        return eng_fingerprint64(&d, sizeof d);
    }
    return eng_fingerprint64((const char *)t->data + (size_t)i * esz, esz);
}

static int elem_eq(const eng_tensor *t, int64_t i, int64_t j, size_t esz)
{
    switch (t->dtype) {
    case ENG_DT_STRING: {
        const eng_str *a = &((const eng_str *)t->data)[i], *b = &((const eng_str *)t->data)[j];
        return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
    }
    case ENG_DT_FLOAT:
        return ((const float *)t->data)[i] == ((const float *)t->data)[j];
    case ENG_DT_DOUBLE:
        return ((const double *)t->data)[i] == ((const double *)t->data)[j];
    default:
        return memcmp((const char *)t->data + (size_t)i * esz,
                      (const char *)t->data + (size_t)j * esz, esz) == 0;
    }
}

tsd_code eng__unique_compute(eng_kctx *ctx)
{
    const eng_tensor *x = &ctx->inputs[0];
    char b1[96];
    if (x->rank != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "unique expects a 1D vector, got %s",
                       eng_shape_str(x->dims, x->rank, b1, sizeof b1));
    size_t esz = eng_dtype_size(x->dtype);
    if (esz == 0 || x->dtype == ENG_DT_RESOURCE || x->dtype == ENG_DT_VARIANT)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "Unique does not support type %s",
                       eng_dtype_name(x->dtype));
    eng_dtype oi = eng_attr_type_or(ctx->node, "out_idx", ENG_DT_INT32);
    int64_t n = x->dims[0];
    if (oi == ENG_DT_INT32 && n > INT32_MAX)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "unique does not support input sizes above INT32_MAX with out_idx int32");
    eng_tensor *idx = eng_kctx_output(ctx, 1, oi, 1, &n);
    if (!idx)
        return ctx->st->code;
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    int64_t *slot = eng_kctx_scratch(ctx, cap * sizeof *slot); /* input index of the key */
    int64_t *first = eng_kctx_scratch(ctx, (size_t)(n ? n : 1) * sizeof *first);
    if (!slot || !first)
        return ctx->st->code;
    for (size_t k = 0; k < cap; k++)
        slot[k] = -1;
    int64_t nuniq = 0;
    int64_t *uid = eng_kctx_scratch(ctx, cap * sizeof *uid); /* unique id per slot */
    if (!uid)
        return ctx->st->code;
    for (int64_t i = 0; i < n; i++) {
        size_t h = (size_t)elem_hash(x, i, esz) & (cap - 1);
        while (slot[h] >= 0 && !elem_eq(x, slot[h], i, esz))
            h = (h + 1) & (cap - 1);
        if (slot[h] < 0) {
            slot[h] = i;
            uid[h] = nuniq;
            first[nuniq++] = i;
        }
        if (oi == ENG_DT_INT32)
            ((int32_t *)idx->data)[i] = (int32_t)uid[h];
        else
            ((int64_t *)idx->data)[i] = uid[h];
    }
    eng_tensor *y = eng_kctx_output(ctx, 0, x->dtype, 1, &nuniq);
    if (!y)
        return ctx->st->code;
    for (int64_t u = 0; u < nuniq; u++) {
        if (x->dtype == ENG_DT_STRING) {
            const eng_str *s = &((const eng_str *)x->data)[first[u]];
            if (eng_kctx_str(ctx, s->ptr, s->len, &((eng_str *)y->data)[u]) != TSD_OK)
                return ctx->st->code;
        } else {
            memcpy((char *)y->data + (size_t)u * esz,
                   (const char *)x->data + (size_t)first[u] * esz, esz);
        }
    }
    return TSD_OK;
}

tsd_code eng__unique_v2_compute(eng_kctx *ctx)
{
    const eng_tensor *axis = &ctx->inputs[1];
    int64_t na = eng_tensor_num_elements(axis);
    if ((axis->dtype != ENG_DT_INT32 && axis->dtype != ENG_DT_INT64) || axis->rank > 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "axis must be an integer vector");
    if (na > 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "axis does not support input tensors larger than 1 elements");
    if (na == 1) {
        int64_t a = eng__sp_int_at(axis, 0);
        if (a != 0 && a != -1)
            return tsd_err(ctx->st, TSD_UNIMPLEMENTED,
                           "UniqueV2 along axis %" PRId64 " is not supported (only 1-D inputs)", a);
    }
    return eng__unique_compute(ctx);
}

/* ---- Bucketize ---------------------------------------------------------------- */

tsd_code eng__bucketize_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 1)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 1 input, got %d", ic->ninputs);
    ic->noutputs = 1;
    ic->outputs[0].dtype = ENG_DT_INT32;
    ic->outputs[0].shape = ic->inputs[0].shape;
    return TSD_OK;
}

/* Number of boundaries b with !(v < b), i.e. std::upper_bound. */
#define UPPER_COUNT(T, NAME)                                                                       \
    static int64_t NAME(const T *a, int64_t n, T v)                                                \
    {                                                                                              \
        int64_t lo = 0, hi = n;                                                                    \
        while (lo < hi) {                                                                          \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            if (v < a[mid])                                                                        \
                hi = mid;                                                                          \
            else                                                                                   \
                lo = mid + 1;                                                                      \
        }                                                                                          \
        return lo;                                                                                 \
    }

/* Number of elements a with a < v, i.e. std::lower_bound. */
#define LOWER_COUNT(T, NAME)                                                                       \
    static int64_t NAME(const T *a, int64_t n, T v)                                                \
    {                                                                                              \
        int64_t lo = 0, hi = n;                                                                    \
        while (lo < hi) {                                                                          \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            if (a[mid] < v)                                                                        \
                lo = mid + 1;                                                                      \
            else                                                                                   \
                hi = mid;                                                                          \
        }                                                                                          \
        return lo;                                                                                 \
    }

UPPER_COUNT(float, upper_f32)
UPPER_COUNT(double, upper_f64)
UPPER_COUNT(int32_t, upper_i32)
UPPER_COUNT(int64_t, upper_i64)
LOWER_COUNT(float, lower_f32)
LOWER_COUNT(double, lower_f64)
LOWER_COUNT(int32_t, lower_i32)
LOWER_COUNT(int64_t, lower_i64)

tsd_code eng__bucketize_compute(eng_kctx *ctx)
{
    const eng_tensor *x = &ctx->inputs[0];
    const eng_attr *ba = eng_node_attr(ctx->node, "boundaries");
    if (!ba || (ba->kind != ENG_ATTR_LIST_FLOAT && !(ba->kind >= ENG_ATTR_LIST_INT && ba->n == 0)))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Bucketize needs a list(float) attr "
                       "'boundaries'");
    int64_t nb = ba->kind == ENG_ATTR_LIST_FLOAT ? (int64_t)ba->n : 0;
    float *fb = eng_kctx_scratch(ctx, (size_t)(nb ? nb : 1) * sizeof *fb);
    double *db = eng_kctx_scratch(ctx, (size_t)(nb ? nb : 1) * sizeof *db);
    if (!fb || !db)
        return ctx->st->code;
    for (int64_t i = 0; i < nb; i++) {
        fb[i] = (float)ba->floats[i]; /* the attr holds floats */
        db[i] = fb[i];
        if (i > 0 && !(fb[i - 1] <= fb[i]))
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Expected sorted boundaries");
    }
    if (x->dtype != ENG_DT_FLOAT && x->dtype != ENG_DT_DOUBLE && x->dtype != ENG_DT_INT32 &&
        x->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "Bucketize does not support type %s",
                       eng_dtype_name(x->dtype));
    eng_tensor *out = eng_kctx_output(ctx, 0, ENG_DT_INT32, x->rank, x->dims);
    if (!out)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(x);
    int32_t *o = out->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t b;
        switch (x->dtype) {
        case ENG_DT_FLOAT:
            b = upper_f32(fb, nb, ((const float *)x->data)[i]);
            break;
        case ENG_DT_DOUBLE:
            b = upper_f64(db, nb, ((const double *)x->data)[i]);
            break;
        case ENG_DT_INT32: /* compared as float, as C++ converts int to float */
            b = upper_f32(fb, nb, (float)((const int32_t *)x->data)[i]);
            break;
        default:
            b = upper_f32(fb, nb, (float)((const int64_t *)x->data)[i]);
            break;
        }
        o[i] = (int32_t)b;
    }
    return TSD_OK;
}

/* ---- UpperBound / LowerBound ----------------------------------------------------- */

tsd_code eng__bound_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs != 2)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 2 inputs, got %d", ic->ninputs);
    eng_dtype ot = eng_attr_type_or(ic->node, "out_type", ENG_DT_INT32);
    if (ot != ENG_DT_INT32 && ot != ENG_DT_INT64)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "out_type must be int32 or int64");
    ic->noutputs = 1;
    ic->outputs[0].dtype = ot;
    ic->outputs[0].shape = ic->inputs[1].shape;
    return TSD_OK;
}

static tsd_code bound_compute(eng_kctx *ctx, int upper)
{
    const eng_tensor *s = &ctx->inputs[0], *v = &ctx->inputs[1];
    eng_dtype ot = eng_attr_type_or(ctx->node, "out_type", ENG_DT_INT32);
    char b1[96], b2[96];
    if (s->rank != 2 || v->rank != 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "sorted_inputs %s and values %s must both be matrices",
                       eng_shape_str(s->dims, s->rank, b1, sizeof b1),
                       eng_shape_str(v->dims, v->rank, b2, sizeof b2));
    if (s->dtype != v->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "sorted_inputs and values types differ");
    if (s->dims[0] != v->dims[0])
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Leading dim_size of both tensors must match.");
    if (ot == ENG_DT_INT32 && s->dims[1] >= INT32_MAX)
        return tsd_err(
            ctx->st, TSD_INVALID_ARGUMENT,
            "trailing dim_size must less than INT_MAX for int32 output type, was %" PRId64,
            s->dims[1]);
    if (s->dtype != ENG_DT_FLOAT && s->dtype != ENG_DT_DOUBLE && s->dtype != ENG_DT_INT32 &&
        s->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "%s does not support type %s",
                       upper ? "UpperBound" : "LowerBound", eng_dtype_name(s->dtype));
    eng_tensor *out = eng_kctx_output(ctx, 0, ot, 2, v->dims);
    if (!out)
        return ctx->st->code;
    int64_t rows = s->dims[0], n = s->dims[1], m = v->dims[1];
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < m; j++) {
            int64_t k, e = r * m + j;
            switch (s->dtype) {
            case ENG_DT_FLOAT: {
                const float *a = (const float *)s->data + r * n;
                float x = ((const float *)v->data)[e];
                k = upper ? upper_f32(a, n, x) : lower_f32(a, n, x);
                break;
            }
            case ENG_DT_DOUBLE: {
                const double *a = (const double *)s->data + r * n;
                double x = ((const double *)v->data)[e];
                k = upper ? upper_f64(a, n, x) : lower_f64(a, n, x);
                break;
            }
            case ENG_DT_INT32: {
                const int32_t *a = (const int32_t *)s->data + r * n;
                int32_t x = ((const int32_t *)v->data)[e];
                k = upper ? upper_i32(a, n, x) : lower_i32(a, n, x);
                break;
            }
            default: {
                const int64_t *a = (const int64_t *)s->data + r * n;
                int64_t x = ((const int64_t *)v->data)[e];
                k = upper ? upper_i64(a, n, x) : lower_i64(a, n, x);
                break;
            }
            }
            if (ot == ENG_DT_INT32)
                ((int32_t *)out->data)[e] = (int32_t)k;
            else
                ((int64_t *)out->data)[e] = k;
        }
    }
    return TSD_OK;
}

tsd_code eng__upper_bound_compute(eng_kctx *ctx)
{
    return bound_compute(ctx, 1);
}

tsd_code eng__lower_bound_compute(eng_kctx *ctx)
{
    return bound_compute(ctx, 0);
}
