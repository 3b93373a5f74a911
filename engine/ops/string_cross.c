/*
 * string_cross.c - feature crosses: SparseCross (hashed with TensorFlow's
 * HashCrosser, or "_X_"-joined strings) and SparseCrossV2 (strings joined by
 * a separator input).
 *
 * Inputs: N sparse (indices, values, shapes) followed by dense [B, k]
 * matrices. Per example row, the Cartesian product of the row's values of
 * every input is emitted in odometer order with the last input varying
 * fastest. Hashed: h = hash_key, then h = FingerprintCat64(h, f) per input
 * where f is Fingerprint64 of a string value or the raw int64 value; the
 * output is h % num_buckets (or % INT64_MAX when num_buckets is 0).
 * SparseCrossHashed starts from the first input's feature instead of a key
 * and, like TensorFlow's kernel, fingerprints a sparse int64 value from
 * the first sizeof(DataType) = 4 bytes of its little-endian representation
 * (dense int64 values enter raw).
 *
 * Rows of a sparse input are read the way TensorFlow reads them: runs of
 * equal row indices in increasing order; a run whose row is not above the
 * previous one (unsorted or negative rows) ends that input for the batch.
 */
#include "engine/ops/families.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/farmhash.h"
#include "engine/ops/string_int.h"

/* One input column of the cross. */
typedef struct xcol {
    int sparse;
    const eng_tensor *vals; /* sparse values [n] or dense matrix [B, k] */
    const int64_t *idx;     /* sparse indices [n, 2] */
    int64_t n;              /* sparse: number of values */
    int64_t width;          /* dense: k */
    uint64_t *hash;         /* hashed mode: per value feature */
    eng_str *str;           /* string mode: per value text */
    int64_t cur, run_len;   /* sparse cursor: current run [cur, cur+run_len) */
    int64_t run_row, prev_row;
    int dead;
} xcol;

/* The whole cross configuration for one call. */
typedef struct xrun {
    eng_kctx *ctx;
    int ncols;
    xcol *cols;
    int64_t batch;
    int hashed; /* 0 strings, 1 HashCrosser, 2 HashCrosserV2 */
    uint64_t hash_key;
    int64_t num_buckets;
    eng_str sep;
    /* outputs (pass 2) */
    int64_t *out_idx;
    void *out_vals;
    int64_t pos;
} xrun;

static tsd_code shape_err(eng_kctx *ctx, const char *what, const eng_tensor *t, int i)
{
    char b[96];
    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "%s but received shape %s at position %d", what,
                   eng_shape_str(t->dims, t->rank, b, sizeof b), i);
}

/* TensorFlow's input validation, same order and wording. */
static tsd_code validate(eng_kctx *ctx, int n, int nd, eng_dtype internal)
{
    const eng_tensor *in = ctx->inputs;
    for (int i = 0; i < n; i++) {
        const eng_tensor *t = &in[i];
        if (t->dtype != ENG_DT_INT64)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Input indices should be of type int64 but received %s",
                           eng_dtype_name(t->dtype));
        if (t->rank != 2)
            return shape_err(ctx, "Input indices should be a matrix", t, i);
        if (t->dims[1] != 2)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Expected D2 of index to be 2 got %" PRId64 " at position %d",
                           t->dims[1], i);
    }
    for (int i = 0; i < n; i++) {
        const eng_tensor *t = &in[n + i];
        if (t->dtype != ENG_DT_INT64 && t->dtype != ENG_DT_STRING)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Input values should be int64 or string but received %s",
                           eng_dtype_name(t->dtype));
        if (internal == ENG_DT_STRING && t->dtype == ENG_DT_INT64)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Input values should be of internal type string but received int64");
        if (t->rank != 1)
            return shape_err(ctx, "Input values should be a vector", t, i);
        if (in[i].dims[0] != t->dims[0])
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Expected size of values to be %" PRId64 " got %" PRId64
                           " at position %d",
                           in[i].dims[0], t->dims[0], i);
    }
    for (int i = 0; i < n; i++) {
        const eng_tensor *t = &in[2 * n + i];
        if (t->dtype != ENG_DT_INT64)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Input shape should be of type int64 but received %s",
                           eng_dtype_name(t->dtype));
        if (t->rank != 1)
            return shape_err(ctx, "Input shapes should be a vector", t, i);
        if (t->dims[0] != 2)
            return shape_err(ctx, "shape should imply a 2D tensor,", t, i);
    }
    for (int i = 0; i < nd; i++) {
        const eng_tensor *t = &in[3 * n + i];
        if (t->dtype != ENG_DT_INT64 && t->dtype != ENG_DT_STRING)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Dense inputs should be int64 or string but received %s",
                           eng_dtype_name(t->dtype));
        if (internal == ENG_DT_STRING && t->dtype == ENG_DT_INT64)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Dense inputs should be of internal type string but received int64");
        if (t->rank != 2)
            return shape_err(ctx, "Dense inputs should be a matrix", t, i);
    }
    int64_t batch = 0;
    if (n > 0)
        batch = ((const int64_t *)in[2 * n].data)[0];
    else if (nd > 0)
        batch = in[3 * n].dims[0];
    for (int i = 0; i < n; i++) {
        int64_t b = ((const int64_t *)in[2 * n + i].data)[0];
        if (b != batch)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Expected batch size %" PRId64 " got %" PRId64 " at position %d", batch,
                           b, i);
    }
    for (int i = 0; i < nd; i++)
        if (in[3 * n + i].dims[0] != batch)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Expected batch size %" PRId64 " got %" PRId64 " at dense tensor %d",
                           batch, in[3 * n + i].dims[0], i);
    if (batch < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "negative batch size %" PRId64, batch);
    return TSD_OK;
}

