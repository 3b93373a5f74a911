/*
 * state_table.c - lookup tables for the "state" family: HashTableV2 as a
 * session resource, filled by InitializeTableV2, InitializeTableFromText-
 * FileV2 or LookupTableImportV2, read by LookupTableFindV2 / SizeV2.
 *
 * A table's contents are an immutable open-addressing map published with
 * a release store; lookups acquire-load it and never lock. Keys are int64
 * (int32 keys are widened) or strings; values are any fixed-size dtype or
 * strings. Replaced maps are kept until the table is freed, since lookups
 * may still be reading them.
 */
#include "engine/ops/state_int.h"
#include "engine/graph_int.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct tmap {
    struct tmap *older;   /* replaced maps, freed with the table */
    eng_dtype kdt, vdt;   /* kdt: INT64 or STRING */
    size_t count, nslots; /* nslots: power of two, > 2 * count */
    int64_t *slot;        /* entry index + 1, 0 = empty */
    int64_t *ikeys;       /* INT64 keys */
    eng_str *skeys;       /* STRING keys (bytes in `bytes`) */
    char *vals;           /* count * value size */
    char *bytes;          /* string storage */
} tmap;

typedef struct table {
    eng_resource base;
    pthread_mutex_t lock; /* serialises initialisation */
    _Atomic(tmap *) map;
    atomic_int kdt, vdt; /* declared by HashTableV2 (0 = unknown) */
} table;

static void tmap_free(tmap *m)
{
    while (m) {
        tmap *o = m->older;
        free(m->slot);
        free(m->ikeys);
        free(m->skeys);
        free(m->vals);
        free(m->bytes);
        free(m);
        m = o;
    }
}

