/*
 * sparse_segment.c - SparseSegmentSum / Mean / SqrtN (and the
 * WithNumSegments variants): output row s combines the data rows
 * data[indices[i]] of every i with segment_ids[i] == s.
 *
 * The floating-point evaluation order follows TensorFlow's CPU kernel so
 * that results are bit-identical: a first chunk of (n mod 8) rows (8 or 9
 * when that is 0 or 1) is summed left to right and scaled by 1/n (mean) or
 * 1/sqrt(n) (sqrtn) when n < 10; each further block of 8 rows is summed
 * left to right and then added; for n >= 10 the total is divided by n or
 * sqrt(n) at the end. Empty segments are 0.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "engine/ops/sparse_int.h"

enum { SEG_SUM, SEG_MEAN, SEG_SQRTN };

static int has_num_segments(const eng_node *n)
{
    const char *op = eng_node_op(n);
    size_t len = strlen(op);
    return len > 15 && strcmp(op + len - 15, "WithNumSegments") == 0;
}

tsd_code eng__seg_infer(eng_infer_ctx *ic)
{
    int withn = has_num_segments(ic->node);
    if (ic->ninputs != 3 + withn)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected %d inputs, got %d", 3 + withn,
                       ic->ninputs);
    ic->noutputs = 1;
    ic->outputs[0].dtype = ic->inputs[0].dtype;
    ic->outputs[0].shape = ic->inputs[0].shape;
    if (ic->outputs[0].shape.rank >= 1) {
        int64_t rows = -1;
        if (withn && ic->inputs[3].value)
            rows = eng__sp_int_at(ic->inputs[3].value, 0);
        ic->outputs[0].shape.dims[0] = rows;
    }
    return TSD_OK;
}

/* Index of the first bad entry in rows [start, start+num), or -1. */
static int64_t check_rows(const eng_tensor *idx, int64_t start, int64_t num, int64_t nrows)
{
    for (int64_t i = 0; i < num; i++) {
        int64_t v = eng__sp_int_at(idx, start + i);
        if (v < 0 || v >= nrows)
            return i;
    }
    return -1;
}

/* Reduce one segment for element type T with accumulator type T. */
#define SEG_REDUCE(T, NAME)                                                                        \
    static void NAME(const T *data, int64_t cols, const eng_tensor *idx, int64_t start,            \
                     int64_t num, int kind, T *out)                                                \
    {                                                                                              \
        if (num == 1) {                                                                            \
            memcpy(out, data + eng__sp_int_at(idx, start) * cols, (size_t)cols * sizeof(T));       \
            return;                                                                                \
        }                                                                                          \
        int64_t r = num & 7;                                                                       \
        if (r < 2)                                                                                 \
            r += 8;                                                                                \
        T scale = (T)1;                                                                            \
        if (kind == SEG_MEAN && num < 10)                                                          \
            scale = (T)1 / (T)num;                                                                 \
        if (kind == SEG_SQRTN && num < 10)                                                         \
            scale = (T)1 / (T)sqrt((double)num);                                                   \
        for (int64_t c = 0; c < cols; c++) {                                                       \
            T acc = data[eng__sp_int_at(idx, start) * cols + c];                                   \
            for (int64_t k = 1; k < r; k++)                                                        \
                acc = acc + data[eng__sp_int_at(idx, start + k) * cols + c];                       \
            out[c] = acc * scale;                                                                  \
        }                                                                                          \
        for (int64_t b = r; b < num; b += 8) {                                                     \
            for (int64_t c = 0; c < cols; c++) {                                                   \
                T blk = data[eng__sp_int_at(idx, start + b) * cols + c];                           \
                for (int64_t k = 1; k < 8; k++)                                                    \
                    blk = blk + data[eng__sp_int_at(idx, start + b + k) * cols + c];               \
                out[c] = out[c] + blk;                                                             \
            }                                                                                      \
        }                                                                                          \
        if (num >= 10 && kind != SEG_SUM) {                                                        \
            T div = kind == SEG_MEAN ? (T)num : (T)sqrt((double)num);                              \
            for (int64_t c = 0; c < cols; c++)                                                     \
                out[c] = out[c] / div;                                                             \
        }                                                                                          \
    }

SEG_REDUCE(float, reduce_f32)
SEG_REDUCE(double, reduce_f64)

/* Integer sums wrap like TensorFlow's two's-complement arithmetic. */
static void reduce_int(const eng_tensor *data, int64_t cols, const eng_tensor *idx, int64_t start,
                       int64_t num, void *out)
{
    for (int64_t c = 0; c < cols; c++) {
        uint64_t acc = 0;
        for (int64_t k = 0; k < num; k++) {
            int64_t row = eng__sp_int_at(idx, start + k);
            acc += (uint64_t)eng__sp_int_at(data, row * cols + c);
        }
        if (data->dtype == ENG_DT_INT64)
            ((int64_t *)out)[c] = (int64_t)acc;
        else
            ((int32_t *)out)[c] = (int32_t)(uint32_t)acc;
    }
}