/* Per-value features: fingerprints / raw ints (hashed) or text (strings). */
static tsd_code prepare_features(xrun *x, xcol *c)
{
    eng_kctx *ctx = x->ctx;
    int64_t nv = eng_tensor_num_elements(c->vals);
    size_t cnt = (size_t)(nv ? nv : 1);
    if (x->hashed) {
        c->hash = eng_kctx_scratch(ctx, cnt * sizeof *c->hash);
        if (!c->hash)
            return ctx->st->code;
        for (int64_t j = 0; j < nv; j++) {
            if (c->vals->dtype == ENG_DT_STRING) {
                const eng_str *s = &((const eng_str *)c->vals->data)[j];
                c->hash[j] = eng_fingerprint64(s->ptr, s->len);
            } else if (x->hashed == 2 && c->sparse) {
                uint64_t v = (uint64_t)((const int64_t *)c->vals->data)[j];
                unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                                       (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
                c->hash[j] = eng_fingerprint64(le, sizeof le);
            } else {
                c->hash[j] = (uint64_t)((const int64_t *)c->vals->data)[j];
            }
        }
        return TSD_OK;
    }
    if (c->vals->dtype == ENG_DT_STRING) {
        c->str = c->vals->data;
        return TSD_OK;
    }
    c->str = eng_kctx_scratch(ctx, cnt * sizeof *c->str);
    char *text = eng_kctx_scratch(ctx, cnt * 21);
    if (!c->str || !text)
        return ctx->st->code;
    for (int64_t j = 0; j < nv; j++) {
        int len = snprintf(text, 21, "%" PRId64, ((const int64_t *)c->vals->data)[j]);
        c->str[j].ptr = text;
        c->str[j].len = (size_t)len;
        text += 21;
    }
    return TSD_OK;
}

/* Move a sparse column to its next run of equal rows (or mark it dead). */
static void next_run(xcol *c, int64_t batch)
{
    c->cur += c->run_len;
    c->run_len = 0;
    if (c->cur >= c->n) {
        c->dead = 1;
        return;
    }
    int64_t row = c->idx[2 * c->cur];
    if (row <= c->prev_row || row >= batch) {
        c->dead = 1;
        return;
    }
    int64_t e = c->cur;
    while (e < c->n && c->idx[2 * e] == row)
        e++;
    c->run_row = row;
    c->run_len = e - c->cur;
    c->prev_row = row;
}

/* Emit (pass 2) or count the crosses of row b given each column's value range. */
static tsd_code cross_row(xrun *x, int64_t b, const int64_t *start, const int64_t *count,
                          int64_t ncross, int64_t *perm)
{
    eng_kctx *ctx = x->ctx;
    for (int i = 0; i < x->ncols; i++)
        perm[i] = 0;
    for (int64_t k = 0; k < ncross; k++) {
        int64_t o = x->pos + k;
        x->out_idx[2 * o] = b;
        x->out_idx[2 * o + 1] = k;
        if (x->hashed) {
            uint64_t h = x->hashed == 2 ? x->cols[0].hash[start[0] + perm[0]] : x->hash_key;
            for (int i = x->hashed == 2 ? 1 : 0; i < x->ncols; i++)
                h = eng_fingerprint_cat64(h, x->cols[i].hash[start[i] + perm[i]]);
            uint64_t m = x->num_buckets > 0 ? (uint64_t)x->num_buckets : (uint64_t)INT64_MAX;
            ((int64_t *)x->out_vals)[o] = (int64_t)(h % m);
        } else {
            size_t total = 0;
            for (int i = 0; i < x->ncols; i++)
                total += x->cols[i].str[start[i] + perm[i]].len + (i ? x->sep.len : 0);
            char *buf = eng_kctx_scratch(ctx, total + 1);
            if (!buf)
                return ctx->st->code;
            size_t p = 0;
            for (int i = 0; i < x->ncols; i++) {
                const eng_str *s = &x->cols[i].str[start[i] + perm[i]];
                if (i && x->sep.len) {
                    memcpy(buf + p, x->sep.ptr, x->sep.len);
                    p += x->sep.len;
                }
                if (s->len)
                    memcpy(buf + p, s->ptr, s->len);
                p += s->len;
            }
            if (eng_kctx_str(ctx, buf, p, &((eng_str *)x->out_vals)[o]) != TSD_OK)
                return ctx->st->code;
        }
        for (int i = x->ncols - 1; i >= 0; i--) {
            if (++perm[i] < count[i])
                break;
            perm[i] = 0;
        }
    }
    x->pos += ncross;
    return TSD_OK;
}

/*
 * Walk the rows that can have crosses. With emit = 0 only *total and *maxc
 * are computed; with emit = 1 the outputs are written.
 */
static tsd_code walk_rows(xrun *x, int emit, int64_t *total, int64_t *maxc)
{
    eng_kctx *ctx = x->ctx;
    size_t nc = (size_t)x->ncols;
    int64_t *start = eng_kctx_scratch(ctx, 3 * nc * sizeof *start);
    if (!start)
        return ctx->st->code;
    int64_t *count = start + nc, *perm = count + nc;
    int nsparse = 0;
    for (int i = 0; i < x->ncols; i++) {
        xcol *c = &x->cols[i];
        if (c->sparse) {
            nsparse++;
            c->cur = 0;
            c->run_len = 0;
            c->prev_row = -1;
            c->dead = 0;
            next_run(c, x->batch);
        } else if (c->width == 0) {
            return TSD_OK; /* an empty dense input: no crosses at all */
        }
    }
    *total = 0;
    *maxc = 0;
    x->pos = 0;
    int64_t b = 0;
    for (;;) {
        if (nsparse > 0) {
            /* Align every sparse column on the highest next row. */
            int64_t target = -1;
            int dead = 0, aligned = 0;
            while (!dead && !aligned) {
                aligned = 1;
                for (int i = 0; i < x->ncols && !dead; i++)
                    if (x->cols[i].sparse) {
                        dead = x->cols[i].dead;
                        if (!dead && x->cols[i].run_row > target)
                            target = x->cols[i].run_row;
                    }
                for (int i = 0; i < x->ncols && !dead; i++) {
                    xcol *c = &x->cols[i];
                    if (c->sparse && c->run_row < target) {
                        next_run(c, x->batch);
                        aligned = 0;
                        dead = c->dead;
                    }
                }
            }
            if (dead)
                return TSD_OK;
            b = target;
        } else if (b >= x->batch) {
            return TSD_OK;
        }
        int64_t ncross = 1;
        for (int i = 0; i < x->ncols; i++) {
            xcol *c = &x->cols[i];
            start[i] = c->sparse ? c->cur : b * c->width;
            count[i] = c->sparse ? c->run_len : c->width;
            if (count[i] > ENG_MAX_ELEMENTS / ncross)
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "row %" PRId64 " has too many crosses", b);
            ncross *= count[i];
        }
        if (ncross > ENG_MAX_ELEMENTS - *total)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "too many crosses in the batch");
        *total += ncross;
        if (ncross > *maxc)
            *maxc = ncross;
        if (emit && cross_row(x, b, start, count, ncross, perm) != TSD_OK)
            return ctx->st->code;
        for (int i = 0; i < x->ncols; i++)
            if (x->cols[i].sparse)
                next_run(&x->cols[i], x->batch);
        b++;
    }
}

