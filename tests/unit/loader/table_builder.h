/*
 * table_builder.h - a small, independent writer of LevelDB-format tables
 * (formats.md §1.3) used by the loader tests to build valid and deliberately
 * broken index files. It has its own bit-at-a-time CRC32C so that it does
 * not depend on the code under test. Header-only, test use only.
 */
#ifndef TSD_TESTS_LOADER_TABLE_BUILDER_H
#define TSD_TESTS_LOADER_TABLE_BUILDER_H

#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Growable byte buffer. */
typedef struct tb_buf {
    uint8_t *p;
    size_t n, cap;
} tb_buf;

static inline void tb_put(tb_buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n)
            c *= 2;
        b->p = realloc(b->p, c);
        b->cap = c;
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

static inline void tb_byte(tb_buf *b, uint8_t v)
{
    tb_put(b, &v, 1);
}

static inline void tb_varint(tb_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        tb_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    tb_byte(b, (uint8_t)v);
}

static inline void tb_fixed32(tb_buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        tb_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline void tb_fixed64(tb_buf *b, uint64_t v)
{
    tb_fixed32(b, (uint32_t)v);
    tb_fixed32(b, (uint32_t)(v >> 32));
}

/* Bit-at-a-time CRC32C and TensorFlow masking (formats.md §1.2). */
static inline uint32_t tb_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

static inline uint32_t tb_mask(uint32_t c)
{
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

/* One key/value pair to write. */
typedef struct tb_kv {
    const char *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
} tb_kv;

/* Encode a block of kvs with the given restart interval into out. */
static inline void tb_block(tb_buf *out, const tb_kv *kv, size_t n, int restart)
{
    uint32_t restarts[4096];
    size_t nr = 0;
    const char *prev = "";
    size_t plen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t shared = 0;
        if (i % (size_t)restart == 0) {
            restarts[nr++] = (uint32_t)out->n;
        } else {
            while (shared < plen && shared < kv[i].klen && prev[shared] == kv[i].key[shared])
                shared++;
        }
        tb_varint(out, shared);
        tb_varint(out, kv[i].klen - shared);
        tb_varint(out, kv[i].vlen);
        tb_put(out, kv[i].key + shared, kv[i].klen - shared);
        tb_put(out, kv[i].val, kv[i].vlen);
        prev = kv[i].key;
        plen = kv[i].klen;
    }
    if (nr == 0)
        restarts[nr++] = 0;
    for (size_t i = 0; i < nr; i++)
        tb_fixed32(out, restarts[i]);
    tb_fixed32(out, (uint32_t)nr);
}

/* Append block contents (optionally Snappy) + trailer to file; return handle. */
static inline void tb_emit(tb_buf *file, const tb_buf *blk, int snappy, uint64_t *off,
                           uint64_t *size)
{
    *off = file->n;
    uint8_t type = 0;
    const uint8_t *data = blk->p;
    size_t n = blk->n;
    char *comp = NULL;
    if (snappy) {
        size_t cl = snappy_max_compressed_length(n);
        comp = malloc(cl);
        snappy_compress((const char *)blk->p, n, comp, &cl);
        data = (const uint8_t *)comp;
        n = cl;
        type = 1;
    }
    tb_put(file, data, n);
    *size = n;
    uint32_t c = tb_crc(tb_crc(0, data, n), &type, 1);
    tb_byte(file, type);
    tb_fixed32(file, tb_mask(c));
    free(comp);
}

/* Index key for a block ending in last, followed by a block starting at next
 * (NULL for the final block): formats.md §1.3 separator / short successor. */
static inline void tb_index_key(tb_buf *key, const tb_kv *last, const tb_kv *next)
{
    const uint8_t *l = (const uint8_t *)last->key;
    size_t ln = last->klen;
    if (next) {
        const uint8_t *nk = (const uint8_t *)next->key;
        size_t i = 0;
        while (i < ln && i < next->klen && l[i] == nk[i])
            i++;
        if (i < ln && i < next->klen && l[i] < 0xff && l[i] + 1 < nk[i]) {
            tb_put(key, l, i);
            tb_byte(key, (uint8_t)(l[i] + 1));
            return;
        }
        tb_put(key, l, ln);
        return;
    }
    for (size_t i = 0; i < ln; i++) {
        if (l[i] != 0xff) {
            tb_put(key, l, i);
            tb_byte(key, (uint8_t)(l[i] + 1));
            return;
        }
    }
    tb_put(key, l, ln);
}

/*
 * Write a whole table: data blocks of per_block entries (0 = one block),
 * restart interval `restart`, Snappy data blocks if snappy.
 */
static inline void tb_table(tb_buf *file, const tb_kv *kv, size_t n, size_t per_block, int restart,
                            int snappy)
{
    if (per_block == 0)
        per_block = n ? n : 1;
    tb_buf index = {0};
    tb_kv ikv[512];
    tb_buf ikeys[512];
    uint8_t ivals[512][20];
    size_t ni = 0;
    for (size_t s = 0; s < n; s += per_block) {
        size_t m = n - s < per_block ? n - s : per_block;
        tb_buf blk = {0};
        tb_block(&blk, kv + s, m, restart);
        uint64_t off, size;
        tb_emit(file, &blk, snappy, &off, &size);
        free(blk.p);
        memset(&ikeys[ni], 0, sizeof ikeys[ni]);
        tb_index_key(&ikeys[ni], &kv[s + m - 1], s + m < n ? &kv[s + m] : NULL);
        tb_buf h = {0};
        tb_varint(&h, off);
        tb_varint(&h, size);
        memcpy(ivals[ni], h.p, h.n);
        ikv[ni] = (tb_kv){(const char *)ikeys[ni].p, ikeys[ni].n, ivals[ni], h.n};
        free(h.p);
        ni++;
    }
    tb_buf meta = {0}, idx = {0};
    tb_block(&meta, NULL, 0, 1);
    uint64_t moff, msize, ioff, isize;
    tb_emit(file, &meta, 0, &moff, &msize);
    tb_block(&idx, ikv, ni, 1);
    tb_emit(file, &idx, 0, &ioff, &isize);
    tb_buf footer = {0};
    tb_varint(&footer, moff);
    tb_varint(&footer, msize);
    tb_varint(&footer, ioff);
    tb_varint(&footer, isize);
    while (footer.n < 40)
        tb_byte(&footer, 0);
    tb_fixed64(&footer, 0xdb4775248b80fb57ull);
    tb_put(file, footer.p, footer.n);
    free(footer.p);
    free(meta.p);
    free(idx.p);
    free(index.p);
    for (size_t i = 0; i < ni; i++)
        free(ikeys[i].p);
}

#endif