static void table_free(eng_resource *r)
{
    table *t = (table *)r;
    tmap_free(atomic_load(&t->map));
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static eng_resource *table_create(void)
{
    table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.free = table_free;
    pthread_mutex_init(&t->lock, NULL);
    atomic_init(&t->map, NULL);
    atomic_init(&t->kdt, 0);
    atomic_init(&t->vdt, 0);
    return &t->base;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t key_hash(const tmap *m, int64_t ik, const eng_str *sk)
{
    return m->kdt == ENG_DT_STRING ? eng__hash(sk->ptr, sk->len) : mix64((uint64_t)ik);
}

static int key_eq(const tmap *m, size_t e, int64_t ik, const eng_str *sk)
{
    if (m->kdt == ENG_DT_STRING)
        return m->skeys[e].len == sk->len && memcmp(m->skeys[e].ptr, sk->ptr, sk->len) == 0;
    return m->ikeys[e] == ik;
}

/* Entry index of a key, or -1. */
static int64_t tmap_find(const tmap *m, int64_t ik, const eng_str *sk)
{
    size_t mask = m->nslots - 1;
    for (size_t i = (size_t)key_hash(m, ik, sk) & mask;; i = (i + 1) & mask) {
        int64_t e = m->slot[i];
        if (!e)
            return -1;
        if (key_eq(m, (size_t)e - 1, ik, sk))
            return e - 1;
    }
}

/* A key of a key tensor as int64 or string. */
static int get_key(const eng_tensor *k, int64_t i, int64_t *ik, eng_str *sk)
{
    switch (k->dtype) {
    case ENG_DT_INT64:
        *ik = ((const int64_t *)k->data)[i];
        return 0;
    case ENG_DT_INT32:
        *ik = ((const int32_t *)k->data)[i];
        return 0;
    case ENG_DT_STRING:
        *sk = ((const eng_str *)k->data)[i];
        return 0;
    default:
        return -1;
    }
}

static eng_dtype key_class(eng_dtype dt)
{
    return dt == ENG_DT_INT32 ? ENG_DT_INT64 : dt;
}

/*
 * Build a map from n keys (key tensor or generated) and values. `getk` and
 * `getv` produce entry i; duplicates with equal values are accepted, with
 * different values an error (as TensorFlow's HashTable does).
 */
typedef struct builder {
    tmap *m;
    size_t cap, bytes_len, bytes_cap;
} builder;

static tsd_code builder_init(builder *b, eng_dtype kdt, eng_dtype vdt, size_t n, tsd_status *st)
{
    memset(b, 0, sizeof *b);
    size_t vs = eng_dtype_size(vdt);
    if ((kdt != ENG_DT_INT64 && kdt != ENG_DT_STRING) || vs == 0)
        return tsd_err(st, TSD_UNIMPLEMENTED, "tables of %s -> %s are not supported",
                       eng_dtype_name(kdt), eng_dtype_name(vdt));
    if (n > ((size_t)1 << 40) / (vs + 16))
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "table of %zu entries is too large", n);
    tmap *m = calloc(1, sizeof *m);
    if (!m)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory building a table");
    b->m = m;
    m->kdt = kdt;
    m->vdt = vdt;
    m->nslots = 16;
    while (m->nslots < 2 * n + 2)
        m->nslots *= 2;
    b->cap = n ? n : 1;
    m->slot = calloc(m->nslots, sizeof *m->slot);
    m->vals = malloc(b->cap * vs);
    if (kdt == ENG_DT_STRING)
        m->skeys = malloc(b->cap * sizeof *m->skeys);
    else
        m->ikeys = malloc(b->cap * sizeof *m->ikeys);
    if (!m->slot || !m->vals || (!m->skeys && !m->ikeys))
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory building a table");
    return TSD_OK;
}

/* Copy string bytes into the builder's storage; returns an offset. */
static int store_bytes(builder *b, const eng_str *s, size_t *off)
{
    if (b->bytes_len + s->len > b->bytes_cap) {
        size_t nc = b->bytes_cap ? b->bytes_cap * 2 : 4096;
        while (nc < b->bytes_len + s->len)
            nc *= 2;
        char *nb = realloc(b->m->bytes, nc);
        if (!nb)
            return -1;
        b->m->bytes = nb;
        b->bytes_cap = nc;
    }
    if (s->len)
        memcpy(b->m->bytes + b->bytes_len, s->ptr, s->len);
    *off = b->bytes_len;
    b->bytes_len += s->len;
    return 0;
}

/* Strings are stored as offsets while building (bytes may move), fixed up by finish. */
static tsd_code builder_add(builder *b, int64_t ik, const eng_str *sk, const void *val,
                            tsd_status *st)
{
    tmap *m = b->m;
    size_t vs = eng_dtype_size(m->vdt);
    size_t mask = m->nslots - 1;
    size_t i =
        (size_t)(m->kdt == ENG_DT_STRING ? eng__hash(sk->ptr, sk->len) : mix64((uint64_t)ik)) &
        mask;
    for (;; i = (i + 1) & mask) {
        int64_t e = m->slot[i];
        if (!e)
            break;
        size_t ei = (size_t)e - 1;
        int same;
        if (m->kdt == ENG_DT_STRING)
            same = m->skeys[ei].len == sk->len &&
                   memcmp(m->bytes + (size_t)(uintptr_t)m->skeys[ei].ptr, sk->ptr, sk->len) == 0;
        else
            same = m->ikeys[ei] == ik;
        if (!same)
            continue;
        int eq;
        if (m->vdt == ENG_DT_STRING) {
            const eng_str *a = (const eng_str *)(m->vals + ei * vs), *v = val;
            eq = a->len == v->len &&
                 memcmp(m->bytes + (size_t)(uintptr_t)a->ptr, v->ptr, v->len) == 0;
        } else {
            eq = memcmp(m->vals + ei * vs, val, vs) == 0;
        }
        if (eq)
            return TSD_OK;
        if (m->kdt == ENG_DT_STRING)
            return tsd_err(st, TSD_FAILED_PRECONDITION,
                           "HashTable has different value for same key. Key %.*s", (int)sk->len,
                           sk->ptr);
        return tsd_err(st, TSD_FAILED_PRECONDITION,
                       "HashTable has different value for same key. Key %lld", (long long)ik);
    }
    size_t e = m->count;
    if (e >= b->cap)
        return tsd_err(st, TSD_INTERNAL, "table builder overflow");
    if (m->kdt == ENG_DT_STRING) {
        size_t off;
        if (store_bytes(b, sk, &off))
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory building a table");
        m->skeys[e].ptr = (const char *)(uintptr_t)off;
        m->skeys[e].len = sk->len;
    } else {
        m->ikeys[e] = ik;
    }
    if (m->vdt == ENG_DT_STRING) {
        size_t off;
        const eng_str *v = val;
        if (store_bytes(b, v, &off))
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory building a table");
        eng_str *d = (eng_str *)(m->vals + e * vs);
        d->ptr = (const char *)(uintptr_t)off;
        d->len = v->len;
    } else {
        memcpy(m->vals + e * vs, val, vs);
    }
    m->slot[i] = (int64_t)e + 1;
    m->count++;
    return TSD_OK;
}

static void builder_finish(builder *b)
{
    tmap *m = b->m;
    static const char empty[1] = {0};
    const char *base = m->bytes ? m->bytes : empty;
    if (m->kdt == ENG_DT_STRING)
        for (size_t e = 0; e < m->count; e++)
            m->skeys[e].ptr = base + (size_t)(uintptr_t)m->skeys[e].ptr;
    if (m->vdt == ENG_DT_STRING)
        for (size_t e = 0; e < m->count; e++) {
            eng_str *d = (eng_str *)(m->vals + e * sizeof(eng_str));
            d->ptr = base + (size_t)(uintptr_t)d->ptr;
        }
}

/* Look up the table named by input 0. */
static tsd_code get_table(eng_kctx *ctx, table **out)
{
    char key[1024];
    if (eng__state_target(ctx, 0, key, sizeof key))
        return ctx->st->code;
    eng_resource *r;
    if (eng_kctx_resource(ctx, key, table_create, &r))
        return ctx->st->code;
    *out = (table *)r;
    return TSD_OK;
}

/* Publish a built map (first initialisation wins unless `replace`). */
static tsd_code publish(table *t, builder *b, int replace)
{
    pthread_mutex_lock(&t->lock);
    tmap *old = atomic_load_explicit(&t->map, memory_order_relaxed);
    if (old && !replace) {
        pthread_mutex_unlock(&t->lock);
        tmap_free(b->m);
        return TSD_OK;
    }
    b->m->older = old;
    atomic_store_explicit(&t->map, b->m, memory_order_release);
    pthread_mutex_unlock(&t->lock);
    return TSD_OK;
}

/* ---- kernels -------------------------------------------------------------- */

tsd_code eng__table_handle_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 1;
    ic->outputs[0].dtype = ENG_DT_RESOURCE;
    ic->outputs[0].shape.rank = 0;
    return TSD_OK;
}