/* Shared body: n sparse inputs, nd dense inputs, already validated. */
static tsd_code cross_run(xrun *x, int n, int nd, eng_dtype out_type)
{
    eng_kctx *ctx = x->ctx;
    const eng_tensor *in = ctx->inputs;
    x->ncols = n + nd;
    x->cols = eng_kctx_scratch(ctx, (size_t)(x->ncols ? x->ncols : 1) * sizeof *x->cols);
    if (!x->cols)
        return ctx->st->code;
    memset(x->cols, 0, (size_t)x->ncols * sizeof *x->cols);
    x->batch = n > 0 ? ((const int64_t *)in[2 * n].data)[0] : nd > 0 ? in[3 * n].dims[0] : 0;
    for (int i = 0; i < x->ncols; i++) {
        xcol *c = &x->cols[i];
        if (i < n) {
            c->sparse = 1;
            c->idx = in[i].data;
            c->vals = &in[n + i];
            c->n = in[i].dims[0];
        } else {
            c->vals = &in[3 * n + (i - n)];
            c->width = c->vals->dims[1];
        }
        if (prepare_features(x, c) != TSD_OK)
            return ctx->st->code;
    }
    int64_t total = 0, maxc = 0;
    if (x->ncols > 0 && walk_rows(x, 0, &total, &maxc) != TSD_OK)
        return ctx->st->code;
    int64_t idims[2] = {total, 2}, sdim = 2;
    eng_tensor *oi = eng_kctx_output(ctx, 0, ENG_DT_INT64, 2, idims);
    eng_tensor *ov = eng_kctx_output(ctx, 1, out_type, 1, &total);
    eng_tensor *os = eng_kctx_output(ctx, 2, ENG_DT_INT64, 1, &sdim);
    if (!oi || !ov || !os)
        return ctx->st->code;
    ((int64_t *)os->data)[0] = x->batch;
    ((int64_t *)os->data)[1] = maxc;
    x->out_idx = oi->data;
    x->out_vals = ov->data;
    if (total > 0 && walk_rows(x, 1, &total, &maxc) != TSD_OK)
        return ctx->st->code;
    return TSD_OK;
}

