/*
 * bundle_write.c - writing tensor bundles (V2 checkpoints) byte for byte as
 * TensorFlow's BundleWriter does, and the `checkpoint` state file, both
 * crash-safe: temporary files, fsync, rename, fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "loader/loader.h"
#include "loader/table_int.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb-c.h"
#include "tensorflow/python/training/checkpoint_state.pb-c.h"

typedef struct wentry {
    char *key;
    uint8_t *value; /* packed BundleEntryProto */
    size_t value_len;
} wentry;

struct ldr_bundle_writer {
    char *prefix;
    char *data_tmp, *data_path;
    int fd;
    uint64_t off;
    wentry *ents;
    size_t n, cap;
    int finished;
};

static char *xasprintf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

/* A unique temporary name beside path (TF: "<name>.tempstate<random>"). */
static char *temp_name(const char *path)
{
    static _Atomic unsigned seq;
    char suffix[64];
    snprintf(suffix, sizeof suffix, ".tempstate%ld_%u", (long)getpid(), seq++);
    return xasprintf(path, suffix);
}

static tsd_code write_all(int fd, const void *p, size_t n, const char *path, tsd_status *st)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return tsd_err(st, TSD_INTERNAL, "%s: write failed: %s", path, strerror(errno));
        c += w;
        n -= (size_t)w;
    }
    return TSD_OK;
}

/* fsync the directory holding path, so a rename survives a crash. */
static tsd_code sync_dir_of(const char *path, tsd_status *st)
{
    char *dir = strdup(path);
    if (!dir)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    tsd_code c = TSD_OK;
    if (fd < 0 || fsync(fd) != 0)
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot sync the directory: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return c;
}

ldr_bundle_writer *ldr_bundle_writer_new(const char *prefix, tsd_status *st)
{
    ldr_bundle_writer *w = calloc(1, sizeof *w);
    if (!w) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    w->fd = -1;
    w->prefix = strdup(prefix);
    w->data_path = xasprintf(prefix, ".data-00000-of-00001");
    w->data_tmp = w->data_path ? temp_name(w->data_path) : NULL;
    if (!w->prefix || !w->data_tmp) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        ldr_bundle_writer_free(w);
        return NULL;
    }
    w->fd = open(w->data_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", w->data_tmp, strerror(errno));
        ldr_bundle_writer_free(w);
        return NULL;
    }
    return w;
}

/* Bytes of a string tensor as TF stores them (formats §1.6), and its CRC. */
static tsd_code string_bytes(const eng_tensor *t, ldr__buf *b, uint32_t *crc, tsd_status *st)
{
    size_t n = t->nbytes / sizeof(eng_str);
    const eng_str *s = t->data;
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        ldr__buf_varint(b, s[i].len);
    for (size_t i = 0; i < n; i++) {
        if (s[i].len > UINT32_MAX) {
            uint8_t l8[8];
            for (int k = 0; k < 8; k++)
                l8[k] = (uint8_t)((uint64_t)s[i].len >> (8 * k));
            c = ldr_crc32c_extend(c, l8, 8);
        } else {
            uint8_t l4[4] = {(uint8_t)s[i].len, (uint8_t)(s[i].len >> 8), (uint8_t)(s[i].len >> 16),
                             (uint8_t)(s[i].len >> 24)};
            c = ldr_crc32c_extend(c, l4, 4);
        }
    }
    uint32_t masked = ldr_crc32c_mask(c);
    uint8_t m4[4] = {(uint8_t)masked, (uint8_t)(masked >> 8), (uint8_t)(masked >> 16),
                     (uint8_t)(masked >> 24)};
    ldr__buf_put(b, m4, 4);
    c = ldr_crc32c_extend(c, m4, 4);
    for (size_t i = 0; i < n; i++) {
        ldr__buf_put(b, s[i].ptr, s[i].len);
        c = ldr_crc32c_extend(c, s[i].ptr, s[i].len);
    }
    *crc = c;
    return b->oom ? tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory") : TSD_OK;
}