tsd_code eng__table_handle_compute(eng_kctx *ctx)
{
    eng_str shared, container = {"", 0};
    const eng_attr *a = eng_node_attr(ctx->node, "shared_name");
    const eng_attr *c = eng_node_attr(ctx->node, "container");
    if (c && c->kind == ENG_ATTR_STRING)
        container = c->s;
    char key[1024];
    if (a && a->kind == ENG_ATTR_STRING && a->s.len) {
        shared = a->s;
        int n = snprintf(key, sizeof key, "table:%.*s/%.*s", (int)container.len, container.ptr,
                         (int)shared.len, shared.ptr);
        if (n < 0 || (size_t)n >= sizeof key)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "table shared_name too long");
    } else {
        snprintf(key, sizeof key, "table:node/%s", eng_node_name(ctx->node));
    }
    eng_resource *r;
    if (eng_kctx_resource(ctx, key, table_create, &r))
        return ctx->st->code;
    table *tb = (table *)r;
    int kdt = (int)key_class(eng_attr_type_or(ctx->node, "key_dtype", ENG_DT_INVALID));
    int vdt = (int)eng_attr_type_or(ctx->node, "value_dtype", ENG_DT_INVALID);
    int zero = 0;
    if (kdt)
        atomic_compare_exchange_strong(&tb->kdt, &zero, kdt);
    zero = 0;
    if (vdt)
        atomic_compare_exchange_strong(&tb->vdt, &zero, vdt);
    eng_tensor *t = eng_kctx_output(ctx, 0, ENG_DT_RESOURCE, 0, NULL);
    if (!t)
        return ctx->st->code;
    return eng_kctx_str(ctx, key, strlen(key), (eng_str *)t->data);
}