/* Number of sparse inputs (attr N) and dense inputs (len(dense_types)). */
static tsd_code cross_counts(const eng_node *node, int ninputs, int extra, int *n, int *nd,
                             tsd_status *st)
{
    int64_t nn = eng_attr_int_or(node, "N", 0);
    const eng_attr *dt = eng_node_attr(node, "dense_types");
    int64_t ndense = dt && dt->kind == ENG_ATTR_LIST_TYPE ? (int64_t)dt->n : 0;
    if (nn < 0 || nn > 10000 || 3 * nn + ndense + extra != ninputs)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "expected 3*N + len(dense_types) + %d = %lld inputs (N=%lld), got %d", extra,
                       (long long)(3 * nn + ndense + extra), (long long)nn, ninputs);
    *n = (int)nn;
    *nd = (int)ndense;
    return TSD_OK;
}

tsd_code eng__sparse_cross_infer(eng_infer_ctx *ic)
{
    int n, nd;
    int v2 = strcmp(eng_node_op(ic->node), "SparseCrossV2") == 0;
    int hv2 = strcmp(eng_node_op(ic->node), "SparseCrossHashed") == 0;
    if (cross_counts(ic->node, ic->ninputs, v2 ? 1 : hv2 ? 3 : 0, &n, &nd, ic->st) != TSD_OK)
        return ic->st->code;
    eng_dtype out = hv2 ? ENG_DT_INT64 : ENG_DT_STRING;
    if (!v2 && !hv2) {
        int hashed = 0;
        if (eng_attr_bool(ic->node, "hashed_output", &hashed, ic->st) != TSD_OK)
            return ic->st->code;
        out = eng_attr_type_or(ic->node, "out_type", hashed ? ENG_DT_INT64 : ENG_DT_STRING);
    }
    ic->noutputs = 3;
    ic->outputs[0].dtype = ENG_DT_INT64;
    ic->outputs[0].shape.rank = 2;
    ic->outputs[0].shape.dims[0] = -1;
    ic->outputs[0].shape.dims[1] = 2;
    ic->outputs[1].dtype = out;
    ic->outputs[1].shape.rank = 1;
    ic->outputs[1].shape.dims[0] = -1;
    ic->outputs[2].dtype = ENG_DT_INT64;
    ic->outputs[2].shape.rank = 1;
    ic->outputs[2].shape.dims[0] = 2;
    return TSD_OK;
}

