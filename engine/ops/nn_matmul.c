/*
 * nn_matmul.c - matrix products: MatMul (transpose_a/b), BatchMatMul,
 * BatchMatMulV2/V3 (adj_x/adj_y, broadcast batch dims) and the engine's
 * fused _TsdFusedMatMul (a, b[, bias]; attrs transpose_a, transpose_b,
 * has_bias, activation "", "Relu", "Relu6", "Sigmoid", "Tanh").
 *
 * float goes through OpenBLAS cblas_sgemm, double through cblas_dgemm;
 * int32/int64 use a naive i-k-j loop with wrapping arithmetic. Kernels
 * set no BLAS globals (the thread count is the server's business).
 */
#include "engine/ops/math_int.h"

#include <cblas.h>
#include <string.h>

#define INT_GEMM(NAME, T, U)                                                                       \
    static void NAME(int ta, int tb, int64_t m, int64_t n, int64_t k, const T *a, const T *b,      \
                     T *c)                                                                         \
    {                                                                                              \
        memset(c, 0, (size_t)(m * n) * sizeof(T));                                                 \
        for (int64_t i = 0; i < m; i++) {                                                          \
            for (int64_t p = 0; p < k; p++) {                                                      \
                U av = (U)(ta ? a[p * m + i] : a[i * k + p]);                                      \
                T *crow = c + i * n;                                                               \
                for (int64_t j = 0; j < n; j++) {                                                  \
                    U bv = (U)(tb ? b[j * k + p] : b[p * n + j]);                                  \
                    crow[j] = (T)((U)crow[j] + av * bv);                                           \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

INT_GEMM(gemm_i32, int32_t, uint32_t)
INT_GEMM(gemm_i64, int64_t, uint64_t)

int eng__gemm(eng_dtype dt, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *a,
              const void *b, void *c, int accumulate)
{
    if (m == 0 || n == 0)
        return 0;
    size_t esz = eng_dtype_size(dt);
    if (k == 0) {
        if (!accumulate)
            memset(c, 0, (size_t)(m * n) * esz);
        return 0;
    }
    enum CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE trb = tb ? CblasTrans : CblasNoTrans;
    int lda = (int)(ta ? m : k), ldb = (int)(tb ? k : n);
    switch (dt) {
    case ENG_DT_FLOAT:
        if (m == 1) { /* one row: a matrix-vector product, no packing of b */
            if (tb)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0f, b, ldb, a, 1,
                            accumulate ? 1.0f : 0.0f, c, 1);
            else
                cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, 1.0f, b, ldb, a, 1,
                            accumulate ? 1.0f : 0.0f, c, 1);
            return 0;
        }
        cblas_sgemm(CblasRowMajor, tra, trb, (int)m, (int)n, (int)k, 1.0f, a, lda, b, ldb,
                    accumulate ? 1.0f : 0.0f, c, (int)n);
        return 0;
    case ENG_DT_DOUBLE:
        cblas_dgemm(CblasRowMajor, tra, trb, (int)m, (int)n, (int)k, 1.0, a, lda, b, ldb,
                    accumulate ? 1.0 : 0.0, c, (int)n);
        return 0;
    case ENG_DT_INT32:
        if (accumulate)
            return -1;
        gemm_i32(ta, tb, m, n, k, a, b, c);
        return 0;
    case ENG_DT_INT64:
        if (accumulate)
            return -1;
        gemm_i64(ta, tb, m, n, k, a, b, c);
        return 0;
    default:
        return -1;
    }
}

/* BLAS takes int sizes: refuse matrices whose dims do not fit. */
static tsd_code check_blas_dims(eng_kctx *ctx, int64_t m, int64_t n, int64_t k)
{
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "%s: matrix dimension too large",
                       eng__op_name(ctx));
    return TSD_OK;
}

static tsd_code size_error(eng_kctx *ctx, const eng_tensor *a, const eng_tensor *b)
{
    char s1[128], s2[128];
    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Matrix size-incompatible: In[0]: %s, In[1]: %s",
                   eng__tshape(a, s1, sizeof s1), eng__tshape(b, s2, sizeof s2));
}

