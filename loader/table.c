/*
 * table.c - reader for TensorFlow's copy of the LevelDB table format (the
 * ".index" file of a tensor bundle): footer with magic, BlockHandles,
 * block trailers with masked CRC32C over contents + type byte, raw or
 * Snappy-compressed blocks, restart arrays and prefix-compressed keys.
 *
 * Everything is decoded eagerly into a flat entry array; every length read
 * from the file is checked against the bytes that remain before use.
 */
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "loader/table_int.h"

int ldr__get_varint64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    const uint8_t *q = *p;
    for (int shift = 0; shift < 64; shift += 7) {
        if (q >= end)
            return -1;
        uint8_t b = *q++;
        if (shift == 63 && (b & 0x7e))
            return -1; /* more than 64 bits */
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Decode a varint that must fit in 32 bits. */
static int get_varint32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;
    if (ldr__get_varint64(p, end, &x) != 0 || x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* Decoding state while the table is being built. */
typedef struct tbl_ctx {
    ldr__table *t;
    const uint8_t *file;
    size_t file_len;
    size_t cap_entries;
    size_t key_bytes; /* total materialised key bytes */
    unsigned flags;   /* LDR_TABLE_NO_CRC */
} tbl_ctx;

static void block_clear(ldr__table_block *b)
{
    free(b->restarts);
    free(b->index_key);
    b->restarts = NULL;
    b->index_key = NULL;
}

void ldr__table_free(ldr__table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nentries; i++)
        free(t->entries[i].key);
    free(t->entries);
    for (size_t i = 0; i < t->nblocks; i++)
        block_clear(&t->blocks[i]);
    free(t->blocks);
    block_clear(&t->metaindex);
    block_clear(&t->index);
    for (size_t i = 0; i < t->nowned; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->name);
    free(t);
}

/* Remember a decompressed buffer so that ldr__table_free releases it. */
static tsd_code own_buffer(tbl_ctx *c, uint8_t *buf, tsd_status *st)
{
    ldr__table *t = c->t;
    uint8_t **n = realloc(t->owned, (t->nowned + 1) * sizeof *n);
    if (!n) {
        free(buf);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", t->name);
    }
    t->owned = n;
    t->owned[t->nowned++] = buf;
    return TSD_OK;
}

/*
 * Locate the block of handle b->offset/b->size, check its trailer CRC and
 * return its (decompressed) contents. Blocks must end before the footer.
 */
static tsd_code read_block(tbl_ctx *c, ldr__table_block *b, const char *what,
                           const uint8_t **contents, size_t *n, tsd_status *st)
{
    const char *name = c->t->name;
    size_t limit = c->file_len - LDR_TABLE_FOOTER_LEN;
    if (b->offset > limit || b->size > limit - b->offset ||
        LDR_TABLE_TRAILER_LEN > limit - b->offset - b->size)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: %s block at offset %llu size %llu extends past the end of the "
                       "table data (%zu bytes before the footer)",
                       name, what, (unsigned long long)b->offset, (unsigned long long)b->size,
                       limit);
    const uint8_t *raw = c->file + b->offset;
    size_t raw_len = (size_t)b->size;
    b->type = raw[raw_len];
    b->masked_crc = ldr__le32(raw + raw_len + 1);
    uint32_t crc = ldr_crc32c_extend(ldr_crc32c(raw, raw_len), raw + raw_len, 1);
    if (ldr_crc32c_unmask(b->masked_crc) != crc && !(c->flags & LDR_TABLE_NO_CRC))
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: %s block at offset %llu: checksum mismatch (stored 0x%08x, "
                       "computed 0x%08x)",
                       name, what, (unsigned long long)b->offset, b->masked_crc,
                       ldr_crc32c_mask(crc));
    if (b->type == 0) {
        *contents = raw;
        *n = raw_len;
        return TSD_OK;
    }
    if (b->type != 1)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: %s block at offset %llu: unknown compression type %u", name, what,
                       (unsigned long long)b->offset, b->type);
    size_t ulen = 0;
    if (snappy_uncompressed_length((const char *)raw, raw_len, &ulen) != SNAPPY_OK ||
        snappy_validate_compressed_buffer((const char *)raw, raw_len) != SNAPPY_OK)
        return tsd_err(st, TSD_DATA_LOSS, "%s: %s block at offset %llu: corrupt Snappy data", name,
                       what, (unsigned long long)b->offset);
    if (ulen > LDR_TABLE_MAX_BLOCK)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: %s block at offset %llu: Snappy length %zu exceeds the limit %zu", name,
                       what, (unsigned long long)b->offset, ulen, LDR_TABLE_MAX_BLOCK);
    uint8_t *buf = malloc(ulen ? ulen : 1);
    if (!buf)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    size_t got = ulen;
    if (snappy_uncompress((const char *)raw, raw_len, (char *)buf, &got) != SNAPPY_OK ||
        got != ulen) {
        free(buf);
        return tsd_err(st, TSD_DATA_LOSS, "%s: %s block at offset %llu: corrupt Snappy data", name,
                       what, (unsigned long long)b->offset);
    }
    tsd_code rc = own_buffer(c, buf, st);
    if (rc != TSD_OK)
        return rc;
    *contents = buf;
    *n = ulen;
    return TSD_OK;
}

