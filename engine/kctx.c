/*
 * kctx.c - per-call memory and the kernel helpers that allocate from it.
 *
 * A call has a planned region (one block sized by the memory plan for the
 * batch size) and a dynamic region: a list of bump chunks kept across runs.
 * Runs with the same request sequence reuse the same chunks in the same
 * order, so after warm-up a run allocates nothing. eng_kctx_output uses the
 * planned slot of the output when the requested size fits, else bumps.
 */
#include "engine/plan_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT ((size_t)4 << 30)
#define DEFAULT_DYN_LIMIT ((size_t)8 << 30)
#define MIN_CHUNK ((size_t)64 << 10)
#define ALIGN 64

/* Valid pointer for zero-byte tensors. */
static _Alignas(64) char zero_block[64];
static const char empty_bytes[1] = {0};

eng_call *eng_call_new(void)
{
    eng_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->limit = DEFAULT_LIMIT;
    c->dyn_limit = DEFAULT_DYN_LIMIT;
    return c;
}

void eng_call_free(eng_call *c)
{
    if (!c)
        return;
    for (eng__chunk *k = c->chunks, *nx; k; k = nx) {
        nx = k->next;
        free(k->data);
        free(k);
    }
    if (c->mp)
        eng__memplan_unref(c->mp);
    free(c->arena);
    free(c->vals);
    free(c->tmp_in);
    free(c);
}

void eng_call_clear(eng_call *c)
{
    if (c)
        eng__call_reset(c);
}

void *eng_call_alloc(eng_call *c, size_t bytes, tsd_status *st)
{
    if (!c) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "no call");
        return NULL;
    }
    return eng__call_bump(c, bytes, ALIGN, st);
}

void eng__call_set_limits(eng_call *c, size_t single, size_t total)
{
    if (single)
        c->limit = single;
    if (total)
        c->dyn_limit = total;
}

uint64_t eng__call_num_mallocs(const eng_call *c)
{
    return c->nmallocs;
}

void eng__call_reset(eng_call *c)
{
    for (eng__chunk *k = c->chunks; k; k = k->next)
        k->used = 0;
    c->cur = c->chunks;
    c->dyn_total = 0;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

void *eng__call_bump(eng_call *c, size_t bytes, size_t align, tsd_status *st)
{
    if (bytes == 0)
        return zero_block;
    if (bytes > c->limit) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                "allocation of %zu bytes exceeds the per-tensor limit of %zu bytes", bytes,
                c->limit);
        return NULL;
    }
    if (c->dyn_total + bytes > c->dyn_limit) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "call memory would exceed the limit of %zu bytes",
                c->dyn_limit);
        return NULL;
    }
    for (eng__chunk *k = c->cur; k; k = k->next) {
        size_t at = align_up(k->used, align);
        if (at <= k->cap && k->cap - at >= bytes) {
            k->used = at + bytes;
            c->cur = k;
            c->dyn_total += bytes;
            return k->data + at;
        }
    }
    /* Need a new chunk: at least double the last one, appended at the end. */
    eng__chunk *last = c->chunks;
    while (last && last->next)
        last = last->next;
    size_t cap = last ? last->cap * 2 : MIN_CHUNK;
    if (cap < bytes + align)
        cap = align_up(bytes + align, ALIGN);
    if (cap > c->limit + ALIGN && bytes + align <= c->limit + ALIGN)
        cap = align_up(bytes + align, ALIGN);
    eng__chunk *k = calloc(1, sizeof *k);
    char *d = k ? aligned_alloc(ALIGN, align_up(cap, ALIGN)) : NULL;
    if (!d) {
        free(k);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    c->nmallocs++;
    k->data = d;
    k->cap = align_up(cap, ALIGN);
    k->used = bytes;
    if (last)
        last->next = k;
    else
        c->chunks = k;
    c->cur = k;
    c->dyn_total += bytes;
    return d;
}

tsd_code eng__call_reserve(eng_call *c, size_t bytes, tsd_status *st)
{
    if (bytes <= c->arena_cap)
        return TSD_OK;
    if (bytes > c->dyn_limit)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                       "planned memory of %zu bytes exceeds the limit of %zu bytes", bytes,
                       c->dyn_limit);
    char *a = aligned_alloc(ALIGN, align_up(bytes, ALIGN));
    if (!a)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reserving %zu bytes", bytes);
    c->nmallocs++;
    free(c->arena);
    c->arena = a;
    c->arena_cap = align_up(bytes, ALIGN);
    return TSD_OK;
}

