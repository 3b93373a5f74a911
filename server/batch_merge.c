/*
 * batch_merge.c - concatenating requests' inputs along dim 0 (with TF
 * Serving's two kinds of padding) and slicing batched outputs back.
 */
#include "server/batch_int.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

void srv__bbuf_free(srv__bbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->cap = 0;
}

int srv__batch_compatible(const eng_tensor *a, const eng_tensor *b, int pad)
{
    if (a->dtype != b->dtype || a->rank != b->rank || a->rank < 1)
        return 0;
    if (pad)
        return 1;
    for (int d = 1; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    return 1;
}

int64_t srv__batch_round(const srv_batch_params *p, int64_t n)
{
    for (size_t i = 0; i < p->nallowed; i++)
        if (p->allowed_batch_sizes[i] >= n)
            return p->allowed_batch_sizes[i];
    return n;
}

/* Elements of one row (dims 1..rank-1); -1 on overflow. */
static int64_t row_elems(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int d = 1; d < rank; d++) {
        if (dims[d] < 0 || (dims[d] && n > ENG_MAX_ELEMENTS / dims[d]))
            return -1;
        n *= dims[d];
    }
    return n;
}

/*
 * Copy a block of shape sdims[from..rank) into one of shape ddims[from..rank)
 * (each dim of s <= d), row-major, element size esz.
 */
static void copy_block(char *dst, const int64_t *ddims, const char *src, const int64_t *sdims,
                       int from, int rank, size_t esz)
{
    if (from == rank) {
        memcpy(dst, src, esz);
        return;
    }
    if (from == rank - 1) {
        memcpy(dst, src, (size_t)sdims[from] * esz);
        return;
    }
    size_t dstride = esz, sstride = esz;
    for (int d = from + 1; d < rank; d++) {
        dstride *= (size_t)ddims[d];
        sstride *= (size_t)sdims[d];
    }
    for (int64_t i = 0; i < sdims[from]; i++)
        copy_block(dst + (size_t)i * dstride, ddims, src + (size_t)i * sstride, sdims, from + 1,
                   rank, esz);
}

tsd_code srv__batch_merge(const eng_tensor *const *task_feeds, size_t ntasks, int nfeeds,
                          int64_t rows, int pad_var, srv__bbuf *buf, eng_tensor *merged,
                          tsd_status *st)
{
    if (ntasks == 0)
        return tsd_err(st, TSD_INTERNAL, "empty batch");
    /* Shapes first, so the buffer is sized once. */
    size_t total = 0;
    for (int f = 0; f < nfeeds; f++) {
        const eng_tensor *t0 = &task_feeds[0][f];
        eng_tensor *m = &merged[f];
        memset(m, 0, sizeof *m);
        m->dtype = t0->dtype;
        m->rank = t0->rank;
        int64_t sum = 0;
        for (size_t t = 0; t < ntasks; t++) {
            const eng_tensor *x = &task_feeds[t][f];
            if (!srv__batch_compatible(x, t0, pad_var))
                return tsd_err(st, TSD_INTERNAL, "incompatible tensors in one batch");
            sum += x->dims[0];
            for (int d = 1; d < x->rank; d++)
                if (t == 0 || x->dims[d] > m->dims[d])
                    m->dims[d] = x->dims[d];
        }
        if (rows < sum)
            return tsd_err(st, TSD_INTERNAL, "batch rows %lld below the tasks' %lld",
                           (long long)rows, (long long)sum);
        m->dims[0] = rows;
        int64_t re = row_elems(m->dims, m->rank);
        if (re < 0 || (re && rows > ENG_MAX_ELEMENTS / re))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "batched input '%d' is too large", f);
        m->nbytes = (size_t)(rows * re) * eng_dtype_size(m->dtype);
        total += (m->nbytes + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    }
    if (total > buf->cap) {
        char *d = aligned_alloc(ALIGN, total);
        if (!d)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory merging a batch");
        free(buf->data);
        buf->data = d;
        buf->cap = total;
    }
    size_t off = 0;
    for (int f = 0; f < nfeeds; f++) {
        eng_tensor *m = &merged[f];
        size_t esz = eng_dtype_size(m->dtype);
        size_t rowb = (size_t)row_elems(m->dims, m->rank) * esz;
        char *dst = buf->data + off;
        m->data = dst;
        off += (m->nbytes + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        char *last_first = dst;
        for (size_t t = 0; t < ntasks; t++) {
            const eng_tensor *x = &task_feeds[t][f];
            size_t xrowb = (size_t)row_elems(x->dims, x->rank) * esz;
            last_first = dst;
            if (xrowb == rowb) {
                if (x->dims[0] && rowb)
                    memcpy(dst, x->data, (size_t)x->dims[0] * rowb);
                dst += (size_t)x->dims[0] * rowb;
                continue;
            }
            /* Pad each row to the batch's dims with the task's first element. */
            for (int64_t r = 0; r < x->dims[0]; r++) {
                if (xrowb) {
                    for (size_t e = 0; e < rowb; e += esz)
                        memcpy(dst + e, x->data, esz);
                    copy_block(dst, m->dims, (const char *)x->data + (size_t)r * xrowb, x->dims, 1,
                               x->rank, esz);
                } else {
                    memset(dst, 0, rowb); /* the task has no element to pad with */
                    if (m->dtype == ENG_DT_STRING)
                        for (size_t e = 0; e < rowb; e += esz)
                            ((eng_str *)(void *)(dst + e))->ptr = "";
                }
                dst += rowb;
            }
        }
        /* Batch padding: copies of the last task's first row. */
        char *end = (char *)m->data + m->nbytes;
        while (dst < end) {
            memcpy(dst, last_first, rowb);
            dst += rowb;
        }
    }
    return TSD_OK;
}

tsd_code srv__batch_slice(const eng_tensor *t, int64_t off, int64_t n, eng_call *call,
                          eng_tensor *out, tsd_status *st)
{
    *out = *t;
    out->dims[0] = n;
    int64_t re = row_elems(t->dims, t->rank);
    size_t esz = eng_dtype_size(t->dtype);
    if (re < 0 || t->rank < 1 || off + n > t->dims[0] || esz == 0)
        return tsd_err(st, TSD_INTERNAL, "cannot slice a batched output");
    size_t rowb = (size_t)re * esz;
    out->nbytes = (size_t)n * rowb;
    out->data = eng_call_alloc(call, out->nbytes, st);
    if (!out->data)
        return st->code;
    memcpy(out->data, (const char *)t->data + (size_t)off * rowb, out->nbytes);
    if (t->dtype != ENG_DT_STRING)
        return TSD_OK;
    eng_str *s = out->data;
    size_t cnt = out->nbytes / sizeof *s, bytes = 0;
    for (size_t i = 0; i < cnt; i++)
        bytes += s[i].len;
    char *b = eng_call_alloc(call, bytes, st);
    if (!b && bytes)
        return st->code;
    for (size_t i = 0; i < cnt; i++) {
        if (s[i].len)
            memcpy(b, s[i].ptr, s[i].len);
        s[i].ptr = b;
        b += s[i].len;
    }
    return TSD_OK;
}