/* Signature of the per-entry callback of parse_block. */
typedef tsd_code (*entry_fn)(tbl_ctx *c, size_t block, const uint8_t *key, size_t key_len,
                             const uint8_t *value, size_t value_len, tsd_status *st);

/*
 * Walk the entries of a block: check the restart array, decode the
 * shared/unshared/value lengths against the block, rebuild full keys and
 * call fn for each. Restart points must be entries with no shared prefix.
 */
static tsd_code parse_block(tbl_ctx *c, ldr__table_block *b, size_t block, const char *what,
                            const uint8_t *data, size_t n, entry_fn fn, tsd_status *st)
{
    const char *name = c->t->name;
    unsigned long long boff = (unsigned long long)b->offset;
    if (n < 4)
        return tsd_err(st, TSD_DATA_LOSS, "%s: %s block at offset %llu: %zu bytes is too short",
                       name, what, boff, n);
    uint32_t nr = ldr__le32(data + n - 4);
    if (nr == 0 || nr > (n - 4) / 4)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: %s block at offset %llu: bad restart count %u for %zu bytes", name,
                       what, boff, nr, n);
    size_t rstart = n - 4 - 4 * (size_t)nr;
    b->num_restarts = nr;
    b->restarts = malloc(nr * sizeof *b->restarts);
    if (!b->restarts)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t r = ldr__le32(data + rstart + 4 * (size_t)i);
        if ((i == 0 && r != 0) || (i > 0 && r <= b->restarts[i - 1]) || r > rstart ||
            (r == rstart && !(i == 0 && rstart == 0)))
            return tsd_err(st, TSD_DATA_LOSS,
                           "%s: %s block at offset %llu: bad restart point %u (#%u)", name, what,
                           boff, r, i);
        b->restarts[i] = r;
    }
    uint8_t *key = NULL;
    size_t key_len = 0, key_cap = 0;
    uint32_t next_restart = 0;
    const uint8_t *p = data, *end = data + rstart;
    tsd_code rc = TSD_OK;
    while (p < end) {
        size_t eoff = (size_t)(p - data);
        uint32_t shared, unshared, vlen;
        if (get_varint32(&p, end, &shared) || get_varint32(&p, end, &unshared) ||
            get_varint32(&p, end, &vlen)) {
            rc = tsd_err(st, TSD_DATA_LOSS,
                         "%s: %s block at offset %llu: entry at offset %zu: truncated lengths",
                         name, what, boff, eoff);
            break;
        }
        size_t left = (size_t)(end - p);
        if (shared > key_len || unshared > left || vlen > left - unshared) {
            rc = tsd_err(st, TSD_DATA_LOSS,
                         "%s: %s block at offset %llu: entry at offset %zu: lengths "
                         "(shared %u, unshared %u, value %u) exceed the block",
                         name, what, boff, eoff, shared, unshared, vlen);
            break;
        }
        int at_restart = next_restart < nr && eoff == b->restarts[next_restart];
        if (next_restart < nr && eoff > b->restarts[next_restart]) {
            rc = tsd_err(st, TSD_DATA_LOSS,
                         "%s: %s block at offset %llu: restart point %u is not an entry", name,
                         what, boff, b->restarts[next_restart]);
            break;
        }
        if (at_restart && shared != 0) {
            rc = tsd_err(st, TSD_DATA_LOSS,
                         "%s: %s block at offset %llu: entry at offset %zu: restart entry "
                         "shares %u key bytes",
                         name, what, boff, eoff, shared);
            break;
        }
        if (at_restart)
            next_restart++;
        size_t klen = (size_t)shared + unshared;
        c->key_bytes += klen;
        if (c->key_bytes > LDR_TABLE_MAX_KEY_BYTES) {
            rc = tsd_err(st, TSD_DATA_LOSS, "%s: %s block at offset %llu: keys too large", name,
                         what, boff);
            break;
        }
        if (klen + 1 > key_cap) {
            size_t ncap = key_cap ? key_cap : 64;
            while (ncap < klen + 1)
                ncap *= 2;
            uint8_t *nk = realloc(key, ncap);
            if (!nk) {
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
                break;
            }
            key = nk;
            key_cap = ncap;
        }
        memcpy(key + shared, p, unshared);
        key_len = klen;
        p += unshared;
        rc = fn(c, block, key, key_len, p, vlen, st);
        if (rc != TSD_OK)
            break;
        p += vlen;
    }
    if (rc == TSD_OK && next_restart < nr && !(nr == 1 && rstart == 0))
        rc = tsd_err(st, TSD_DATA_LOSS,
                     "%s: %s block at offset %llu: restart point %u is not an entry", name, what,
                     boff, b->restarts[next_restart]);
    free(key);
    return rc;
}