tsd_code eng__table_init_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 0;
    return TSD_OK;
}

static tsd_code init_from_tensors(eng_kctx *ctx, int replace)
{
    table *t;
    if (ctx->ninputs < 3)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected 3 inputs");
    if (get_table(ctx, &t))
        return ctx->st->code;
    if (!replace && atomic_load_explicit(&t->map, memory_order_acquire))
        return TSD_OK;
    const eng_tensor *k = &ctx->inputs[1], *v = &ctx->inputs[2];
    int tk = atomic_load(&t->kdt), tv = atomic_load(&t->vdt);
    if ((tk && tk != (int)key_class(k->dtype)) || (tv && tv != (int)v->dtype))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "table of %s -> %s cannot take keys of %s and values of %s",
                       eng_dtype_name((eng_dtype)tk), eng_dtype_name((eng_dtype)tv),
                       eng_dtype_name(k->dtype), eng_dtype_name(v->dtype));
    int64_t n = eng_tensor_num_elements(k);
    if (n != eng_tensor_num_elements(v))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "keys and values must have the same size (%lld vs %lld)", (long long)n,
                       (long long)eng_tensor_num_elements(v));
    builder b;
    if (builder_init(&b, key_class(k->dtype), v->dtype, (size_t)n, ctx->st)) {
        tmap_free(b.m);
        return ctx->st->code;
    }
    size_t vs = eng_dtype_size(v->dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t ik = 0;
        eng_str sk = {"", 0};
        get_key(k, i, &ik, &sk);
        if (builder_add(&b, ik, &sk, (const char *)v->data + (size_t)i * vs, ctx->st)) {
            tmap_free(b.m);
            return ctx->st->code;
        }
    }
    builder_finish(&b);
    return publish(t, &b, replace);
}

tsd_code eng__table_init_compute(eng_kctx *ctx)
{
    return init_from_tensors(ctx, 0);
}

tsd_code eng__table_import_compute(eng_kctx *ctx)
{
    return init_from_tensors(ctx, 1);
}

/* Parse one text field as a value of dt into out (8 bytes). */
static int parse_field(const char *p, size_t len, eng_dtype dt, void *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    if (dt == ENG_DT_INT64 || dt == ENG_DT_INT32) {
        long long v = strtoll(buf, &end, 10);
        if (*end || errno || (dt == ENG_DT_INT32 && (v < INT32_MIN || v > INT32_MAX)))
            return -1;
        if (dt == ENG_DT_INT64)
            *(int64_t *)out = v;
        else
            *(int32_t *)out = (int32_t)v;
        return 0;
    }
    if (dt == ENG_DT_FLOAT || dt == ENG_DT_DOUBLE) {
        double v = strtod(buf, &end);
        if (*end)
            return -1;
        if (dt == ENG_DT_DOUBLE)
            *(double *)out = v;
        else
            *(float *)out = (float)v;
        return 0;
    }
    return -1;
}

/* Column `col` of line (split on delim); -1 if the line has fewer columns. */
static int column(const char *line, size_t len, const eng_str *delim, int64_t col, eng_str *out)
{
    size_t start = 0;
    for (int64_t c = 0;; c++) {
        const char *hit =
            start <= len ? memmem(line + start, len - start, delim->ptr, delim->len) : NULL;
        size_t end = hit ? (size_t)(hit - line) : len;
        if (c == col) {
            out->ptr = line + start;
            out->len = end - start;
            return 0;
        }
        if (!hit)
            return -1;
        start = end + delim->len;
    }
}

