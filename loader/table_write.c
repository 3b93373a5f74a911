/*
 * table_write.c - writing TensorFlow's copy of the LevelDB table format (the
 * ".index" file of a tensor bundle), following TableBuilder's rules so that
 * output is byte-identical to what TensorFlow writes (see table_int.h).
 */
#include "loader/table_int.h"

#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

#define BLOCK_SIZE 262144
#define RESTART_INTERVAL 16

void ldr__buf_put(ldr__buf *b, const void *d, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

void ldr__buf_varint(ldr__buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    ldr__buf_put(b, t, n);
}

void ldr__buf_fixed32(ldr__buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ldr__buf_put(b, t, 4);
}

void ldr__buf_fixed64(ldr__buf *b, uint64_t v)
{
    ldr__buf_fixed32(b, (uint32_t)v);
    ldr__buf_fixed32(b, (uint32_t)(v >> 32));
}

void ldr__buf_free(ldr__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* A block being built: entries with prefix compression, then restarts. */
typedef struct block {
    ldr__buf data;
    ldr__buf restarts; /* fixed32 offsets */
    size_t nrestarts;
    size_t counter; /* entries since the last restart */
    int interval;
    ldr__buf last; /* last key */
    size_t nentries;
} block;

static void block_reset(block *b)
{
    b->data.n = 0;
    b->restarts.n = 0;
    ldr__buf_fixed32(&b->restarts, 0);
    b->nrestarts = 1;
    b->counter = 0;
    b->last.n = 0;
    b->nentries = 0;
}

static void block_add(block *b, const char *key, size_t klen, const uint8_t *v, size_t vlen)
{
    size_t shared = 0;
    if (b->counter < (size_t)b->interval) {
        size_t m = klen < b->last.n ? klen : b->last.n;
        while (shared < m && (uint8_t)key[shared] == b->last.p[shared])
            shared++;
    } else {
        ldr__buf_fixed32(&b->restarts, (uint32_t)b->data.n);
        b->nrestarts++;
        b->counter = 0;
    }
    ldr__buf_varint(&b->data, shared);
    ldr__buf_varint(&b->data, klen - shared);
    ldr__buf_varint(&b->data, vlen);
    ldr__buf_put(&b->data, key + shared, klen - shared);
    ldr__buf_put(&b->data, v, vlen);
    b->last.n = 0;
    ldr__buf_put(&b->last, key, klen);
    b->counter++;
    b->nentries++;
}

static size_t block_estimate(const block *b)
{
    return b->data.n + b->restarts.n + 4;
}

/* Append the finished block and its trailer to out; set its handle (offset, size). */
static void block_emit(block *b, ldr__buf *out, uint64_t *off, uint64_t *size)
{
    ldr__buf_put(&b->data, b->restarts.p, b->restarts.n);
    ldr__buf_fixed32(&b->data, (uint32_t)b->nrestarts);
    *off = out->n;
    *size = b->data.n;
    ldr__buf_put(out, b->data.p, b->data.n);
    uint8_t type = 0;
    uint32_t crc = ldr_crc32c_extend(ldr_crc32c(b->data.p, b->data.n), &type, 1);
    ldr__buf_put(out, &type, 1);
    ldr__buf_fixed32(out, ldr_crc32c_mask(crc));
    block_reset(b);
}

/* LevelDB's FindShortestSeparator on key (in place) against limit. */
static void shortest_separator(ldr__buf *key, const char *limit, size_t llen)
{
    size_t m = key->n < llen ? key->n : llen, i = 0;
    while (i < m && key->p[i] == (uint8_t)limit[i])
        i++;
    if (i >= m)
        return;
    uint8_t d = key->p[i];
    if (d < 0xff && d + 1 < (uint8_t)limit[i]) {
        key->p[i]++;
        key->n = i + 1;
    }
}

/* LevelDB's FindShortSuccessor (in place). */
static void short_successor(ldr__buf *key)
{
    for (size_t i = 0; i < key->n; i++)
        if (key->p[i] != 0xff) {
            key->p[i]++;
            key->n = i + 1;
            return;
        }
}

static void handle(ldr__buf *b, uint64_t off, uint64_t size)
{
    ldr__buf_varint(b, off);
    ldr__buf_varint(b, size);
}

tsd_code ldr__table_build(const ldr__kv *kv, size_t n, ldr__buf *out, tsd_status *st)
{
    for (size_t i = 1; i < n; i++) {
        size_t m = kv[i - 1].key_len < kv[i].key_len ? kv[i - 1].key_len : kv[i].key_len;
        int c = memcmp(kv[i - 1].key, kv[i].key, m);
        if (c > 0 || (c == 0 && kv[i - 1].key_len >= kv[i].key_len))
            return tsd_err(st, TSD_INTERNAL, "table keys are not strictly increasing at entry %zu",
                           i);
    }
    block data = {.interval = RESTART_INTERVAL}, index = {.interval = 1}, meta = {.interval = 1};
    block_reset(&data);
    block_reset(&index);
    block_reset(&meta);
    ldr__buf pending = {0}, hbuf = {0};
    int has_pending = 0;
    uint64_t off = 0, size = 0;
    for (size_t i = 0; i < n; i++) {
        const ldr__kv *e = &kv[i];
        if (has_pending) { /* the previous block's index entry, now that N is known */
            shortest_separator(&pending, e->key, e->key_len);
            hbuf.n = 0;
            handle(&hbuf, off, size);
            block_add(&index, (const char *)pending.p, pending.n, hbuf.p, hbuf.n);
            has_pending = 0;
        }
        block_add(&data, e->key, e->key_len, e->value, e->value_len);
        if (block_estimate(&data) >= BLOCK_SIZE ||
            (i + 1 < n && kv[i + 1].key_len + kv[i + 1].value_len >= 2 * (size_t)BLOCK_SIZE)) {
            pending.n = 0;
            ldr__buf_put(&pending, data.last.p, data.last.n);
            block_emit(&data, out, &off, &size);
            has_pending = 1;
        }
    }
    if (data.nentries) {
        pending.n = 0;
        ldr__buf_put(&pending, data.last.p, data.last.n);
        block_emit(&data, out, &off, &size);
        has_pending = 1;
    }
    uint64_t moff, msize, ioff, isize;
    block_emit(&meta, out, &moff, &msize);
    if (has_pending) {
        short_successor(&pending);
        hbuf.n = 0;
        handle(&hbuf, off, size);
        block_add(&index, (const char *)pending.p, pending.n, hbuf.p, hbuf.n);
    }
    block_emit(&index, out, &ioff, &isize);
    ldr__buf footer = {0};
    handle(&footer, moff, msize);
    handle(&footer, ioff, isize);
    static const uint8_t zeros[40] = {0};
    ldr__buf_put(&footer, zeros, 40 - footer.n);
    ldr__buf_fixed64(&footer, LDR_TABLE_MAGIC);
    ldr__buf_put(out, footer.p, footer.n);
    int oom = out->oom || data.data.oom || index.data.oom || footer.oom || pending.oom ||
              hbuf.oom || data.restarts.oom || index.restarts.oom || data.last.oom;
    block *bs[] = {&data, &index, &meta};
    for (int k = 0; k < 3; k++) {
        ldr__buf_free(&bs[k]->data);
        ldr__buf_free(&bs[k]->restarts);
        ldr__buf_free(&bs[k]->last);
    }
    ldr__buf_free(&pending);
    ldr__buf_free(&hbuf);
    ldr__buf_free(&footer);
    return oom ? tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory building a table") : TSD_OK;
}