/* Compare two byte strings in unsigned memcmp order, shorter first on ties. */
static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r != 0)
        return r;
    return an < bn ? -1 : an > bn;
}

/* Data-block entry callback: append to the table, keys strictly increasing. */
static tsd_code add_entry(tbl_ctx *c, size_t block, const uint8_t *key, size_t key_len,
                          const uint8_t *value, size_t value_len, tsd_status *st)
{
    ldr__table *t = c->t;
    if (t->nentries > 0) {
        const ldr__table_entry *prev = &t->entries[t->nentries - 1];
        if (key_cmp((const uint8_t *)prev->key, prev->key_len, key, key_len) >= 0)
            return tsd_err(st, TSD_DATA_LOSS,
                           "%s: data block at offset %llu: key '%.*s' is not greater than "
                           "the previous key '%.*s'",
                           t->name, (unsigned long long)t->blocks[block].offset,
                           (int)(key_len > 200 ? 200 : key_len), (const char *)key,
                           (int)(prev->key_len > 200 ? 200 : prev->key_len), prev->key);
    }
    if (t->nentries == c->cap_entries) {
        size_t ncap = c->cap_entries ? 2 * c->cap_entries : 16;
        ldr__table_entry *ne = realloc(t->entries, ncap * sizeof *ne);
        if (!ne)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", t->name);
        t->entries = ne;
        c->cap_entries = ncap;
    }
    char *k = malloc(key_len + 1);
    if (!k)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", t->name);
    memcpy(k, key, key_len);
    k[key_len] = '\0';
    ldr__table_entry *e = &t->entries[t->nentries++];
    e->key = k;
    e->key_len = key_len;
    e->value = value;
    e->value_len = value_len;
    e->block = block;
    return TSD_OK;
}

/* Index-block entry callback: decode the BlockHandle of one data block. */
static tsd_code add_block(tbl_ctx *c, size_t block, const uint8_t *key, size_t key_len,
                          const uint8_t *value, size_t value_len, tsd_status *st)
{
    (void)block;
    ldr__table *t = c->t;
    const uint8_t *p = value, *end = value + value_len;
    uint64_t off, size;
    if (ldr__get_varint64(&p, end, &off) || ldr__get_varint64(&p, end, &size) || p != end)
        return tsd_err(st, TSD_DATA_LOSS, "%s: index entry '%.*s': bad block handle", t->name,
                       (int)(key_len > 200 ? 200 : key_len), (const char *)key);
    if (t->nblocks > 0) {
        const ldr__table_block *prev = &t->blocks[t->nblocks - 1];
        if (key_cmp((const uint8_t *)prev->index_key, prev->index_key_len, key, key_len) >= 0)
            return tsd_err(st, TSD_DATA_LOSS, "%s: index block: keys not increasing at '%.*s'",
                           t->name, (int)(key_len > 200 ? 200 : key_len), (const char *)key);
    }
    /* Each index entry costs at least 5 bytes of the index block, so the
     * number of blocks is bounded by the file size. */
    ldr__table_block *nb = realloc(t->blocks, (t->nblocks + 1) * sizeof *nb);
    if (!nb)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", t->name);
    t->blocks = nb;
    ldr__table_block *b = &t->blocks[t->nblocks];
    memset(b, 0, sizeof *b);
    b->offset = off;
    b->size = size;
    b->index_key = malloc(key_len + 1);
    if (!b->index_key)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", t->name);
    memcpy(b->index_key, key, key_len);
    b->index_key[key_len] = '\0';
    b->index_key_len = key_len;
    t->nblocks++;
    return TSD_OK;
}