tsd_code ldr_bundle_writer_add(ldr_bundle_writer *w, const char *key, const eng_tensor *t,
                               tsd_status *st)
{
    if (w->finished || w->fd < 0)
        return tsd_err(st, TSD_FAILED_PRECONDITION, "%s: bundle already finished", w->prefix);
    if (!*key)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: empty tensor key", w->prefix);
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->ents[i].key, key) == 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: duplicate tensor key '%s'", w->prefix,
                           key);
    if (t->rank < 0 || t->rank > ENG_MAX_RANK || eng_dtype_size(t->dtype) == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: tensor '%s': cannot store dtype %s",
                       w->prefix, key, eng_dtype_name(t->dtype));
    ldr__buf sbuf = {0};
    const void *bytes = t->data;
    size_t len = t->nbytes;
    uint32_t crc;
    tsd_code c = TSD_OK;
    if (t->dtype == ENG_DT_STRING) {
        if ((c = string_bytes(t, &sbuf, &crc, st)))
            goto out;
        bytes = sbuf.p;
        len = sbuf.n;
    } else {
        if ((size_t)eng_tensor_num_elements(t) * eng_dtype_size(t->dtype) != len) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: tensor '%s': %zu bytes for its shape",
                        w->prefix, key, len);
            goto out;
        }
        crc = ldr_crc32c(bytes, len);
    }
    if ((c = write_all(w->fd, bytes, len, w->data_tmp, st)))
        goto out;
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    Tensorflow__TensorShapeProto__Dim dims[ENG_MAX_RANK], *pd[ENG_MAX_RANK];
    for (int d = 0; d < t->rank; d++) {
        tensorflow__tensor_shape_proto__dim__init(&dims[d]);
        dims[d].size = t->dims[d];
        pd[d] = &dims[d];
    }
    shape.n_dim = (size_t)t->rank;
    shape.dim = pd;
    Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    e.dtype = (Tensorflow__DataType)t->dtype;
    e.shape = &shape;
    e.offset = (int64_t)w->off;
    e.size = (int64_t)len;
    e.crc32c = ldr_crc32c_mask(crc);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        wentry *ne = realloc(w->ents, cap * sizeof *ne);
        if (!ne) {
            c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            goto out;
        }
        w->ents = ne;
        w->cap = cap;
    }
    wentry *we = &w->ents[w->n];
    we->value_len = tensorflow__bundle_entry_proto__get_packed_size(&e);
    we->value = malloc(we->value_len ? we->value_len : 1);
    we->key = strdup(key);
    if (!we->value || !we->key) {
        free(we->value);
        free(we->key);
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    tensorflow__bundle_entry_proto__pack(&e, we->value);
    w->n++;
    w->off += len;
out:
    ldr__buf_free(&sbuf);
    return c;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const wentry *)a)->key, ((const wentry *)b)->key);
}

tsd_code ldr_bundle_writer_finish(ldr_bundle_writer *w, tsd_status *st)
{
    if (w->finished || w->fd < 0)
        return tsd_err(st, TSD_FAILED_PRECONDITION, "%s: bundle already finished", w->prefix);
    tsd_code c = TSD_OK;
    char *index_path = xasprintf(w->prefix, ".index");
    char *index_tmp = index_path ? temp_name(index_path) : NULL;
    ldr__kv *kv = calloc(w->n + 1, sizeof *kv);
    ldr__buf table = {0};
    int ifd = -1;
    if (!index_tmp || !kv) {
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (fsync(w->fd) != 0 || close(w->fd) != 0) {
        w->fd = -1;
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot sync: %s", w->data_tmp, strerror(errno));
        goto out;
    }
    w->fd = -1;
    /* header entry "" then the tensors in key order */
    Tensorflow__VersionDef ver = TENSORFLOW__VERSION_DEF__INIT;
    ver.producer = 1;
    Tensorflow__BundleHeaderProto h = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
    h.num_shards = 1;
    h.version = &ver;
    uint8_t hbytes[32];
    size_t hlen = tensorflow__bundle_header_proto__pack(&h, hbytes);
    qsort(w->ents, w->n, sizeof *w->ents, cmp_entry);
    kv[0] = (ldr__kv){"", 0, hbytes, hlen};
    for (size_t i = 0; i < w->n; i++)
        kv[i + 1] = (ldr__kv){w->ents[i].key, strlen(w->ents[i].key), w->ents[i].value,
                              w->ents[i].value_len};
    if ((c = ldr__table_build(kv, w->n + 1, &table, st)))
        goto out;
    ifd = open(index_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ifd < 0) {
        c = tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", index_tmp, strerror(errno));
        goto out;
    }
    if ((c = write_all(ifd, table.p, table.n, index_tmp, st)))
        goto out;
    if (fsync(ifd) != 0) {
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot sync: %s", index_tmp, strerror(errno));
        goto out;
    }
    close(ifd);
    ifd = -1;
    if (rename(w->data_tmp, w->data_path) != 0 || rename(index_tmp, index_path) != 0) {
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot rename into place: %s", w->prefix,
                    strerror(errno));
        goto out;
    }
    w->finished = 1;
    c = sync_dir_of(index_path, st);
out:
    if (ifd >= 0)
        close(ifd);
    if (c && index_tmp)
        unlink(index_tmp);
    free(index_path);
    free(index_tmp);
    free(kv);
    ldr__buf_free(&table);
    return c;
}