/* Validate a 2-D product; sets m, n, k. */
static tsd_code matmul_dims(eng_kctx *ctx, const eng_tensor *a, const eng_tensor *b, int ta, int tb,
                            int64_t *m, int64_t *n, int64_t *k)
{
    if (eng__check_tensor(a, "In[0]", ctx->st) || eng__check_tensor(b, "In[1]", ctx->st))
        return ctx->st->code;
    if (a->dtype != b->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "%s: input dtypes differ: %s vs. %s",
                       eng__op_name(ctx), eng_dtype_name(a->dtype), eng_dtype_name(b->dtype));
    char sb[128];
    if (a->rank != 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "In[0] is not a matrix. Instead it has shape %s",
                       eng__tshape(a, sb, sizeof sb));
    if (b->rank != 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "In[1] is not a matrix. Instead it has shape %s",
                       eng__tshape(b, sb, sizeof sb));
    *m = ta ? a->dims[1] : a->dims[0];
    *k = ta ? a->dims[0] : a->dims[1];
    int64_t kb = tb ? b->dims[1] : b->dims[0];
    *n = tb ? b->dims[0] : b->dims[1];
    if (*k != kb)
        return size_error(ctx, a, b);
    return check_blas_dims(ctx, *m, *n, *k);
}

tsd_code eng__k_matmul(eng_kctx *ctx)
{
    if (eng__want_inputs(ctx, 2))
        return ctx->st->code;
    const eng_tensor *a = &ctx->inputs[0], *b = &ctx->inputs[1];
    int ta = eng_attr_bool_or(ctx->node, "transpose_a", 0);
    int tb = eng_attr_bool_or(ctx->node, "transpose_b", 0);
    int64_t m, n, k;
    if (matmul_dims(ctx, a, b, ta, tb, &m, &n, &k))
        return ctx->st->code;
    if (a->dtype != ENG_DT_FLOAT && a->dtype != ENG_DT_DOUBLE && a->dtype != ENG_DT_INT32 &&
        a->dtype != ENG_DT_INT64)
        return eng__bad_dtype(ctx, a->dtype);
    int64_t od[2] = {m, n};
    eng_tensor *out = eng_kctx_output(ctx, 0, a->dtype, 2, od);
    if (!out)
        return ctx->st->code;
    eng__gemm(a->dtype, ta, tb, m, n, k, a->data, b->data, out->data, 0);
    return TSD_OK;
}

/* Parse the activation attr of _TsdFusedMatMul. */
static tsd_code fused_act(const eng_node *node, eng__act *act, tsd_status *st)
{
    *act = ENG__ACT_NONE;
    const eng_attr *at = eng_node_attr(node, "activation");
    if (!at || at->s.len == 0)
        return TSD_OK;
    static const struct {
        const char *name;
        eng__act act;
    } names[] = {{"Relu", ENG__ACT_RELU},
                 {"Relu6", ENG__ACT_RELU6},
                 {"Sigmoid", ENG__ACT_SIGMOID},
                 {"Tanh", ENG__ACT_TANH}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == at->s.len && !memcmp(names[i].name, at->s.ptr, at->s.len)) {
            *act = names[i].act;
            return TSD_OK;
        }
    }
    return tsd_err(st, TSD_INVALID_ARGUMENT, "_TsdFusedMatMul: unknown activation '%.*s'",
                   (int)(at->s.len > 64 ? 64 : at->s.len), at->s.ptr);
}

tsd_code eng__k_fused_matmul(eng_kctx *ctx)
{
    int has_bias = eng_attr_bool_or(ctx->node, "has_bias", ctx->ninputs == 3);
    if (eng__want_inputs(ctx, has_bias ? 3 : 2))
        return ctx->st->code;
    const eng_tensor *a = &ctx->inputs[0], *b = &ctx->inputs[1];
    int ta = eng_attr_bool_or(ctx->node, "transpose_a", 0);
    int tb = eng_attr_bool_or(ctx->node, "transpose_b", 0);
    eng__act act;
    if (fused_act(ctx->node, &act, ctx->st))
        return ctx->st->code;
    int64_t m, n, k;
    if (matmul_dims(ctx, a, b, ta, tb, &m, &n, &k))
        return ctx->st->code;
    if (a->dtype != ENG_DT_FLOAT && a->dtype != ENG_DT_DOUBLE)
        return eng__bad_dtype(ctx, a->dtype);
    const eng_tensor *bias = has_bias ? &ctx->inputs[2] : NULL;
    if (bias) {
        if (eng__check_tensor(bias, "bias", ctx->st))
            return ctx->st->code;
        if (bias->dtype != a->dtype || bias->rank != 1 || bias->dims[0] != n) {
            char s1[128];
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "_TsdFusedMatMul: bias must be a %s vector of %lld elements, got %s %s",
                           eng_dtype_name(a->dtype), (long long)n, eng_dtype_name(bias->dtype),
                           eng__tshape(bias, s1, sizeof s1));
        }
    }
    int64_t od[2] = {m, n};
    eng_tensor *out = eng_kctx_output(ctx, 0, a->dtype, 2, od);
    if (!out)
        return ctx->st->code;
    if (m == 0 || n == 0)
        return TSD_OK;
    size_t row = (size_t)n * eng_dtype_size(a->dtype);
    if (bias)
        for (int64_t i = 0; i < m; i++)
            memcpy((char *)out->data + (size_t)i * row, bias->data, row);
    eng__gemm(a->dtype, ta, tb, m, n, k, a->data, b->data, out->data, bias != NULL);
    if (act != ENG__ACT_NONE) {
        if (a->dtype == ENG_DT_FLOAT)
            eng__act_apply_f32(out->data, m * n, act);
        else
            eng__act_apply_f64(out->data, m * n, act);
    }
    return TSD_OK;
}