/* Entry callback for the metaindex block: contents are ignored. */
static tsd_code skip_entry(tbl_ctx *c, size_t block, const uint8_t *key, size_t key_len,
                           const uint8_t *value, size_t value_len, tsd_status *st)
{
    (void)c, (void)block, (void)key, (void)key_len, (void)value, (void)value_len, (void)st;
    return TSD_OK;
}

/* Decode the two BlockHandles and the magic of the 48-byte footer. */
static tsd_code read_footer(tbl_ctx *c, tsd_status *st)
{
    ldr__table *t = c->t;
    if (c->file_len < LDR_TABLE_FOOTER_LEN)
        return tsd_err(st, TSD_DATA_LOSS, "%s: file too short (%zu bytes) for a table footer",
                       t->name, c->file_len);
    const uint8_t *f = c->file + c->file_len - LDR_TABLE_FOOTER_LEN;
    uint64_t magic = ldr__le64(f + 40);
    if (magic != LDR_TABLE_MAGIC)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: footer at offset %zu: bad magic 0x%016llx (not a table file)", t->name,
                       c->file_len - LDR_TABLE_FOOTER_LEN, (unsigned long long)magic);
    const uint8_t *p = f, *end = f + 40;
    if (ldr__get_varint64(&p, end, &t->metaindex.offset) ||
        ldr__get_varint64(&p, end, &t->metaindex.size) ||
        ldr__get_varint64(&p, end, &t->index.offset) || ldr__get_varint64(&p, end, &t->index.size))
        return tsd_err(st, TSD_DATA_LOSS, "%s: footer at offset %zu: bad block handles", t->name,
                       c->file_len - LDR_TABLE_FOOTER_LEN);
    return TSD_OK;
}

/* Read the data block i, check its keys against its index key, add entries. */
static tsd_code read_data_block(tbl_ctx *c, size_t i, tsd_status *st)
{
    ldr__table *t = c->t;
    ldr__table_block *b = &t->blocks[i];
    const uint8_t *data;
    size_t n;
    tsd_code rc = read_block(c, b, "data", &data, &n, st);
    if (rc != TSD_OK)
        return rc;
    size_t first = t->nentries;
    rc = parse_block(c, b, i, "data", data, n, add_entry, st);
    if (rc != TSD_OK)
        return rc;
    if (t->nentries > first) {
        const ldr__table_entry *last = &t->entries[t->nentries - 1];
        if (key_cmp((const uint8_t *)last->key, last->key_len, (const uint8_t *)b->index_key,
                    b->index_key_len) > 0)
            return tsd_err(st, TSD_DATA_LOSS,
                           "%s: data block at offset %llu: last key '%.*s' is beyond its index "
                           "key",
                           t->name, (unsigned long long)b->offset,
                           (int)(last->key_len > 200 ? 200 : last->key_len), last->key);
    }
    return TSD_OK;
}

tsd_code ldr__table_open_mem(const uint8_t *data, size_t len, const char *name, unsigned flags,
                             ldr__table **out, tsd_status *st)
{
    *out = NULL;
    ldr__table *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name ? name : "table"))) {
        free(t);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory opening %s", name);
    }
    tbl_ctx c = {.t = t, .file = data, .file_len = len, .flags = flags};
    const uint8_t *blk;
    size_t n;
    tsd_code rc = read_footer(&c, st);
    if (rc == TSD_OK)
        rc = read_block(&c, &t->index, "index", &blk, &n, st);
    if (rc == TSD_OK)
        rc = parse_block(&c, &t->index, 0, "index", blk, n, add_block, st);
    if (rc == TSD_OK) {
        rc = read_block(&c, &t->metaindex, "metaindex", &blk, &n, st);
        if (rc == TSD_OK)
            rc = parse_block(&c, &t->metaindex, 0, "metaindex", blk, n, skip_entry, st);
    }
    for (size_t i = 0; rc == TSD_OK && i < t->nblocks; i++)
        rc = read_data_block(&c, i, st);
    if (rc != TSD_OK) {
        ldr__table_free(t);
        return rc;
    }
    *out = t;
    return TSD_OK;
}