/* Key or value of one line: -2 whole line, -1 line number, else a column. */
static tsd_code line_item(eng_kctx *ctx, const char *line, size_t len, int64_t lineno,
                          int64_t index, const eng_str *delim, eng_dtype dt, int64_t *iv,
                          eng_str *sv, unsigned char *raw)
{
    eng_str f = {line, len};
    if (index == -1) {
        if (dt != ENG_DT_INT64)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "line numbers need dtype int64, not %s",
                           eng_dtype_name(dt));
        *iv = lineno;
        memcpy(raw, &lineno, sizeof lineno);
        return TSD_OK;
    }
    if (index >= 0 && column(line, len, delim, index, &f))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Invalid number of columns in line '%.*s': expected at least %lld",
                       (int)(len > 64 ? 64 : len), line, (long long)index + 1);
    if (index < -2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "invalid column index %lld",
                       (long long)index);
    if (dt == ENG_DT_STRING) {
        *sv = f;
        memcpy(raw, &f, sizeof f);
        return TSD_OK;
    }
    if (parse_field(f.ptr, f.len, dt, raw))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Field %.*s in line %lld is not a valid %s",
                       (int)(f.len > 64 ? 64 : f.len), f.ptr, (long long)lineno,
                       eng_dtype_name(dt));
    if (dt == ENG_DT_INT64)
        memcpy(iv, raw, sizeof *iv);
    else if (dt == ENG_DT_INT32)
        *iv = *(int32_t *)raw;
    return TSD_OK;
}

tsd_code eng__table_init_file_compute(eng_kctx *ctx)
{
    table *t;
    if (ctx->ninputs < 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    if (get_table(ctx, &t))
        return ctx->st->code;
    if (atomic_load_explicit(&t->map, memory_order_acquire))
        return TSD_OK;
    const eng_tensor *fn = &ctx->inputs[1];
    if (fn->dtype != ENG_DT_STRING || eng_tensor_num_elements(fn) != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "filename must be a string scalar");
    const eng_str *fs = fn->data;
    char path[4096];
    if (fs->len >= sizeof path)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "filename too long");
    memcpy(path, fs->ptr, fs->len);
    path[fs->len] = '\0';
    int64_t key_index = eng_attr_int_or(ctx->node, "key_index", -2);
    int64_t value_index = eng_attr_int_or(ctx->node, "value_index", -1);
    int64_t vocab_size = eng_attr_int_or(ctx->node, "vocab_size", -1);
    int64_t offset = eng_attr_int_or(ctx->node, "offset", 0);
    eng_str delim = {"\t", 1};
    const eng_attr *da = eng_node_attr(ctx->node, "delimiter");
    if (da && da->kind == ENG_ATTR_STRING && da->s.len)
        delim.ptr = da->s.ptr; /* one character, as in TensorFlow */
    /* Key and value types are the table's (HashTableV2 attrs). */
    eng_dtype kdt = (eng_dtype)atomic_load(&t->kdt), vdt = (eng_dtype)atomic_load(&t->vdt);
    if (!kdt)
        kdt = key_index == -1 ? ENG_DT_INT64 : ENG_DT_STRING;
    if (!vdt)
        vdt = value_index == -1 ? ENG_DT_INT64 : ENG_DT_STRING;
    char *data = NULL;
    size_t len = 0;
    if (eng_kctx_read_file(ctx, path, &data, &len))
        return ctx->st->code;
    size_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            nlines++;
    if (len && data[len - 1] != '\n')
        nlines++;
    size_t want = nlines;
    if (vocab_size >= 0 && (size_t)vocab_size < want)
        want = (size_t)vocab_size;
    builder b;
    tsd_code rc = builder_init(&b, key_class(kdt), vdt, want, ctx->st);
    size_t pos = 0, used = 0;
    while (rc == TSD_OK && pos < len && used < want) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t l = end - pos;
        if (l && data[pos + l - 1] == '\r')
            l--;
        if (l == 0) {
            rc = tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                         "Invalid content in %s: empty line found at position %zu.", path,
                         end < len ? end + 1 : len);
            break;
        }
        /* Line numbers count from `offset` (TensorFlow's semantics). */
        int64_t ik = 0, iv = 0, no = (int64_t)used + offset;
        eng_str sk = {"", 0}, sv = {"", 0};
        unsigned char kraw[16], vraw[16];
        rc = line_item(ctx, data + pos, l, no, key_index, &delim, kdt, &ik, &sk, kraw);
        if (rc == TSD_OK)
            rc = line_item(ctx, data + pos, l, no, value_index, &delim, vdt, &iv, &sv, vraw);
        if (rc == TSD_OK)
            rc = builder_add(&b, ik, &sk, vraw, ctx->st);
        used++;
        pos = end + 1;
    }
    if (rc == TSD_OK && vocab_size >= 0 && used < (size_t)vocab_size)
        rc = tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                     "Invalid vocab_size in %s: expected %lld but got %zu", path,
                     (long long)vocab_size, used);
    free(data);
    if (rc) {
        tmap_free(b.m);
        return tsd_status_prefix(ctx->st, "vocabulary '%s'", path);
    }
    builder_finish(&b);
    return publish(t, &b, 0);
}