void ldr_bundle_writer_free(ldr_bundle_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (!w->finished && w->data_tmp)
        unlink(w->data_tmp);
    for (size_t i = 0; i < w->n; i++) {
        free(w->ents[i].key);
        free(w->ents[i].value);
    }
    free(w->ents);
    free(w->prefix);
    free(w->data_tmp);
    free(w->data_path);
    free(w);
}

/* ---- the `checkpoint` state file ------------------------------------------- */

/* Append `name: "value"\n` with C-style escapes, as Python's text_format. */
static void put_field(ldr__buf *b, const char *name, const char *v)
{
    ldr__buf_put(b, name, strlen(name));
    ldr__buf_put(b, ": \"", 3);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            ldr__buf_put(b, esc, 2);
        } else if (*p == '\n') {
            ldr__buf_put(b, "\\n", 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\%03o", *p);
            ldr__buf_put(b, esc, 4);
        } else {
            ldr__buf_put(b, p, 1);
        }
    }
    ldr__buf_put(b, "\"\n", 2);
}

tsd_code ldr_checkpoint_state_write(const char *dir, const char *latest, const char *const *all,
                                    size_t nall, tsd_status *st)
{
    ldr__buf b = {0};
    put_field(&b, "model_checkpoint_path", latest);
    for (size_t i = 0; i < nall; i++)
        put_field(&b, "all_model_checkpoint_paths", all[i]);
    char *path = xasprintf(dir, "/checkpoint");
    char *tmp = path ? temp_name(path) : NULL;
    tsd_code c = TSD_OK;
    int fd = -1;
    if (!tmp || b.oom) {
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        c = tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if ((c = write_all(fd, b.p, b.n, tmp, st)))
        goto out;
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot sync: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        c = tsd_err(st, TSD_INTERNAL, "%s: cannot rename into place: %s", path, strerror(errno));
        goto out;
    }
    c = sync_dir_of(path, st);
out:
    if (fd >= 0)
        close(fd);
    if (c && tmp)
        unlink(tmp);
    free(path);
    free(tmp);
    ldr__buf_free(&b);
    return c;
}

/* dir + "/" + p unless p is absolute. */
static char *under(const char *dir, const char *p)
{
    if (p[0] == '/')
        return strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, p);
    return s;
}

tsd_code ldr_checkpoint_state_read(const char *dir, char **latest, char ***all, size_t *nall,
                                   tsd_status *st)
{
    *latest = NULL;
    if (all)
        *all = NULL;
    if (nall)
        *nall = 0;
    char *path = xasprintf(dir, "/checkpoint");
    if (!path)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        tsd_code c = tsd_err(st, TSD_NOT_FOUND, "%s: no checkpoint state", path);
        free(path);
        return c;
    }
    ProtobufCMessage *m = NULL;
    tsd_code c = tsd_pbtext_parse_file(&tensorflow__checkpoint_state__descriptor, path, &m, st);
    free(path);
    if (c)
        return c;
    const Tensorflow__CheckpointState *cs = (const void *)m;
    if (!cs->model_checkpoint_path || !*cs->model_checkpoint_path) {
        protobuf_c_message_free_unpacked(m, NULL);
        return tsd_err(st, TSD_NOT_FOUND, "%s/checkpoint: no model_checkpoint_path", dir);
    }
    char *l = under(dir, cs->model_checkpoint_path);
    char *idx = l ? xasprintf(l, ".index") : NULL;
    if (!idx || stat(idx, &sb) != 0) {
        c = idx ? tsd_err(st, TSD_NOT_FOUND, "%s: missing (checkpoint state points at it)", idx)
                : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        free(l);
        free(idx);
        protobuf_c_message_free_unpacked(m, NULL);
        return c;
    }
    free(idx);
    if (all && nall && cs->n_all_model_checkpoint_paths) {
        *all = calloc(cs->n_all_model_checkpoint_paths, sizeof **all);
        for (size_t i = 0; *all && i < cs->n_all_model_checkpoint_paths; i++)
            (*all)[(*nall)++] = under(dir, cs->all_model_checkpoint_paths[i]);
    }
    *latest = l;
    protobuf_c_message_free_unpacked(m, NULL);
    return TSD_OK;
}
