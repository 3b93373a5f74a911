/*
 * bundle.c - tensor bundles (TensorFlow V2 checkpoints): opens
 * "<prefix>.index" (decoded by bundle_index.c), mmaps the data shards
 * "<prefix>.data-NNNNN-of-MMMMM" read-only and reads tensors out of them
 * with size and CRC32C checks, including the DT_STRING layout
 * (formats.md §1.6). Reads are positional on the mmaps, so a bundle may be
 * read from several threads at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/bundle_int.h"
#include "loader/table_int.h"

/* One mapped data shard. */
typedef struct bundle_shard {
    char *path;
    const uint8_t *map; /* NULL when the file is empty */
    size_t len;
} bundle_shard;

struct ldr_bundle {
    char *prefix;
    char *index_path;
    ldr__bundle_index ix;
    bundle_shard *shards; /* ix.num_shards of them */
};

/* Read a whole regular file (at most `cap` bytes) into a malloc'ed buffer. */
static tsd_code read_file(const char *path, size_t cap, uint8_t **out, size_t *len, tsd_status *st)
{
    const char *name = ldr__bundle_display_name(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tsd_err(st, errno == ENOENT ? TSD_NOT_FOUND : TSD_UNAVAILABLE, "%s: cannot open: %s",
                       name, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tsd_err(st, TSD_FAILED_PRECONDITION, "%s: not a regular file", name);
    }
    if ((uint64_t)sb.st_size > cap) {
        close(fd);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: %lld bytes exceeds the limit %zu", name,
                       (long long)sb.st_size, cap);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            return tsd_err(st, TSD_DATA_LOSS, "%s: read failed at offset %zu: %s", name, got,
                           r < 0 ? strerror(e) : "file shrank");
        }
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = n;
    return TSD_OK;
}

/* Map one data shard read-only. */
static tsd_code map_shard(bundle_shard *s, tsd_status *st)
{
    const char *name = ldr__bundle_display_name(s->path);
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tsd_err(st, errno == ENOENT ? TSD_NOT_FOUND : TSD_UNAVAILABLE,
                       "%s: cannot open data shard: %s", name, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tsd_err(st, TSD_FAILED_PRECONDITION, "%s: not a regular file", name);
    }
    s->len = (size_t)sb.st_size;
    if (s->len > 0) {
        void *m = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: mmap failed: %s", name, strerror(e));
        }
        s->map = m;
    }
    close(fd);
    return TSD_OK;
}

void ldr_bundle_close(ldr_bundle *b)
{
    if (!b)
        return;
    for (int i = 0; b->shards && i < b->ix.num_shards; i++) {
        if (b->shards[i].map)
            munmap((void *)b->shards[i].map, b->shards[i].len);
        free(b->shards[i].path);
    }
    free(b->shards);
    ldr__bundle_index_clear(&b->ix);
    free(b->prefix);
    free(b->index_path);
    free(b);
}

const char *ldr__bundle_name(const ldr_bundle *b)
{
    return ldr__bundle_display_name(b->index_path);
}

tsd_code ldr_bundle_open(const char *prefix, ldr_bundle **out, tsd_status *st)
{
    *out = NULL;
    ldr_bundle *b = calloc(1, sizeof *b);
    size_t plen = strlen(prefix);
    char *ipath = malloc(plen + sizeof ".index");
    if (!b || !ipath || !(b->prefix = strdup(prefix))) {
        free(b);
        free(ipath);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory opening bundle %s", prefix);
    }
    snprintf(ipath, plen + sizeof ".index", "%s.index", prefix);
    uint8_t *idx = NULL;
    size_t idx_len = 0;
    tsd_code rc = read_file(ipath, LDR_BUNDLE_MAX_INDEX, &idx, &idx_len, st);
    if (rc == TSD_OK)
        rc = ldr__bundle_index_parse(idx, idx_len, ldr__bundle_display_name(ipath), 0, &b->ix, st);
    free(idx);
    b->index_path = ipath;
    if (rc == TSD_OK) {
        b->shards = calloc((size_t)b->ix.num_shards, sizeof *b->shards);
        if (!b->shards)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory opening bundle %s", prefix);
    }
    for (int i = 0; rc == TSD_OK && i < b->ix.num_shards; i++) {
        size_t n = plen + 32;
        bundle_shard *s = &b->shards[i];
        if (!(s->path = malloc(n))) {
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory opening bundle %s", prefix);
            break;
        }
        snprintf(s->path, n, "%s.data-%05d-of-%05d", prefix, i, b->ix.num_shards);
        rc = map_shard(s, st);
    }
    if (rc != TSD_OK) {
        ldr_bundle_close(b);
        return rc;
    }
    *out = b;
    return TSD_OK;
}