tsd_code eng__table_find_infer(eng_infer_ctx *ic)
{
    if (ic->ninputs < 3)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected 3 inputs");
    ic->noutputs = 1;
    ic->outputs[0].dtype = eng_attr_type_or(ic->node, "Tout", ic->inputs[2].dtype);
    ic->outputs[0].shape = ic->inputs[1].shape;
    return TSD_OK;
}

tsd_code eng__table_find_compute(eng_kctx *ctx)
{
    table *t;
    if (ctx->ninputs < 3)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected 3 inputs");
    if (get_table(ctx, &t))
        return ctx->st->code;
    const tmap *m = atomic_load_explicit(&t->map, memory_order_acquire);
    if (!m)
        return tsd_err(ctx->st, TSD_FAILED_PRECONDITION, "Table not initialized.");
    const eng_tensor *k = &ctx->inputs[1], *d = &ctx->inputs[2];
    if (key_class(k->dtype) != m->kdt)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "keys are %s but the table has %s keys",
                       eng_dtype_name(k->dtype), eng_dtype_name(m->kdt));
    if (d->dtype != m->vdt || eng_tensor_num_elements(d) != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "default value must be a %s scalar (the table's value type)",
                       eng_dtype_name(m->vdt));
    eng_tensor *o = eng_kctx_output(ctx, 0, m->vdt, k->rank, k->dims);
    if (!o)
        return ctx->st->code;
    size_t vs = eng_dtype_size(m->vdt);
    int64_t n = eng_tensor_num_elements(k);
    for (int64_t i = 0; i < n; i++) {
        int64_t ik = 0;
        eng_str sk = {"", 0};
        get_key(k, i, &ik, &sk);
        int64_t e = tmap_find(m, ik, &sk);
        const char *src = e >= 0 ? m->vals + (size_t)e * vs : (const char *)d->data;
        memcpy((char *)o->data + (size_t)i * vs, src, vs);
    }
    return TSD_OK;
}

tsd_code eng__table_size_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 1;
    ic->outputs[0].dtype = ENG_DT_INT64;
    ic->outputs[0].shape.rank = 0;
    return TSD_OK;
}

tsd_code eng__table_size_compute(eng_kctx *ctx)
{
    table *t;
    if (get_table(ctx, &t))
        return ctx->st->code;
    const tmap *m = atomic_load_explicit(&t->map, memory_order_acquire);
    eng_tensor *o = eng_kctx_output(ctx, 0, ENG_DT_INT64, 0, NULL);
    if (!o)
        return ctx->st->code;
    *(int64_t *)o->data = m ? (int64_t)m->count : 0;
    return TSD_OK;
}
