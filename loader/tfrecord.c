/*
 * tfrecord.c - sequential reader of TFRecord files (formats.md §2.1):
 * fixed64 length, masked CRC32C of the length bytes, data, masked CRC32C of
 * the data. gzip-compressed files (magic 1f 8b) are inflated with zlib.
 * A clean end of file is OUT_OF_RANGE; anything cut short or failing a CRC
 * is DATA_LOSS. The record buffer grows only as bytes actually arrive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "loader/loader.h"
#include "loader/table_int.h"

/* Default record size limit (ldr_tfrecord_next with max_len 0). */
#define TFR_DEFAULT_MAX ((size_t)256 << 20)
/* Growth step of the record buffer while reading a large record. */
#define TFR_CHUNK ((size_t)1 << 20)

struct ldr_tfrecord {
    char *name;  /* path, for messages */
    gzFile gz;   /* gzip input, or NULL */
    FILE *plain; /* uncompressed input, or NULL */
    uint8_t *buf;
    size_t cap;
    uint64_t offset; /* (uncompressed) offset of the next record */
    int failed;      /* a DATA_LOSS was reported: no further reads */
};

/*
 * Read up to n bytes; *got receives the count. Returns 0, or -1 with a
 * DATA_LOSS status when the (gzip) stream is corrupt or cut short.
 */
static int src_read(ldr_tfrecord *r, uint8_t *dst, size_t n, size_t *got, tsd_status *st)
{
    *got = 0;
    if (r->plain) {
        *got = fread(dst, 1, n, r->plain);
        if (*got < n && ferror(r->plain)) {
            tsd_err(st, TSD_DATA_LOSS, "%s: read error at offset %llu: %s", r->name,
                    (unsigned long long)r->offset, strerror(errno));
            return -1;
        }
        return 0;
    }
    while (*got < n) {
        size_t want = n - *got;
        unsigned chunk = want > (1u << 30) ? 1u << 30 : (unsigned)want;
        int k = gzread(r->gz, dst + *got, chunk);
        int zerr = Z_OK;
        const char *msg = gzerror(r->gz, &zerr);
        if (k < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
            tsd_err(st, TSD_DATA_LOSS, "%s: gzip stream error near offset %llu: %s", r->name,
                    (unsigned long long)r->offset, msg ? msg : "unknown");
            return -1;
        }
        if (k == 0)
            break;
        *got += (size_t)k;
    }
    return 0;
}

tsd_code ldr_tfrecord_open(const char *path, ldr_tfrecord **out, tsd_status *st)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tsd_err(st, errno == ENOENT ? TSD_NOT_FOUND : TSD_UNAVAILABLE, "%s: cannot open: %s",
                       path, strerror(errno));
    /* Sniff: a plain file whose first length CRC checks out is plain even
     * if its first bytes happen to be 1f 8b. */
    uint8_t head[12];
    ssize_t h = pread(fd, head, sizeof head, 0);
    int gzip = h >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (gzip && h == 12 && ldr_crc32c_unmask(ldr__le32(head + 8)) == ldr_crc32c(head, 8))
        gzip = 0;
    ldr_tfrecord *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(path))) {
        free(r);
        close(fd);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    if (gzip) {
        r->gz = gzdopen(fd, "rb");
        if (r->gz)
            gzbuffer(r->gz, 1u << 16);
    } else {
        r->plain = fdopen(fd, "rb");
    }
    if (!r->gz && !r->plain) {
        close(fd);
        free(r->name);
        free(r);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: cannot create a reader", path);
    }
    *out = r;
    return TSD_OK;
}

void ldr_tfrecord_close(ldr_tfrecord *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    if (r->plain)
        fclose(r->plain);
    free(r->buf);
    free(r->name);
    free(r);
}

/* Make room for at least n bytes in the record buffer. */
static int reserve(ldr_tfrecord *r, size_t n)
{
    if (n <= r->cap)
        return 0;
    size_t c = r->cap ? r->cap : 4096;
    while (c < n)
        c = c > SIZE_MAX / 2 ? n : c * 2;
    uint8_t *b = realloc(r->buf, c);
    if (!b)
        return -1;
    r->buf = b;
    r->cap = c;
    return 0;
}

/* Mark the reader failed and return the DATA_LOSS already in st. */
static tsd_code fail(ldr_tfrecord *r, tsd_code rc)
{
    r->failed = 1;
    return rc;
}

tsd_code ldr_tfrecord_next(ldr_tfrecord *r, const uint8_t **data, size_t *len, size_t max_len,
                           tsd_status *st)
{
    *data = NULL;
    *len = 0;
    if (r->failed)
        return tsd_err(st, TSD_DATA_LOSS, "%s: reader stopped after an earlier error", r->name);
    if (max_len == 0)
        max_len = TFR_DEFAULT_MAX;
    unsigned long long at = (unsigned long long)r->offset;
    uint8_t hdr[12];
    size_t got;
    if (src_read(r, hdr, sizeof hdr, &got, st) != 0)
        return fail(r, TSD_DATA_LOSS);
    if (got == 0)
        return tsd_err(st, TSD_OUT_OF_RANGE, "%s: end of file after %llu bytes", r->name, at);
    if (got < sizeof hdr)
        return fail(r, tsd_err(st, TSD_DATA_LOSS,
                               "%s: record at offset %llu: truncated header (%zu of 12 bytes)",
                               r->name, at, got));
    uint64_t n = ldr__le64(hdr);
    uint32_t lcrc = ldr__le32(hdr + 8);
    if (ldr_crc32c_unmask(lcrc) != ldr_crc32c(hdr, 8))
        return fail(r, tsd_err(st, TSD_DATA_LOSS,
                               "%s: record at offset %llu: length checksum mismatch", r->name, at));
    if (n > max_len)
        return fail(r, tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                               "%s: record at offset %llu: length %llu exceeds the limit %zu",
                               r->name, at, (unsigned long long)n, max_len));
    size_t total = (size_t)n + 4, have = 0;
    while (have < total) {
        size_t step = total - have < TFR_CHUNK ? total - have : TFR_CHUNK;
        if (reserve(r, have + step) != 0)
            return fail(r, tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                                   "%s: record at offset %llu: out of memory for %llu bytes",
                                   r->name, at, (unsigned long long)n));
        if (src_read(r, r->buf + have, step, &got, st) != 0)
            return fail(r, TSD_DATA_LOSS);
        have += got;
        if (got < step)
            return fail(r, tsd_err(st, TSD_DATA_LOSS,
                                   "%s: record at offset %llu: truncated (%zu of %zu bytes "
                                   "after the header)",
                                   r->name, at, have, total));
    }
    uint32_t dcrc = ldr__le32(r->buf + n);
    if (ldr_crc32c_unmask(dcrc) != ldr_crc32c(r->buf, (size_t)n))
        return fail(r, tsd_err(st, TSD_DATA_LOSS,
                               "%s: record at offset %llu: data checksum "
                               "mismatch",
                               r->name, at));
    r->offset += 12 + total;
    *data = r->buf;
    *len = (size_t)n;
    return TSD_OK;
}