size_t ldr_bundle_num_entries(const ldr_bundle *b)
{
    return b->ix.nentries;
}

const ldr_bundle_entry *ldr_bundle_entry_at(const ldr_bundle *b, size_t i)
{
    return i < b->ix.nentries ? &b->ix.entries[i] : NULL;
}

const ldr_bundle_entry *ldr_bundle_find(const ldr_bundle *b, const char *key)
{
    size_t lo = 0, hi = b->ix.nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->ix.entries[mid].key, key);
        if (c == 0)
            return &b->ix.entries[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Number of elements of the entry's shape, or -1 if it exceeds `limit`. */
static int64_t entry_elements(const ldr_bundle_entry *e, uint64_t limit)
{
    uint64_t n = 1;
    for (int i = 0; i < e->rank; i++)
        if (e->dims[i] == 0)
            return 0;
    for (int i = 0; i < e->rank; i++) {
        uint64_t d = (uint64_t)e->dims[i];
        if (d > limit || n > limit / d)
            return -1;
        n *= d;
    }
    return n > limit ? -1 : (int64_t)n;
}

/* Byte-swap elements of size es in place (big-endian bundles). */
static void swap_elements(uint8_t *p, size_t n, size_t es)
{
    for (size_t i = 0; i < n; i++, p += es)
        for (size_t a = 0, z = es - 1; a < z; a++, z--) {
            uint8_t t = p[a];
            p[a] = p[z];
            p[z] = t;
        }
}

/* Decode the DT_STRING layout of bytes[0..size) into out (formats.md §1.6). */
static tsd_code read_strings(const ldr_bundle_entry *e, const char *file, const uint8_t *bytes,
                             size_t size, int64_t n, eng_tensor *out, tsd_status *st)
{
    const uint8_t *p = bytes, *end = bytes + size;
    eng_str *strs = malloc((size_t)(n ? n : 1) * sizeof *strs);
    if (!strs)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: tensor '%s': out of memory", file, e->key);
    uint32_t c1 = 0;
    uint64_t total = 0;
    tsd_code rc = TSD_OK;
    for (int64_t i = 0; i < n; i++) {
        uint64_t len;
        if (ldr__get_varint64(&p, end, &len) != 0) {
            rc = tsd_err(st, TSD_DATA_LOSS, "%s: tensor '%s': truncated length of element %lld",
                         file, e->key, (long long)i);
            goto done;
        }
        uint8_t le[8];
        for (int k = 0; k < 8; k++)
            le[k] = (uint8_t)(len >> (8 * k));
        c1 = ldr_crc32c_extend(c1, le, len > UINT32_MAX ? 8 : 4);
        if (len > size) {
            rc = tsd_err(st, TSD_DATA_LOSS,
                         "%s: tensor '%s': element %lld length %llu exceeds the entry size %zu",
                         file, e->key, (long long)i, (unsigned long long)len, size);
            goto done;
        }
        strs[i].len = (size_t)len;
        total += len;
    }
    if ((size_t)(end - p) < 4) {
        rc = tsd_err(st, TSD_DATA_LOSS, "%s: tensor '%s': truncated length checksum", file, e->key);
        goto done;
    }
    uint32_t stored = ldr__le32(p);
    if (ldr_crc32c_unmask(stored) != c1) {
        rc = tsd_err(st, TSD_DATA_LOSS,
                     "%s: tensor '%s': length crc32c mismatch (stored 0x%08x, computed 0x%08x)",
                     file, e->key, stored, ldr_crc32c_mask(c1));
        goto done;
    }
    uint32_t c = ldr_crc32c_extend(c1, p, 4);
    p += 4;
    if (total != (uint64_t)(end - p)) {
        rc = tsd_err(st, TSD_DATA_LOSS,
                     "%s: tensor '%s': string bytes %llu do not match the %zu bytes left in the "
                     "entry",
                     file, e->key, (unsigned long long)total, (size_t)(end - p));
        goto done;
    }
    c = ldr_crc32c_extend(c, p, (size_t)total);
    if (ldr_crc32c_unmask(e->crc32c) != c) {
        rc = tsd_err(st, TSD_DATA_LOSS,
                     "%s: tensor '%s': crc32c mismatch (stored 0x%08x, computed 0x%08x)", file,
                     e->key, e->crc32c, ldr_crc32c_mask(c));
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        strs[i].ptr = (const char *)p;
        p += strs[i].len;
    }
    eng_tensor tmp = {.dtype = ENG_DT_STRING,
                      .rank = e->rank,
                      .data = strs,
                      .nbytes = (size_t)n * sizeof(eng_str)};
    memcpy(tmp.dims, e->dims, sizeof tmp.dims);
    rc = eng_tensor_copy(out, &tmp, st);
    if (rc != TSD_OK)
        tsd_status_prefix(st, "%s: tensor '%s'", file, e->key);
done:
    free(strs);
    return rc;
}

tsd_code ldr_bundle_read(ldr_bundle *b, const ldr_bundle_entry *e, eng_tensor *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    if (e->nslices > 0)
        return tsd_err(st, TSD_UNIMPLEMENTED,
                       "%s: tensor '%s': partitioned entries (%d slices) are not supported",
                       ldr__bundle_name(b), e->key, e->nslices);
    if (e->shard_id < 0 || e->shard_id >= b->ix.num_shards)
        return tsd_err(st, TSD_DATA_LOSS, "%s: tensor '%s': shard_id %d out of range",
                       ldr__bundle_name(b), e->key, e->shard_id);
    const bundle_shard *s = &b->shards[e->shard_id];
    const char *file = ldr__bundle_display_name(s->path);
    if (e->offset > s->len || e->size > s->len - e->offset)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: tensor '%s': bytes [%llu, +%llu) are beyond the end of the file "
                       "(%zu bytes)",
                       file, e->key, (unsigned long long)e->offset, (unsigned long long)e->size,
                       s->len);
    const uint8_t *bytes = s->map ? s->map + e->offset : (const uint8_t *)"";
    size_t size = (size_t)e->size;
    if (e->dtype == ENG_DT_STRING) {
        /* every element takes at least one varint byte */
        int64_t n = entry_elements(e, size);
        if (n < 0)
            return tsd_err(st, TSD_DATA_LOSS,
                           "%s: tensor '%s': shape has more elements than the %zu bytes of the "
                           "entry",
                           file, e->key, size);
        return read_strings(e, file, bytes, size, n, out, st);
    }
    size_t es = eng_dtype_size(e->dtype);
    if (es == 0 || e->dtype == ENG_DT_RESOURCE || e->dtype == ENG_DT_VARIANT)
        return tsd_err(st, TSD_UNIMPLEMENTED, "%s: tensor '%s': dtype %d is not supported", file,
                       e->key, (int)e->dtype);
    int64_t n = entry_elements(e, (uint64_t)ENG_MAX_ELEMENTS);
    if (n < 0 || (uint64_t)n * es != size) {
        char shape[128];
        eng_shape_str(e->dims, e->rank, shape, sizeof shape);
        if (n < 0)
            return tsd_err(st, TSD_DATA_LOSS,
                           "%s: tensor '%s': shape %s has too many elements (entry size %zu)", file,
                           e->key, shape, size);
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: tensor '%s': size %zu does not match shape %s (%lld elements of %zu "
                       "bytes)",
                       file, e->key, size, shape, (long long)n, es);
    }
    uint32_t c = ldr_crc32c(bytes, size);
    if (ldr_crc32c_unmask(e->crc32c) != c)
        return tsd_err(st, TSD_DATA_LOSS,
                       "%s: tensor '%s': crc32c mismatch (stored 0x%08x, computed 0x%08x)", file,
                       e->key, e->crc32c, ldr_crc32c_mask(c));
    tsd_code rc = eng_tensor_alloc(out, e->dtype, e->rank, e->dims, st);
    if (rc != TSD_OK) {
        tsd_status_prefix(st, "%s: tensor '%s'", file, e->key);
        return rc;
    }
    if (size)
        memcpy(out->data, bytes, size);
    if (b->ix.big_endian && es > 1)
        swap_elements(out->data, (size_t)n, es);
    return TSD_OK;
}