static tsd_code seg_compute(eng_kctx *ctx, int kind)
{
    const eng_tensor *data = &ctx->inputs[0], *idx = &ctx->inputs[1], *seg = &ctx->inputs[2];
    int withn = has_num_segments(ctx->node);
    const char *op = eng_node_op(ctx->node);
    char b1[96];
    if (ctx->ninputs != 3 + withn)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "%s expects %d inputs", op, 3 + withn);
    int is_float = data->dtype == ENG_DT_FLOAT || data->dtype == ENG_DT_DOUBLE;
    int is_int = data->dtype == ENG_DT_INT32 || data->dtype == ENG_DT_INT64;
    if (!is_float && !(is_int && kind == SEG_SUM))
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "%s does not support data of type %s", op,
                       eng_dtype_name(data->dtype));
    if (data->rank < 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "data must be at least rank 1");
    if (idx->rank != 1 || (idx->dtype != ENG_DT_INT32 && idx->dtype != ENG_DT_INT64))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "indices should be a vector, got %s",
                       eng_shape_str(idx->dims, idx->rank, b1, sizeof b1));
    if (seg->rank != 1 || (seg->dtype != ENG_DT_INT32 && seg->dtype != ENG_DT_INT64))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment_ids should be a vector, got %s",
                       eng_shape_str(seg->dims, seg->rank, b1, sizeof b1));
    int64_t n = idx->dims[0];
    if (seg->dims[0] != n)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "segment_ids and indices should have same size.");
    int64_t last = n > 0 ? eng__sp_int_at(seg, n - 1) : -1;
    if (last == INT64_MAX)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Last segment id must be < kintmax");
    int64_t last1 = last + 1;
    int64_t rows;
    if (withn) {
        const eng_tensor *ns = &ctx->inputs[3];
        if (ns->rank != 0 || (ns->dtype != ENG_DT_INT32 && ns->dtype != ENG_DT_INT64))
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_segments should be a scalar");
        rows = eng__sp_int_at(ns, 0);
        if (rows < last1)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment ids must be < num_segments");
    } else {
        rows = last1;
    }
    if (rows < 0 || (n > 0 && rows == 0))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment ids must be >= 0");
    int64_t dims[ENG_MAX_RANK];
    memcpy(dims, data->dims, sizeof dims);
    dims[0] = rows;
    eng_tensor *out = eng_kctx_output(ctx, 0, data->dtype, data->rank, dims);
    if (!out)
        return ctx->st->code;
    int64_t cols = 1;
    for (int k = 1; k < data->rank; k++)
        cols *= data->dims[k];
    size_t esz = eng_dtype_size(data->dtype);
    memset(out->data, 0, (size_t)(rows * cols) * esz);
    int64_t start = 0;
    while (start < n) {
        int64_t s = eng__sp_int_at(seg, start);
        int64_t end = start + 1;
        while (end < n && eng__sp_int_at(seg, end) == s)
            end++;
        if (end < n && eng__sp_int_at(seg, end) < s)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "segment ids are not increasing");
        if (s < 0 || s >= rows)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Segment id %" PRId64 " out of range [0, %" PRId64 "), possibly "
                           "because 'segment_ids' input is not sorted.",
                           s, rows);
        int64_t bad = check_rows(idx, start, end - start, data->dims[0]);
        if (bad >= 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Bad: indices[%" PRId64 "] == %" PRId64 " out of range [0, %" PRId64 ")",
                           start + bad, eng__sp_int_at(idx, start + bad), data->dims[0]);
        char *o = (char *)out->data + (size_t)(s * cols) * esz;
        if (cols > 0) {
            if (data->dtype == ENG_DT_FLOAT)
                reduce_f32(data->data, cols, idx, start, end - start, kind, (float *)o);
            else if (data->dtype == ENG_DT_DOUBLE)
                reduce_f64(data->data, cols, idx, start, end - start, kind, (double *)o);
            else
                reduce_int(data, cols, idx, start, end - start, o);
        }
        start = end;
    }
    return TSD_OK;
}

tsd_code eng__seg_sum_compute(eng_kctx *ctx)
{
    return seg_compute(ctx, SEG_SUM);
}

tsd_code eng__seg_mean_compute(eng_kctx *ctx)
{
    return seg_compute(ctx, SEG_MEAN);
}

tsd_code eng__seg_sqrtn_compute(eng_kctx *ctx)
{
    return seg_compute(ctx, SEG_SQRTN);
}