/* Bytes for a tensor of dt with rank/dims, checked against the limits. */
static tsd_code tensor_bytes(eng_kctx *ctx, eng_dtype dt, int rank, const int64_t *dims,
                             size_t *bytes)
{
    size_t es = eng_dtype_size(dt);
    if (es == 0)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot allocate an output of dtype %s",
                       eng_dtype_name(dt));
    int64_t n;
    if (rank > 0 && !dims)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "output shape missing");
    if (eng__checked_elements(rank, dims, &n, ctx->st))
        return ctx->st->code;
    *bytes = (size_t)n * es;
    return TSD_OK;
}

eng_tensor *eng_kctx_output(eng_kctx *ctx, int i, eng_dtype dt, int rank, const int64_t *dims)
{
    eng__kimpl *im = ctx->impl;
    if (i < 0 || i >= ctx->noutputs) {
        tsd_err(ctx->st, TSD_INTERNAL, "output %d of %d requested", i, ctx->noutputs);
        return NULL;
    }
    size_t bytes;
    if (tensor_bytes(ctx, dt, rank, dims, &bytes))
        return NULL;
    void *p = NULL;
    if (bytes == 0) {
        p = zero_block;
    } else if (im->mp && im->out_base >= 0) {
        int32_t v = im->out_base + i;
        if (im->mp->off[v] >= 0 && bytes <= im->mp->size[v])
            p = im->call->arena + im->mp->off[v];
    }
    if (!p) {
        p = eng__call_bump(im->call, bytes, ALIGN, ctx->st);
        if (!p)
            return NULL;
    }
    eng_tensor *t = &ctx->outputs[i];
    t->dtype = dt;
    t->rank = rank;
    for (int d = 0; d < rank; d++)
        t->dims[d] = dims[d];
    t->data = p;
    t->nbytes = bytes;
    if (eng__dtype_is_str(dt)) {
        eng_str *s = p;
        size_t n = bytes / sizeof(eng_str);
        for (size_t k = 0; k < n; k++) {
            s[k].ptr = empty_bytes;
            s[k].len = 0;
        }
    }
    return t;
}

eng_tensor *eng_kctx_forward(eng_kctx *ctx, int j, int i, int rank, const int64_t *dims)
{
    eng__kimpl *im = ctx->impl;
    if (j < 0 || j >= ctx->ninputs || i < 0 || i >= ctx->noutputs) {
        tsd_err(ctx->st, TSD_INTERNAL, "forward of input %d to output %d out of range", j, i);
        return NULL;
    }
    const eng_tensor *in = &ctx->inputs[j];
    size_t bytes;
    if (tensor_bytes(ctx, in->dtype, rank, dims, &bytes))
        return NULL;
    if (bytes != in->nbytes) {
        char a[64], b[64];
        tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot view a tensor of shape %s as %s",
                eng_shape_str(in->dims, in->rank, a, sizeof a),
                eng_shape_str(dims, rank, b, sizeof b));
        return NULL;
    }
    if ((im->flags & ENG_OP_ALIAS0) && i == 0 && j == 0) {
        eng_tensor *t = &ctx->outputs[i];
        *t = *in;
        t->rank = rank;
        for (int d = 0; d < rank; d++)
            t->dims[d] = dims[d];
        return t;
    }
    /* Not planned as an alias: copy so the input's buffer may be reused. */
    eng_tensor *t = eng_kctx_output(ctx, i, in->dtype, rank, dims);
    if (t && bytes)
        memcpy(t->data, in->data, bytes);
    return t;
}

void *eng_kctx_scratch(eng_kctx *ctx, size_t bytes)
{
    eng__kimpl *im = ctx->impl;
    return eng__call_bump(im->call, bytes, ALIGN, ctx->st);
}

tsd_code eng_kctx_str(eng_kctx *ctx, const char *p, size_t len, eng_str *out)
{
    eng__kimpl *im = ctx->impl;
    if (len == 0) {
        out->ptr = empty_bytes;
        out->len = 0;
        return TSD_OK;
    }
    char *d = eng__call_bump(im->call, len, 1, ctx->st);
    if (!d)
        return ctx->st->code;
    memcpy(d, p, len);
    out->ptr = d;
    out->len = len;
    return TSD_OK;
}