tsd_code eng__sparse_cross_compute(eng_kctx *ctx)
{
    int n, nd, hashed;
    if (cross_counts(ctx->node, ctx->ninputs, 0, &n, &nd, ctx->st) != TSD_OK ||
        eng_attr_bool(ctx->node, "hashed_output", &hashed, ctx->st) != TSD_OK)
        return ctx->st->code;
    eng_dtype internal = eng_attr_type_or(ctx->node, "internal_type", ENG_DT_INVALID);
    eng_dtype out = eng_attr_type_or(ctx->node, "out_type", hashed ? ENG_DT_INT64 : ENG_DT_STRING);
    if (out != (hashed ? ENG_DT_INT64 : ENG_DT_STRING))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "SparseCross: out_type %s does not match hashed_output=%d",
                       eng_dtype_name(out), hashed);
    if (validate(ctx, n, nd, internal) != TSD_OK)
        return ctx->st->code;
    xrun x;
    memset(&x, 0, sizeof x);
    x.ctx = ctx;
    x.hashed = hashed;
    x.hash_key = (uint64_t)eng_attr_int_or(ctx->node, "hash_key", 0);
    x.num_buckets = eng_attr_int_or(ctx->node, "num_buckets", 0);
    if (x.num_buckets < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_buckets must be >= 0");
    x.sep.ptr = "_X_";
    x.sep.len = 3;
    return cross_run(&x, n, nd, out);
}

tsd_code eng__sparse_cross_v2_compute(eng_kctx *ctx)
{
    int n, nd;
    if (cross_counts(ctx->node, ctx->ninputs, 1, &n, &nd, ctx->st) != TSD_OK)
        return ctx->st->code;
    if (validate(ctx, n, nd, ENG_DT_INVALID) != TSD_OK)
        return ctx->st->code;
    const eng_tensor *sep = &ctx->inputs[ctx->ninputs - 1];
    if (sep->dtype != ENG_DT_STRING || sep->rank != 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Input separator should be a scalar.");
    xrun x;
    memset(&x, 0, sizeof x);
    x.ctx = ctx;
    x.sep = ((const eng_str *)sep->data)[0];
    return cross_run(&x, n, nd, ENG_DT_STRING);
}

tsd_code eng__sparse_cross_hashed_compute(eng_kctx *ctx)
{
    int n, nd;
    if (cross_counts(ctx->node, ctx->ninputs, 3, &n, &nd, ctx->st) != TSD_OK)
        return ctx->st->code;
    if (validate(ctx, n, nd, ENG_DT_INVALID) != TSD_OK)
        return ctx->st->code;
    const eng_tensor *nb = &ctx->inputs[3 * n + nd], *strong = &ctx->inputs[3 * n + nd + 1];
    const eng_tensor *salt = &ctx->inputs[3 * n + nd + 2];
    if (nb->dtype != ENG_DT_INT64 || nb->rank != 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_buckets should be an int64 scalar");
    if (strong->dtype != ENG_DT_BOOL || strong->rank != 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "strong_hash should be a bool scalar");
    if (salt->dtype != ENG_DT_INT64 || eng_tensor_num_elements(salt) != 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Input \"salt\" must have length 2");
    if (((const uint8_t *)strong->data)[0])
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED,
                       "SparseCrossHashed with strong_hash=true (keyed SipHash) is not "
                       "supported");
    xrun x;
    memset(&x, 0, sizeof x);
    x.ctx = ctx;
    x.hashed = 2;
    x.num_buckets = ((const int64_t *)nb->data)[0];
    if (x.num_buckets < 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_buckets must be >= 0");
    return cross_run(&x, n, nd, ENG_DT_INT64);
}