/* Shared inference of MatMul and _TsdFusedMatMul: [m, n]. */
static tsd_code infer_mm(eng_infer_ctx *ic, int min_in, int max_in)
{
    if (ic->ninputs < min_in || ic->ninputs > max_in)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "unexpected number of inputs: %d",
                       ic->ninputs);
    int ta = eng_attr_bool_or(ic->node, "transpose_a", 0);
    int tb = eng_attr_bool_or(ic->node, "transpose_b", 0);
    const eng_shape *a = &ic->inputs[0].shape, *b = &ic->inputs[1].shape;
    if ((a->rank >= 0 && a->rank != 2) || (b->rank >= 0 && b->rank != 2))
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "inputs must be matrices, got ranks %d, %d",
                       a->rank, b->rank);
    ic->noutputs = 1;
    eng_value_info *o = &ic->outputs[0];
    memset(o, 0, sizeof *o);
    o->dtype = ic->inputs[0].dtype;
    o->shape.rank = 2;
    o->shape.dims[0] = a->rank == 2 ? a->dims[ta ? 1 : 0] : -1;
    o->shape.dims[1] = b->rank == 2 ? b->dims[tb ? 0 : 1] : -1;
    if (a->rank == 2 && b->rank == 2) {
        int64_t ka = a->dims[ta ? 0 : 1], kb = b->dims[tb ? 1 : 0];
        if (ka >= 0 && kb >= 0 && ka != kb)
            return tsd_err(ic->st, TSD_INVALID_ARGUMENT,
                           "Matrix size-incompatible: inner dimensions %lld vs. %lld",
                           (long long)ka, (long long)kb);
    }
    return TSD_OK;
}

tsd_code eng__infer_matmul(eng_infer_ctx *ic)
{
    return infer_mm(ic, 2, 2);
}

tsd_code eng__infer_fused_matmul(eng_infer_ctx *ic)
{
    if (infer_mm(ic, 2, 3))
        return ic->st->code;
    eng__act act;
    if (fused_act(ic->node, &act, ic->st))
        return ic->st->code;
    int has_bias = eng_attr_bool_or(ic->node, "has_bias", ic->ninputs == 3);
    if (has_bias != (ic->ninputs == 3))
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "has_bias=%d but %d inputs", has_bias,
                       ic->ninputs);
    const eng_value_info *o = &ic->outputs[0];
    if (o->dtype != ENG_DT_FLOAT && o->dtype != ENG_DT_DOUBLE)
        return tsd_err(ic->st, TSD_UNIMPLEMENTED, "_TsdFusedMatMul: dtype %s is not supported",
                       eng_dtype_name(o->dtype));
    if (has_bias) {
        const eng_shape *bs = &ic->inputs[2].shape;
        int64_t n = o->shape.dims[1];
        if (ic->inputs[2].dtype != o->dtype || (bs->rank >= 0 && bs->rank != 1) ||
            (bs->rank == 1 && bs->dims[0] >= 0 && n >= 0 && bs->dims[0] != n))
            return tsd_err(ic->st, TSD_INVALID_ARGUMENT,
                           "_TsdFusedMatMul: bias does not match the product's columns");
    }
    return TSD_OK;
}

void eng_set_blas_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
}
